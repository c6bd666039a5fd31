from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "sanpi.dispatch"
    label = "dispatch"
    verbose_name = "月调度"

    def ready(self) -> None:
        from . import jobs, sheets  # noqa: F401  (the reminders schedule, the sheet jobs)
