from django.urls import path

from . import calendar_urls, job_views, views
from .schedule_views import schedule_edit, schedule_list

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export/", views.audit_export, name="audit_export"),
    path("audit/chain-head.json", views.audit_head, name="audit_head"),
    path("audit/archive/", views.audit_archive_start, name="audit_archive"),
    path("jobs/", job_views.job_admin, name="job_admin"),
    path("jobs/schedules/", schedule_list, name="schedules"),
    path("jobs/schedules/<slug:name>/", schedule_edit, name="schedule_edit"),
    path("jobs/<uuid:pk>/", job_views.job_page, name="job"),
    path("jobs/<uuid:pk>/status/", job_views.job_status, name="job_status"),
    path("jobs/<uuid:pk>/download/", job_views.job_download, name="job_download"),
    path("jobs/<uuid:pk>/retry/", job_views.job_retry, name="job_retry"),
    path("jobs/<uuid:pk>/marked/", job_views.job_marked, name="job_marked"),
    *calendar_urls.urlpatterns,
]
