from django.urls import path

from . import views

app_name = "cockpit"
urlpatterns = [
    path("", views.home, name="home"),
    path("rates/", views.rates, name="rates"),
    path("bulletins/activity/<int:pk>.docx", views.activity_bulletin, name="activity_bulletin"),
]
