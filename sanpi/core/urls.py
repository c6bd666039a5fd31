from django.urls import path

from . import calendar_urls, views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    *calendar_urls.urlpatterns,
]
