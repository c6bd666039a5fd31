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


# What a user who must change their password may still open: the page to change it (and
# the form it posts to), logging out, static files. The API authenticates by token.
PASSWORD_CHANGE_ALLOWED = ("/accounts/me/", "/accounts/logout/", "/static/", "/api/")


class PasswordChangeRequiredMiddleware:
    """A first sign-in with the administrator's password, or an expired password: every
    page sends the user to change it first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(PASSWORD_CHANGE_ALLOWED)
            and user.password_change_reason()
        ):
            from django.contrib import messages
            from django.urls import reverse

            messages.warning(request, user.password_change_reason())
            return redirect(reverse("accounts:me") + "#password")
        return self.get_response(request)
