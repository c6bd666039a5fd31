"""The working-day calendar's pages, part of the `core` URL namespace (see core/urls.py)."""

from django.urls import path

from . import calendar_views

urlpatterns = [
    path("calendar/", calendar_views.calendar_page, name="calendar"),
    path("calendar/days/", calendar_views.calendar_days_set, name="calendar_days_set"),
    path("calendar/days/remove/", calendar_views.calendar_day_remove, name="calendar_day_remove"),
    path("calendar/years/", calendar_views.calendar_year_set, name="calendar_year_set"),
]
