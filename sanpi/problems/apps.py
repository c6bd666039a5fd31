from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "sanpi.problems"
    label = "problems"
    verbose_name = "问题闭环"
    audit_object_types = {"problems.ledger": "问题台账"}

    def ready(self) -> None:
        from . import io, jobs  # noqa: F401  (the job kinds; the breach task's schedule)
