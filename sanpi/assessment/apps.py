from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "sanpi.assessment"
    label = "assessment"
    verbose_name = "考核评价"
    audit_object_types = {"assessment.import": "考核数据导入", "assessment.results": "考核结果导出"}

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the job kinds)
