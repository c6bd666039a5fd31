from django.urls import path

from . import views

app_name = "indicators"
urlpatterns = [
    path("", views.table, name="table"),
    path("export.xlsx", views.export, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<int:year>/", views.value_edit, name="value_edit"),
]
