from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "sanpi.cockpit"
    label = "cockpit"
    verbose_name = "驾驶舱"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the job kinds)
