from django.urls import path

from . import calendar_urls, views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export/", views.audit_export, name="audit_export"),
    *calendar_urls.urlpatterns,
]
