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
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from sanpi.core import audit
from sanpi.core.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from sanpi.core.services import require, validate_instance

from .models import ApiToken, User
from .roles import ROLE_LABELS, Cap, Role

GENERIC_LOGIN_ERROR = "用户名或密码错误"


class LoginRefused(ServiceError):
    status = 401
    code = "login_refused"


def login_check(*, username: str, password: str) -> User:
    """Authenticate, applying the lockout. Returns the user or raises LoginRefused.

    A refusal still commits its failure counter and audit row: the transaction
    ends before the refusal is raised.
    """
    with transaction.atomic():
        user, refusal = _login_attempt(username, password)
    if refusal:
        raise LoginRefused(refusal)
    return user


def _login_attempt(username: str, password: str) -> tuple[User | None, str]:
    now = timezone.now()
    user = User.objects.select_for_update().filter(username=username).first()
    if user is not None and user.locked_until and user.locked_until > now:
        audit.record(user=user, action="login_failed", obj=user, message="账号已锁定")
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        return None, f"登录失败次数过多，账号已锁定，请{minutes}分钟后再试或联系管理员"
    authenticated = authenticate(username=username, password=password)
    if authenticated is None:
        if user is None:
            audit.record(
                user=None, username=username[:150], action="login_failed", message="用户不存在"
            )
            return None, GENERIC_LOGIN_ERROR
        user.failed_logins += 1
        if user.failed_logins >= settings.SANPI_LOCKOUT_THRESHOLD:
            user.locked_until = now + dt.timedelta(minutes=settings.SANPI_LOCKOUT_MINUTES)
            user.failed_logins = 0
            user.save(update_fields=["failed_logins", "locked_until"])
            audit.record(user=user, action="locked", obj=user, message="连续登录失败，账号锁定")
            return None, f"登录失败次数过多，账号已锁定{settings.SANPI_LOCKOUT_MINUTES}分钟"
        user.save(update_fields=["failed_logins"])
        audit.record(
            user=user,
            action="login_failed",
            obj=user,
            message=f"密码错误（连续第{user.failed_logins}次）",
        )
        # The same words as for an unknown username, so a refusal doesn't reveal accounts.
        return None, GENERIC_LOGIN_ERROR
    if not authenticated.is_active:
        return None, "账号已停用"
    authenticated.failed_logins = 0
    authenticated.locked_until = None
    authenticated.last_login = now
    authenticated.save(update_fields=["failed_logins", "locked_until", "last_login"])
    audit.record(user=authenticated, action="login", obj=authenticated)
    return authenticated, ""


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed("；".join(exc.messages), fields={"password": exc.messages}) from None


def _check_department(role: Role, department) -> None:
    """所属部门 belongs to 部门 accounts alone: required there, refused on every other role."""
    if role == Role.DEPARTMENT and department is None:
        raise ValidationFailed.of("department", "角色与所属单位不一致：部门账号须选择所属部门")
    if role != Role.DEPARTMENT and department is not None:
        raise ValidationFailed.of(
            "department",
            f"角色与所属单位不一致：{ROLE_LABELS[role]}账号不能选择所属部门，"
            "只有部门账号才属于某个部门，请留空",
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
) -> User:
    """Create an account. `by` None only for the installation's first administrator (CLI)."""
    if by is not None:
        require(by, Cap.MANAGE_USERS)
    elif role != Role.ADMIN or User.objects.filter(role=Role.ADMIN).exists():
        raise PermissionDenied("已有系统管理员：账号须由系统管理员创建")
    role = Role(role)
    _check_department(role, department)
    user = User(
        username=username,
        role=role.value,
        full_name=full_name,
        county=county,
        zone=zone,
        enterprise=enterprise,
        department=department,
    )
    validate_instance(user, exclude=["password"])
    _check_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    audit.record(
        user=by,
        username="" if by else "system",
        action="create",
        obj=user,
        after=audit.snapshot(
            user,
            ["username", "role", "full_name", "county", "zone", "enterprise", "department"],
        ),
    )
    return user


@transaction.atomic
def user_set_password(*, by: User, user: User, password: str) -> None:
    if by.pk != user.pk:
        require(by, Cap.MANAGE_USERS)
    _check_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
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
    """Issue a token for oneself. Returns (token, key); only the key's hash is stored."""
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
    """The active user a token key belongs to, or None."""
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
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
