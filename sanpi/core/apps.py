from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sanpi.core"
    label = "core"
    verbose_name = "基础"
