"""Account writes: sign-in with lockout, account creation, password changes, API tokens.

等保三级: unique personal accounts; passwords checked against the validators in
settings; after SANPI_LOCKOUT_THRESHOLD consecutive failures an account is locked
for SANPI_LOCKOUT_MINUTES; every success, failure and lockout is audited.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from sanpi.core import audit
from sanpi.core.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.core.services import require, validate_instance

from .models import ApiToken, PasswordHistory, User
from .passwords import HISTORY
from .roles import ROLE_LABELS, Cap, Role

ACCOUNT_LOCKED = "account_locked"  # a notification kind (registered by notifications.kinds)

# One message for every refusal (unknown name, wrong password, locked, disabled): a
# refusal must not reveal whether an account exists or is locked. The owner learns of
# a lockout by notification (in-app and email), and the system administrators too.
GENERIC_LOGIN_ERROR = "用户名或密码错误。连续输错多次的账号会被暂时锁定，请稍后再试或联系系统管理员"


class LoginRefused(ServiceError):
    status = 401
    code = "login_refused"


def login_check(*, username: str, password: str, ip: str | None = None) -> User:
    """Authenticate, applying the lockout per account and the throttle per client
    address. Returns the user or raises LoginRefused (always GENERIC_LOGIN_ERROR).

    A refusal still commits its failure counter and audit row: the transaction
    ends before the refusal is raised. Every path runs the password hasher once, so a
    locked or unknown account answers as slowly as a wrong password.
    """
    with transaction.atomic():
        user = _login_attempt(username, password, ip)
    if user is None:
        raise LoginRefused(GENERIC_LOGIN_ERROR)
    return user


def _ip_key(ip: str) -> str:
    return f"login-failures:{ip}"


def _ip_blocked(ip: str | None) -> bool:
    if not ip:
        return False
    return cache.get(_ip_key(ip), 0) >= settings.SANPI_LOGIN_IP_THRESHOLD


def _ip_failed(ip: str | None) -> None:
    if ip:
        key = _ip_key(ip)
        cache.add(key, 0, timeout=settings.SANPI_LOGIN_IP_MINUTES * 60)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.SANPI_LOGIN_IP_MINUTES * 60)


def _burn_hasher(password: str) -> None:
    """Hash the password once for nothing (as Django does for an unknown username)."""
    User().set_password(password)


def _login_attempt(username: str, password: str, ip: str | None) -> User | None:
    now = timezone.now()
    user = User.objects.select_for_update().filter(username=username).first()
    if _ip_blocked(ip):
        _burn_hasher(password)
        audit.record(
            user=user, username=username[:150], action="login_failed", obj=user,
            message="来源地址登录失败次数过多，暂停受理",
        )  # fmt: skip
        return None
    if user is not None and user.locked_until and user.locked_until > now:
        _burn_hasher(password)
        _ip_failed(ip)
        audit.record(user=user, action="login_failed", obj=user, message="账号已锁定")
        return None
    authenticated = authenticate(username=username, password=password)
    if authenticated is None:
        _ip_failed(ip)
        if user is None:
            audit.record(
                user=None, username=username[:150], action="login_failed", message="用户不存在"
            )
            return None
        password_failed(user, now=now, what="密码错误")
        return None
    authenticated.failed_logins = 0
    authenticated.locked_until = None
    authenticated.last_login = now
    authenticated.save(update_fields=["failed_logins", "locked_until", "last_login"])
    audit.record(user=authenticated, action="login", obj=authenticated)
    return authenticated


def since_last_login(user: User) -> str:
    """What the user is shown as they sign in (等保三级): the sign-in before this one (time
    and address) and the failed attempts on their account since, from the audit log."""
    rows = AuditLog.objects.filter(object_type="accounts.user", object_id=str(user.pk))
    logins = list(rows.filter(action=AuditLog.Action.LOGIN).order_by("-id")[:2])
    if len(logins) < 2:  # this sign-in is the only one
        return "这是您第一次登录。"
    last = logins[1]
    failures = rows.filter(
        action__in=[AuditLog.Action.LOGIN_FAILED, AuditLog.Action.LOCKED], id__gt=last.id
    ).count()
    at = timezone.localtime(last.at)
    text = f"上次登录：{at:%Y-%m-%d %H:%M}，来自 {last.ip or '未知地址'}。"
    if failures:
        text += f"此后有 {failures} 次失败的登录尝试：如非本人所为，请修改密码并告知系统管理员。"
    else:
        text += "此后没有失败的登录尝试。"
    return text


def password_failed(user: User, *, now=None, what: str = "密码错误") -> bool:
    """Count a wrong password for an account (at sign-in, a wrong second-step code, or the
    current password when changing it); at SANPI_LOCKOUT_THRESHOLD in a row the account
    locks for SANPI_LOCKOUT_MINUTES and its owner and the system administrators are told.
    Counted on the account's row locked and re-read, so that failures at the same moment
    all count; ``user`` is updated with the result. Returns whether this failure locked it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.failed_logins += 1
        locks = locked.failed_logins >= settings.SANPI_LOCKOUT_THRESHOLD
        if locks:
            locked.locked_until = now + dt.timedelta(minutes=settings.SANPI_LOCKOUT_MINUTES)
            locked.failed_logins = 0
            locked.save(update_fields=["failed_logins", "locked_until"])
            audit.record(user=locked, action="locked", obj=locked, message=f"连续{what}，账号锁定")
            _tell_locked(locked)
        else:
            locked.save(update_fields=["failed_logins"])
            audit.record(
                user=locked,
                action="login_failed",
                obj=locked,
                message=f"{what}（连续第{locked.failed_logins}次）",
            )
    user.failed_logins, user.locked_until = locked.failed_logins, locked.locked_until
    return locks


