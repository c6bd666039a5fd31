from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "sanpi.health"
    label = "health"
    verbose_name = "推进状态预警"
    # Audit-log object types that are no model (core.web.object_type_choices).
    audit_object_types = {"health.list": "推进状态清单"}

    def ready(self) -> None:
        from sanpi.dispatch.services import accepted_months_changed
        from sanpi.projects.services import health_recorded

        from . import jobs  # noqa: F401  (declares the nightly evaluation)

        accepted_months_changed.connect(_reevaluate, dispatch_uid="health.accepted_months")
        health_recorded.connect(_keep_manual, dispatch_uid="health.recorded")


def _reevaluate(sender, project, **kwargs) -> None:
    """A month accepted or reopened: the project's health is judged again at once."""
    from .services import evaluate_project

    evaluate_project(project)


def _keep_manual(sender, project, health, evidence, by, **kwargs) -> None:
    from .services import keep_manual

    keep_manual(project=project, health=health, evidence=evidence, by=by)
