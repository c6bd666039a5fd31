from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "sanpi.notifications"
    label = "notifications"
    verbose_name = "通知"

    def ready(self) -> None:
        from sanpi.core.jobs import job_finished

        from . import jobs  # noqa: F401  (registers the job kinds and schedules)

        job_finished.connect(_tell_who_started_it, dispatch_uid="notifications.job_finished")


def _tell_who_started_it(sender, job, **kwargs) -> None:
    """A user's import, export or bulletin has ended: a notification with its outcome."""
    from .rules import notify_import_finished

    notify_import_finished(job)
