from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect

PUBLIC_PREFIXES = ("/accounts/login/", "/static/", "/api/")


class LoginRequiredMiddleware:
    """Every page needs a signed-in user (the API authenticates by token on its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            from django.urls import reverse

            return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
        return self.get_response(request)
