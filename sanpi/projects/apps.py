from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "sanpi.projects"
    label = "projects"
    verbose_name = "项目"
