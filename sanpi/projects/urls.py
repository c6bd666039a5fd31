from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/advance/", views.project_advance, name="advance"),
    path("<int:pk>/health/", views.project_health, name="health"),
    path("bulk-add/", views.bulk_add, name="bulk_add"),
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/add/", views.activity_add, name="activity_add"),
    path(
        "activities/<int:pk>/candidates/",
        views.activity_candidates,
        name="activity_candidates",
    ),
    path("activities/<int:pk>/confirm/", views.activity_confirm_all, name="activity_confirm_all"),
    path("activities/<int:pk>/delete/", views.activity_delete, name="activity_delete"),
    path(
        "activities/<int:pk>/planned.<str:fmt>",
        views.planned_export,
        name="planned_export",
    ),
    path(
        "activities/<int:pk>/planned/<int:planned_pk>/confirm/",
        views.planned_confirm,
        name="planned_confirm",
    ),
    path(
        "activities/<int:pk>/planned/<int:planned_pk>/withdraw/",
        views.planned_withdraw,
        name="planned_withdraw",
    ),
    path(
        "activities/<int:pk>/entries/<int:entry_pk>/remove/",
        views.activity_remove_entry,
        name="activity_remove_entry",
    ),
]
