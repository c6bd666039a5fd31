from django.urls import path

from . import views

app_name = "finance"
urlpatterns = [
    path("", views.index, name="index"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("projects/<int:pk>/", views.project_finance, name="project"),
    path("report/", views.report, name="report"),
    path("banks/", views.banks, name="banks"),
]