def _tell_locked(user: User) -> None:
    from sanpi.notifications.services import notify

    minutes = settings.SANPI_LOCKOUT_MINUTES
    admins = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk)
    notify(
        kind=ACCOUNT_LOCKED,
        title=f"账号“{user.username}”因连续输错密码已锁定{minutes}分钟",
        text="如非本人操作，说明有人在尝试登录此账号：请联系系统管理员。"
        "系统管理员可在“用户管理”中提前解除锁定。",
        users=[user, *admins],
        level="warning",
    )


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed("；".join(exc.messages), fields={"password": exc.messages}) from None


# Units that only their own role's accounts hold, with the field's words.
_OWN_UNITS = {Role.DEPARTMENT: ("department", "部门"), Role.BANK: ("bank", "银行")}


def _check_units(role: Role, units: dict) -> None:
    """所属部门 belongs to 部门 accounts alone and 所属银行 to 银行 accounts: required
    there, refused on every other role."""
    for own, (field, label) in _OWN_UNITS.items():
        value = units.get(field)
        if role == own and value is None:
            raise ValidationFailed.of(field, f"角色与所属单位不一致：{label}账号须选择所属{label}")
        if role != own and value is not None:
            raise ValidationFailed.of(
                field,
                f"角色与所属单位不一致：{ROLE_LABELS[role]}账号不能选择所属{label}，"
                f"只有{label}账号才属于某个{label}，请留空",
            )


@transaction.atomic
def user_create(
    *,
    by: User | None,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    county=None,
    zone=None,
    enterprise=None,
    department=None,
    bank=None,
    temporary: bool | None = None,
) -> User:
    """Create an account. `by` None only for the installation's first administrator (CLI).
    A password an administrator gives someone else is ``temporary`` (by default): its
    owner must change it at the first sign-in."""
    if by is not None:
        require(by, Cap.MANAGE_USERS)
    elif role != Role.ADMIN or User.objects.filter(role=Role.ADMIN).exists():
        raise PermissionDenied("已有系统管理员：账号须由系统管理员创建")
    role = Role(role)
    _check_units(role, {"department": department, "bank": bank})
    user = User(
        username=username,
        role=role.value,
        full_name=full_name,
        county=county,
        zone=zone,
        enterprise=enterprise,
        department=department,
        bank=bank,
    )
    validate_instance(user, exclude=["password"])
    _check_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = by is not None if temporary is None else temporary
    user.save()
    audit.record(
        user=by,
        username="" if by else "system",
        action="create",
        obj=user,
        after=audit.snapshot(
            user,
            ["username", "role", "full_name", "county", "zone", "enterprise", "department", "bank"],
        ),
    )
    return user


