from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "sanpi.regions"
    label = "regions"
    verbose_name = "区域与企业"
