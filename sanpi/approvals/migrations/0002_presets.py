# The two preset lists of approval items (sanpi/approvals/presets.py).

from django.db import migrations

from sanpi.approvals.presets import load_presets, unload_presets


def load(apps, schema_editor):
    load_presets(
        apps.get_model("approvals", "Track"),
        apps.get_model("approvals", "CatalogueItem"),
        apps.get_model("approvals", "CatalogueMaterial"),
    )


def unload(apps, schema_editor):
    unload_presets(
        apps.get_model("approvals", "Track"),
        apps.get_model("approvals", "CatalogueItem"),
        apps.get_model("approvals", "CatalogueMaterial"),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
