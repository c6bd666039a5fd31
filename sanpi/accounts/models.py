from __future__ import annotations

import datetime as dt
import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from .roles import ROLE_CAPS, ROLE_DIMENSION, ROLE_LABELS, Cap, Role

# The unit (a foreign key of the account, named as the role's scope dimension) that binds
# each role; the other roles belong to no unit (an agent's scope is the agent).
ROLE_UNIT: dict[str, str] = {
    r.value: d for r, d in ROLE_DIMENSION.items() if d is not None and d != "agent"
}
UNIT_FIELDS = tuple(dict.fromkeys(ROLE_UNIT.values()))


def _unit_matches_role() -> Q:
    """An account holds its role's unit and no other (a city-wide role holds none)."""
    condition = Q(
        role__in=[r.value for r in Role if r.value not in ROLE_UNIT],
        **{f"{f}__isnull": True for f in UNIT_FIELDS},
    )
    for role, unit in ROLE_UNIT.items():
        condition |= Q(role=role, **{f"{f}__isnull": f != unit for f in UNIT_FIELDS})
    return condition


class User(AbstractUser):
    """A unique, personal account. Role decides capabilities; county/zone/enterprise the scope."""

    ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role]

    role = models.CharField("角色", max_length=20, choices=ROLE_CHOICES)
    full_name = models.CharField("姓名", max_length=50, blank=True)
    county = models.ForeignKey(
        "regions.County",
        verbose_name="所属县(市、区)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    zone = models.ForeignKey(
        "regions.DevelopmentZone",
        verbose_name="所属开发区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    enterprise = models.ForeignKey(
        "regions.Enterprise",
        verbose_name="所属企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    department = models.ForeignKey(
        "regions.Department",
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    bank = models.ForeignKey(
        "finance.Bank",
        verbose_name="所属银行",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    failed_logins = models.PositiveIntegerField("连续登录失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    # Set when an administrator gives the account its password (created or reset): the
    # owner must choose their own at the next sign-in (等保三级).
    must_change_password = models.BooleanField("须修改初始密码", default=False)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                name="user_scope_matches_role",
                violation_error_message="角色与所属单位不一致",
                condition=_unit_matches_role(),
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    # --- role and scope -------------------------------------------------------------
    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role_enum]

    def password_expired(self, now=None) -> bool:
        """Older than SANPI_PASSWORD_MAX_AGE_DAYS (0: passwords never expire)."""
        from django.conf import settings
        from django.utils import timezone

        days = settings.SANPI_PASSWORD_MAX_AGE_DAYS
        if not days or self.password_changed_at is None:
            return False
        return (now or timezone.now()) - self.password_changed_at > dt.timedelta(days=days)

    def password_change_reason(self) -> str:
        """Why the user must change their password before anything else ('' if not)."""
        if self.must_change_password:
            return "这是管理员为您设置的初始密码，请先修改为只有您知道的密码"
        if self.password_expired():
            from django.conf import settings

            return f"您的密码已使用超过{settings.SANPI_PASSWORD_MAX_AGE_DAYS}天，请修改后继续"
        return ""

    def can(self, cap: Cap | str) -> bool:
        return self.is_active and Cap(cap) in ROLE_CAPS[self.role_enum]

    @property
    def sees_all(self) -> bool:
        return ROLE_DIMENSION[self.role_enum] is None and self.can(Cap.VIEW_LEDGER)

    @property
    def scope_dimension(self) -> str | None:
        return ROLE_DIMENSION[self.role_enum]

    @property
    def scope_value(self) -> int | None:
        dimension = self.scope_dimension
        if dimension == "agent":
            return self.pk  # an agent's scope: the services they are commissioned for
        return getattr(self, f"{dimension}_id") if dimension else None

    @property
    def scope_label(self) -> str:
        dimension = self.scope_dimension
        if dimension is None:
            return "全市" if self.sees_all else "—"
        if dimension == "agent":
            return "受托代办的项目"
        return str(getattr(self, dimension))


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("名称", max_length=50)
    prefix = models.CharField("前缀", max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked = models.BooleanField("已吊销", default=False)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class PasswordHistory(models.Model):
    """A password the user had (its hash), kept so that the last few are not reused."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField("密码（散列）", max_length=128)
    created_at = models.DateTimeField("停用时间", auto_now_add=True)

    class Meta:
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"
