from django.apps import AppConfig
from django.db.models.signals import post_migrate


def sync_calendar(sender, *, using="default", apps=None, verbosity=1, **kwargs) -> None:
    """After every `migrate` (and test flush): add the years the installed chinesecalendar
    package carries that the database lacks. Administrator entries are never overwritten."""
    from sanpi.core import calendar_seed

    if apps is None:
        from django.apps import apps
    try:
        day_model = apps.get_model("core", "CalendarDay")
        year_model = apps.get_model("core", "CalendarYear")
    except LookupError:
        return  # migrated back to before the calendar existed
    years = calendar_seed.sync_from_package(day_model, year_model, using=using)
    if years:
        from sanpi.core.calendar import calendar_changed

        calendar_changed()
        if verbosity >= 1:
            span = f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
            print(f"  工作日历：已从 chinesecalendar 写入 {span} 年节假日安排")


class CoreConfig(AppConfig):
    name = "sanpi.core"
    label = "core"
    verbose_name = "基础"
    # Audit-log object types that are no model (core.web.object_type_choices).
    audit_object_types = {"database": "数据库", "core.auditlog": "审计日志"}

    def ready(self) -> None:
        post_migrate.connect(sync_calendar, sender=self, dispatch_uid="sanpi.core.sync_calendar")

        from . import audit_archive, audit_export, periodic  # noqa: F401  (job kinds, schedules)
