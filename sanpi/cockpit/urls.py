from django.urls import path

from . import board_views, views

app_name = "cockpit"
urlpatterns = [
    path("", views.home, name="home"),
    path("rates/", views.rates, name="rates"),
    path("cockpit/", board_views.board_page, name="board"),
    path("cockpit/data/", board_views.board_data, name="board_data"),
    path("cockpit/warnings/rules/", views.warning_rules_page, name="warning_rules"),
    path("cockpit/warnings.xlsx", board_views.warnings_export, name="warnings_export"),
    path("bulletins/activity/<int:pk>.docx", views.activity_bulletin, name="activity_bulletin"),
]
