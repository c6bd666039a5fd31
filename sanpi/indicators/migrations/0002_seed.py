"""The 34 indicators of 专栏 1-2, as the seed states them (sanpi/indicators/seed.py)."""

from django.db import migrations

from sanpi.indicators.seed import INDICATORS, load


def seed(apps, schema_editor):
    load(apps.get_model("indicators", "Indicator"))


def unseed(apps, schema_editor):
    Indicator = apps.get_model("indicators", "Indicator")
    Indicator.objects.filter(order__in=[row["order"] for row in INDICATORS]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("indicators", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
