from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "sanpi.indicators"
    label = "indicators"
    verbose_name = "主要指标"
    audit_object_types = {"indicators.table": "主要指标表"}
