from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "sanpi.approvals"
    label = "approvals"
    verbose_name = "审批事项"
    # Audit-log object types that are no model (core.web.object_type_choices).
    audit_object_types = {"approvals.ledger": "审批事项台账"}

    def ready(self) -> None:
        # A calendar edit lists the open approval items whose deadline it would move.
        from sanpi.core.calendar import register_calendar_listener, register_deadline_source

        from .selectors import moved_item_deadlines, refresh_due_dates

        register_deadline_source(moved_item_deadlines)
        # ... and once saved, the open items' stored deadlines follow it.
        register_calendar_listener(refresh_due_dates)

        from . import jobs  # noqa: F401  (declares the periodic 承诺 scan)
