"""Ledger import/export pages (Excel), mounted at /ledger/."""

from django.urls import path

from . import io_views

app_name = "ledger"
urlpatterns = [
    path("import/", io_views.ledger_import_page, name="import"),
    path("jobs/<uuid:pk>/", io_views.job_page, name="job"),
    path("jobs/<uuid:pk>/progress/", io_views.job_progress, name="job_progress"),
    path("jobs/<uuid:pk>/marked.xlsx", io_views.marked_file, name="marked"),
    path("jobs/<uuid:pk>/remap/", io_views.remap, name="remap"),
    path("template.xlsx", io_views.template_file, name="template"),
    path("export.xlsx", io_views.export_file, name="export"),
]