@transaction.atomic
def user_set_password(*, by: User, user: User, password: str) -> None:
    if by.pk != user.pk:
        require(by, Cap.MANAGE_USERS)
    _check_password(password, user)
    if user.password:
        PasswordHistory.objects.create(user=user, password=user.password)
        keep = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-pk")
        stale = list(keep.values_list("pk", flat=True)[HISTORY:])
        PasswordHistory.objects.filter(pk__in=stale).delete()
    user.set_password(password)
    user.password_changed_at = timezone.now()
    # Set by an administrator: the owner chooses their own at the next sign-in.
    user.must_change_password = by.pk != user.pk
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    audit.record(user=by, action="security", obj=user, message="修改密码")


@transaction.atomic
def user_set_email(*, by: User, user: User, email: str) -> None:
    """The address a user's notifications are mailed to (empty: none), set by the user
    or the system administrator; audited with the old and new address."""
    if by.pk != user.pk:
        require(by, Cap.MANAGE_USERS)
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationFailed.of(
                "email", "邮箱地址格式不正确，例如 name@lvliang.gov.cn"
            ) from None
    if len(email) > User._meta.get_field("email").max_length:
        raise ValidationFailed.of("email", "邮箱地址太长")
    if email == user.email:
        return
    before = user.email
    user.email = email
    user.save(update_fields=["email"])
    audit.record(
        user=by,
        action="update",
        obj=user,
        before={"email": before},
        after={"email": email},
        message="设置接收通知的邮箱",
    )


@transaction.atomic
def user_unlock(*, by: User, user: User) -> None:
    require(by, Cap.MANAGE_USERS)
    user.locked_until = None
    user.failed_logins = 0
    user.save(update_fields=["locked_until", "failed_logins"])
    audit.record(user=by, action="security", obj=user, message="解除锁定")


@transaction.atomic
def user_set_active(*, by: User, user: User, active: bool) -> None:
    """Disable an account (a person who left, a role that changed) or enable it again.

    Accounts are never deleted: their audit trail names them. Disabling also revokes the
    account's API tokens, and the user cannot disable their own account.
    """
    require(by, Cap.MANAGE_USERS)
    if user.pk == by.pk and not active:
        raise ValidationFailed("不能停用自己的账号")
    if user.is_active == active:
        return
    user.is_active = active
    user.save(update_fields=["is_active"])
    revoked = 0 if active else user.api_tokens.filter(revoked=False).update(revoked=True)
    message = "启用账号" if active else f"停用账号（吊销接口令牌{revoked}个）"
    audit.record(user=by, action="security", obj=user, message=message)


@transaction.atomic
def api_token_revoke(*, by: User, token: ApiToken) -> None:
    """Revoke one of one's own API tokens."""
    if token.user_id != by.pk:
        raise NotFound()
    if token.revoked:
        return
    token.revoked = True
    token.save(update_fields=["revoked"])
    audit.record(user=by, action="security", obj=token, message=f"吊销接口令牌“{token.name}”")


@transaction.atomic
def api_token_create(*, by: User, name: str, days: int = 90) -> tuple[ApiToken, str]:
    """Issue a token for oneself. Returns (token, key); only the key's hash is stored.
    Refused to a role that must sign in with two factors and has not enrolled."""
    from . import two_factor

    if two_factor.must_enrol(by):
        raise PermissionDenied(two_factor.ENROL_FIRST)
    key = "sp_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=by,
        name=name[:50] or "接口令牌",
        prefix=key[3:11],
        key_hash=ApiToken.hash_key(key),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    audit.record(user=by, action="security", obj=token, message=f"创建接口令牌“{token.name}”")
    return token, key


def api_token_user(key: str) -> User | None:
    """The active user a token key belongs to, or None: also for a role that must sign in
    with two factors and has not enrolled (a token made before; the API is no way around
    the second factor)."""
    from . import two_factor

    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked=False)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return None
    if two_factor.must_enrol(token.user):
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
