from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("", views.month_default, name="home"),
    path("<int:year>/<int:month>/", views.month_page, name="month"),
    path("<int:year>/<int:month>/close/", views.month_close, name="close"),
    path("<int:year>/<int:month>/deadline/", views.month_deadline, name="deadline"),
    path("<int:year>/<int:month>/sheet.xlsx", views.sheet_download, name="sheet"),
    path("<int:year>/<int:month>/sheet/upload/", views.sheet_upload, name="sheet_upload"),
    path("<int:year>/<int:month>/<int:project>/", views.report_page, name="report"),
    path("<int:year>/<int:month>/<int:project>/review/", views.report_review, name="review"),
    path("<int:year>/<int:month>/<int:project>/reopen/", views.report_reopen, name="reopen"),
    path("<int:year>/<int:month>/<int:project>/plan/", views.plan_set, name="plan"),
    path("<int:year>/<int:month>/<int:project>/photos/", views.photo_add, name="photo_add"),
    path("photos/<int:pk>/", views.photo_file, name="photo"),
    path("photos/<int:pk>/delete/", views.photo_remove, name="photo_remove"),
]
