"""The stage cells now carry the health lists' counts: rebuild them at the next refresh."""

from django.db import migrations


def _note(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("INSERT INTO cockpit_factchange (kind) VALUES ('stages')")


class Migration(migrations.Migration):
    dependencies = [("cockpit", "0004_rank_cell")]

    operations = [migrations.RunPython(_note, migrations.RunPython.noop)]
