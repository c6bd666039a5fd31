"""/api/: the JSON API, one version prefix per API instance; anything else is a JSON 404."""

from django.urls import path, re_path

from sanpi.api import unknown_path
from sanpi.api import urls as api_v1_urls

urlpatterns = [
    path("v1/", api_v1_urls()),
    re_path(r"^(?P<rest>.*)$", unknown_path),
]
