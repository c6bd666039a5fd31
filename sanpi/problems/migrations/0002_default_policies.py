"""The two default policies: 13710 for provincial and city key projects, and the city's
ordinary terms (feedback 5, solve 15 working days) for the others."""

from django.db import migrations


def seed(apps, schema_editor):
    Policy = apps.get_model("problems", "Policy")
    Policy.objects.get_or_create(
        code="13710",
        version=1,
        defaults=dict(
            name="13710工作制度", applies_to="key", feedback_days=3, solve_days=7,
            complex_months=1, warn_days=1, escalate_after_days=2,
        ),
    )  # fmt: skip
    Policy.objects.get_or_create(
        code="ordinary",
        version=1,
        defaults=dict(
            name="一般项目", applies_to="other", feedback_days=5, solve_days=15,
            complex_months=1, warn_days=1, escalate_after_days=2,
        ),
    )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
