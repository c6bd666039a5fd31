"""The stage cells' "now" rows (by stage, health and key flags) replace the health rows:
rebuild them at the next refresh."""

from django.db import migrations, models


def _note(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("INSERT INTO cockpit_factchange (kind) VALUES ('stages')")


class Migration(migrations.Migration):
    dependencies = [
        ("cockpit", "0008_start_risk_order"),
    ]

    operations = [
        migrations.AlterField(
            model_name="stagecell",
            name="kind",
            field=models.CharField(max_length=32, verbose_name="阶段"),
        ),
        migrations.RunPython(_note, migrations.RunPython.noop),
    ]
