from __future__ import annotations

from django import forms
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from sanpi.core import audit

from .services import LoginRefused, login_check


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput)


def login_view(request):
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = login_check(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except LoginRefused as exc:
            error = exc.message
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            target = request.GET.get("next") or "/"
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = "/"
            return redirect(target)
    return render(
        request, "accounts/login.html", {"form": form, "error": error}, status=401 if error else 200
    )


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit.record(user=request.user, action="logout", obj=request.user)
    logout(request)
    return redirect("accounts:login")
