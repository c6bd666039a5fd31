from django.urls import path

from . import views

app_name = "targets"
urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("bulletin/", views.bulletin_page, name="bulletin"),
    path("bulletin.<str:fmt>", views.bulletin_file, name="bulletin_file"),
    path("goals/<int:year>/", views.target_list, name="target_list"),
    path("goals/<int:year>/import/", views.target_import, name="target_import"),
    path("goals/<int:year>/template.xlsx", views.target_template, name="target_template"),
    path("goals/<int:year>/<str:kind>/<int:pk>/", views.target_edit, name="target_edit"),
    path("weights/", views.scheme_list, name="scheme_list"),
    path("weights/new/", views.scheme_create, name="scheme_create"),
]
