"""Sign-in, my account (password, API tokens) and user management for the system administrator."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from sanpi.core import audit
from sanpi.core.errors import ServiceError, ValidationFailed
from sanpi.core.middleware import client_ip
from sanpi.core.web import add_service_error, paginate, require_cap, web_view

from . import selectors, services, two_factor
from .forms import EmailForm, LoginForm, PasswordChangeForm, TokenForm, UserCreateForm
from .models import User
from .roles import Cap, Role
from .services import LoginRefused, login_check

# The password step passed, the second still to come: {"user": pk, "at": time.time(),
# "next": where to go}. No signed-in session exists meanwhile.
PENDING = "sanpi_2fa_pending"


def login_view(request):
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = login_check(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except LoginRefused as exc:
            error = exc.message
        else:
            target = request.GET.get("next") or "/"
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = "/"
            if two_factor.enrolled(user):
                # The password was the first step; no session until the second.
                request.session.cycle_key()
                request.session[PENDING] = {"user": user.pk, "at": time.time(), "next": target}
                return redirect("accounts:login_otp")
            _sign_in(request, user)
            return redirect(target)
    return render(
        request, "accounts/login.html", {"form": form, "error": error}, status=401 if error else 200
    )


def _sign_in(request, user, device=None) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:
        otp_login(request, device)
    else:
        request.session[two_factor.NOT_ENROLLED] = True  # checked without a query
    messages.info(request, services.since_last_login(user))


def login_otp(request):
    """The second step of signing in: a code from the authenticator, or a recovery code."""
    pending = request.session.get(PENDING) or {}
    user = None
    if time.time() - pending.get("at", 0) < two_factor.PENDING_SECONDS:
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        messages.error(request, "请重新输入用户名和密码（两步验证须在5分钟内完成）")
        return redirect("accounts:login")
    error = ""
    if request.method == "POST":
        device = two_factor.verify(user=user, code=request.POST.get("code", "")[:64])
        if device is not None:
            request.session.pop(PENDING, None)
            _sign_in(request, user, device)
            return redirect(pending["next"])
        if user.locked_until and user.locked_until > timezone.now():  # this code locked it
            request.session.pop(PENDING, None)
            return redirect("accounts:login")
        error = "验证码不正确，请输入身份验证器中当前显示的6位数字，或一个未用过的恢复码"
    return render(
        request, "accounts/login_otp.html", {"error": error}, status=401 if error else 200
    )


@web_view
def two_factor_page(request):
    """Enrol an authenticator (QR code and key, confirmed by a first code); the recovery
    codes are shown once, right after."""
    user = request.user
    codes: list[str] = []
    error = ""
    enrolled = two_factor.enrolled(user)
    if request.method == "POST" and not enrolled:
        try:
            totp, codes = two_factor.enrol(user=user, code=request.POST.get("code", "")[:64])
        except ValidationFailed as exc:
            error = exc.message
        else:
            otp_login(request, totp)  # this session is now verified
            request.session.pop(two_factor.NOT_ENROLLED, None)
            enrolled = True
    context = {"enrolled": enrolled, "codes": codes, "error": error,
               "required": two_factor.required_for(user)}  # fmt: skip
    if not enrolled:
        totp = two_factor.pending_device(user)
        context.update(qr=two_factor.qr_svg(totp), secret=two_factor.secret_text(totp))
    return render(request, "accounts/two_factor.html", context, status=400 if error else 200)


@require_POST
@web_view
def user_reset_two_factor(request, pk: int):
    user = selectors.user_get(by=request.user, pk=pk)
    two_factor.reset(by=request.user, user=user)
    messages.success(request, f"已重置“{user.username}”的两步验证，其下次登录时重新启用")
    return redirect("accounts:user_list")


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit.record(user=request.user, action="logout", obj=request.user)
    logout(request)
    return redirect("accounts:login")


# --- my account ------------------------------------------------------------------------


def _me(
    request,
    *,
    password_form=None,
    token_form=None,
    email_form=None,
    new_key="",
    new_token=None,
    status=200,
):
    user = request.user
    return render(
        request,
        "accounts/me.html",
        {
            "password_form": password_form or PasswordChangeForm(user=user),
            "email_form": email_form or EmailForm(initial={"email": user.email}),
            "token_form": token_form or TokenForm(),
            "tokens": selectors.api_token_list(user=user),
            "new_key": new_key,
            "new_token": new_token,
            "now": timezone.now(),
            "two_factor_on": two_factor.enrolled(user),
        },
        status=status,
    )


@web_view
def me(request):
    return _me(request)


@require_POST
@web_view
def change_password(request):
    user = request.user
    form = PasswordChangeForm(request.POST, user=user)
    valid = form.is_valid()
    if form.locked:
        # The current password was wrong too many times: as at sign-in, the account
        # locks; this session ends with it.
        logout(request)
        messages.error(request, services.GENERIC_LOGIN_ERROR)
        return redirect("accounts:login")
    if valid:
        try:
            services.user_set_password(
                by=user, user=user, password=form.cleaned_data["new_password"]
            )
        except ServiceError as exc:
            if "password" in exc.fields:
                exc.fields = {"new_password": exc.fields["password"]}
            add_service_error(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改")
            return redirect("accounts:me")
    return _me(request, password_form=form)


@require_POST
@web_view
def set_email(request):
    form = EmailForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_email(
                by=request.user, user=request.user, email=form.cleaned_data["email"]
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "邮箱已保存")
            return redirect("accounts:me")
    return _me(request, email_form=form)


@require_POST
@web_view
def create_token(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = services.api_token_create(
                by=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            # The key is shown on this response only: only its hash is stored.
            response = _me(request, new_key=key, new_token=token)
            response["Cache-Control"] = "no-store"
            return response
    return _me(request, token_form=form)


# --- user management (system administrator) -------------------------------------------


@web_view
def user_list(request):
    by = request.user
    q = (request.GET.get("q") or "").strip()
    page = paginate(request, selectors.user_list(by=by, q=q))
    enrolled = two_factor.enrolled_among([u.pk for u in page.object_list])
    return render(
        request,
        "accounts/user_list.html",
        {"page": page, "q": q, "now": timezone.now(), "enrolled": enrolled},
    )


@web_view
def user_create(request):
    by = request.user
    require_cap(by, Cap.MANAGE_USERS)
    form = UserCreateForm(
        request.POST or None,
        counties=selectors.scope_counties(by=by),
        zones=selectors.scope_zones(by=by),
        departments=selectors.scope_departments(by=by),
        banks=selectors.scope_banks(by=by),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        role = data["role"]
        # The department and the bank go to the service whatever the role: it refuses one
        # on any role but 部门 or 银行 (the page only hides the field, see sanpi.js).
        unit: dict = {"department": data["department"], "bank": data["bank"]}
        if role == Role.COUNTY:
            unit["county"] = data["county"]
        elif role == Role.ZONE:
            unit["zone"] = data["zone"]
        elif role == Role.ENTERPRISE and data["enterprise_code"]:
            enterprise = selectors.scope_enterprise(by=by, credit_code=data["enterprise_code"])
            if enterprise is None:
                form.add_error(
                    "enterprise_code", "没有统一社会信用代码为此的企业，请先在台账中登记该企业"
                )
            unit["enterprise"] = enterprise
        if not form.errors:
            try:
                user = services.user_create(
                    by=by,
                    username=data["username"],
                    password=data["password"],
                    role=role,
                    full_name=data["full_name"],
                    **unit,
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已创建账号“{user.username}”（{user.role_label}）")
                return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form})


@require_POST
@web_view
def user_unlock(request, pk: int):
    by = request.user
    user = selectors.user_get(by=by, pk=pk)
    services.user_unlock(by=by, user=user)
    messages.success(request, f"已解除“{user.username}”的锁定")
    return redirect("accounts:user_list")


@require_POST
@web_view
def user_set_active(request, pk: int):
    by = request.user
    user = selectors.user_get(by=by, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(by=by, user=user, active=active)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已{'启用' if active else '停用'}账号“{user.username}”")
    return redirect("accounts:user_list")


@require_POST
@web_view
def revoke_token(request, pk: int):
    token = selectors.api_token_get(user=request.user, pk=pk)
    services.api_token_revoke(by=request.user, token=token)
    messages.success(request, f"已吊销接口令牌“{token.name}”")
    return redirect(f"{reverse('accounts:me')}#tokens")
