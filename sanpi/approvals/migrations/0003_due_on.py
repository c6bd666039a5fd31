# The stored committed deadline of each accepted item (ProjectApproval.due_on), filled
# from the calendar as the database holds it.

from django.conf import settings
from django.db import migrations, models


def fill_due_on(apps, schema_editor):
    from sanpi.approvals.rules import due_date
    from sanpi.core.calendar import build_calendar

    calendar = build_calendar(
        apps.get_model("core", "CalendarDay"), apps.get_model("core", "CalendarYear")
    )
    Item = apps.get_model("approvals", "ProjectApproval")
    items = []
    for item in (
        Item.objects.filter(accepted_on__isnull=False)
        .only("pk", "accepted_on", "committed_days")
        .iterator(chunk_size=2000)
    ):
        item.due_on = due_date(calendar, item.accepted_on, item.committed_days)
        items.append(item)
    Item.objects.bulk_update(items, ["due_on"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0002_presets"),
        ("core", "0012_audit_archive"),
        ("projects", "0009_key_by_investment"),
        ("regions", "0005_enterprise_above_size_since"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="projectapproval",
            name="due_on",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="承诺办结期限"
            ),
        ),
        migrations.AddIndex(
            model_name="projectapproval",
            index=models.Index(
                condition=models.Q(("decided_on__isnull", True), ("due_on__isnull", False)),
                fields=["due_on"],
                name="approval_open_due",
            ),
        ),
        migrations.RunPython(fill_due_on, migrations.RunPython.noop),
    ]
