from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "sanpi.finance"
    label = "finance"
    verbose_name = "政银企对接"
    audit_object_types = {"finance.report": "贷款发放统计"}
