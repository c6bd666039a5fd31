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


# What a user who must change their password (or enrol a second factor) may still open:
# their account page, the forms that change the password and enrol the authenticator,
# logging out, static files. Not the API's documents (read with the session, like any
# page); the API itself authenticates by token, without a session, so this never stops it.
ALLOWED_PATHS = frozenset(
    {"/accounts/me/", "/accounts/me/password/", "/accounts/me/2fa/", "/accounts/logout/"}
)
ALLOWED_PREFIXES = ("/static/",)


class PasswordChangeRequiredMiddleware:
    """A first sign-in with the administrator's password, or an expired password: every
    page sends the user to change it first. Then a role that must sign in with two factors
    is sent to enrol its authenticator; a session that skipped the second step ends."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        path = request.path
        if (
            user.is_authenticated
            and path not in ALLOWED_PATHS
            and not path.startswith(ALLOWED_PREFIXES)
        ):
            from django.contrib import messages
            from django.urls import reverse

            from . import two_factor

            reason = user.password_change_reason()
            if reason:
                messages.warning(request, reason)
                return redirect(reverse("accounts:me") + "#password")
            problem = two_factor.session_problem(request)
            if problem == "again":
                from django.contrib.auth import logout

                logout(request)
                return redirect(reverse("accounts:login"))
            if problem == "enrol":
                messages.warning(
                    request, "您的角色须启用两步验证：请用手机上的身份验证器扫码启用后继续"
                )
                return redirect(reverse("accounts:two_factor"))
        return self.get_response(request)
