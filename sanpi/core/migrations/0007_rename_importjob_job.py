from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    """Import jobs become background jobs of every kind (imports, exports, schedules)."""

    dependencies = [
        ("core", "0006_importjob_source_file_importmapping"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("ImportJob", "Job"),
    ]
