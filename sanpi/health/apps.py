from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "sanpi.health"
    label = "health"
    verbose_name = "推进状态预警"
    # Audit-log object types that are no model (core.web.object_type_choices).
    audit_object_types = {"health.list": "推进状态清单"}

    def ready(self) -> None:
        from sanpi.dispatch.services import accepted_months_changed

        from . import jobs  # noqa: F401  (declares the nightly evaluation)

        accepted_months_changed.connect(_reevaluate, dispatch_uid="health.accepted_months")


def _reevaluate(sender, project, **kwargs) -> None:
    """A month accepted or reopened: the project's health is judged again at once."""
    from .services import evaluate_project

    evaluate_project(project)
