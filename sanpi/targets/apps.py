from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "sanpi.targets"
    label = "targets"
    verbose_name = "目标与排名"
    audit_object_types = {"targets.import": "年度目标导入", "targets.bulletin": "月调度排名通报"}

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the job kinds)
