from django.urls import path

from . import views

app_name = "health"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("rules/", views.rules_page, name="rules"),
    path("project/<int:pk>/", views.project_health, name="project"),
    path("project/<int:pk>/clear/", views.override_clear, name="override_clear"),
    path("project/<int:pk>/evaluate/", views.evaluate, name="evaluate"),
    path("lists/<slug:key>/", views.health_list, name="list"),
    path("lists/<slug:key>/export/", views.list_export, name="export"),
]
