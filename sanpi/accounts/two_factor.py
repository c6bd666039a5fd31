"""Two-factor sign-in (等保三级 身份鉴别: two different kinds of proof), with django-otp.

A user enrols a TOTP device (any authenticator app: the page shows a QR code and the key)
and receives ten one-time recovery codes. From then on the password is the first step of
signing in and a code from the app (or a recovery code) the second; the password step alone
opens no session. Two-factor is required for the roles in SANPI_2FA_ROLES (by default the
system and audit administrators; ``all`` for every role): such a user who has not enrolled
is sent to enrol before any other page. A system administrator can reset a user's second
factor (a lost phone); every enrolment, use of a recovery code and reset is audited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from sanpi.core import audit
from sanpi.core.errors import PermissionDenied, ValidationFailed
from sanpi.core.services import require

from .models import User
from .roles import Cap

RECOVERY_CODES = 10
NOT_ENROLLED = "sanpi_2fa_none"  # session key: signed in with one step, having no device
PENDING_SECONDS = 5 * 60  # the second step must follow the first within this time
ENROL_FIRST = "您的角色须启用两步验证：请先在“我的账号 → 两步验证”中启用"
DEVICE_NAME = "身份验证器"
RECOVERY_NAME = "恢复码"


def required_for(user: User) -> bool:
    """Whether the user's role must sign in with two factors (SANPI_2FA_ROLES)."""
    roles = settings.SANPI_2FA_ROLES
    return "all" in roles or user.role in roles


def enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def must_enrol(user: User) -> bool:
    """A role that must sign in with two factors, not enrolled yet: no page but enrolment,
    and no API token (the token would be a way in with the password alone)."""
    return required_for(user) and not enrolled(user)


def enrolled_among(user_ids: list[int]) -> set[int]:
    """Which of these users have enrolled (one query, for a page of the user list)."""
    return set(
        TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list(
            "user_id", flat=True
        )
    )


def pending_device(user: User) -> TOTPDevice:
    """The authenticator being enrolled (its key shown until confirmed by a first code)."""
    found = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return found or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def qr_svg(totp: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code (no image request, no JS)."""
    import segno

    return segno.make(totp.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def secret_text(totp: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    key = b32encode(totp.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _clean(code: str) -> str:
    return "".join(str(code or "").split()).replace("-", "")


@transaction.atomic
def enrol(*, user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a first code from the app; returns it and
    the new recovery codes (shown once). Refused: a wrong code, an already enrolled user."""
    if enrolled(user):
        raise ValidationFailed.of("code", "您已启用两步验证；如需更换手机，请联系系统管理员重置")
    totp = pending_device(user)
    if not totp.verify_token(_clean(code)):
        raise ValidationFailed.of("code", "验证码不正确：请输入身份验证器应用中当前显示的6位数字")
    totp.confirmed = True
    totp.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit.record(user=user, action="security", obj=user, message="启用两步验证（身份验证器）")
    return totp, codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


def verify(*, user: User, code: str):
    """The device that accepts ``code`` (the authenticator's current code, or an unused
    recovery code, which is then spent), or None. Wrong codes count towards the lockout
    like wrong passwords."""
    from .services import password_failed

    code = _clean(code)
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if totp is not None and code.isdigit() and totp.verify_token(code):
        return totp
    for static in StaticDevice.objects.filter(user=user, confirmed=True):
        if static.verify_token(code.lower()):
            left = StaticToken.objects.filter(device=static).count()
            audit.record(
                user=user, action="security", obj=user,
                message=f"使用恢复码登录（剩余{left}个）",
            )  # fmt: skip
            return static
    password_failed(user, what="两步验证码错误")
    return None


@transaction.atomic
def reset(*, by: User, user: User) -> None:
    """A system administrator removes a user's second factor (a lost phone): they enrol
    again at their next sign-in (if their role requires it)."""
    require(by, Cap.MANAGE_USERS)
    if by.pk == user.pk:
        raise PermissionDenied("不能重置自己的两步验证：请由另一位系统管理员操作")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record(user=by, action="security", obj=user, message="重置两步验证")


def session_problem(request) -> str:
    """'' if this signed-in session may go on; "enrol" when the user's role requires a
    second factor they have not enrolled; "again" when the user has one but this session
    did not pass it (opened before enrolling, or by other means)."""
    user = request.user
    if user.is_verified():
        return ""
    if request.session.get(NOT_ENROLLED) and not required_for(user):
        return ""  # signed in with one step, allowed to: no query needed
    if enrolled(user):
        return "again"
    return "enrol" if required_for(user) else ""
