from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "sanpi.projects"
    label = "projects"
    verbose_name = "项目"
    # Audit-log object types that are no model (core.web.object_type_choices).
    audit_object_types = {"projects.ledger": "项目台账"}

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the job kinds)
