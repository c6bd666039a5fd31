"""Notifications: what a user is told (in-app), how it is also sent (email, group robots),
what each user chose, and the group robots of the organisations.

* ``Notification``: one per recipient, shown in the bell and the list; read or unread.
* ``Delivery``: one sending of a notification by one channel to one target (an email
  address, a group robot), unique per (notification, channel, target) so a retry never
  sends twice; the deliver job (``jobs.py``) sends the pending ones that are due.
* ``Preference``: a user's channels for one kind of notification (in-app is always on).
* ``Webhook``: the group robot (企业微信 or 钉钉) of one county, zone or department, set
  by the system administrator. Its address carries the robot's key: it is shown masked.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Level(models.TextChoices):
    INFO = "info", "提示"
    WARNING = "warning", "警告"
    URGENT = "urgent", "紧急"


class Channel(models.TextChoices):
    EMAIL = "email", "邮件"
    WECOM = "wecom", "企业微信群机器人"
    DINGTALK = "dingtalk", "钉钉群机器人"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField("类型", max_length=40)
    level = models.CharField("级别", max_length=10, choices=Level.choices, default=Level.INFO)
    title = models.CharField("标题", max_length=200)
    text = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=500, blank=True)  # a same-site path, or ""
    # What the notification is about, for rules that notify an object once (per day):
    # e.g. "approvals.commitment:12:2026-05-20". Blank for one-off notifications.
    subject = models.CharField("关联对象", max_length=120, blank=True)
    batch = models.UUIDField("批次", default=uuid.uuid4, editable=False)  # one notify() call
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_list"),
            models.Index(fields=["kind", "subject"], name="notification_subject"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def unread(self) -> bool:
        return self.read_at is None


UNIT_FIELDS = ("county", "zone", "department")  # the organisations a robot belongs to


class Webhook(models.Model):
    """The group robot of one organisation: exactly one of county, zone, department."""

    class Format(models.TextChoices):
        WECOM = "wecom", "企业微信"
        DINGTALK = "dingtalk", "钉钉"

    county = models.ForeignKey(
        "regions.County",
        verbose_name="县(市、区)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notification_webhooks",
    )
    zone = models.ForeignKey(
        "regions.DevelopmentZone",
        verbose_name="开发区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notification_webhooks",
    )
    department = models.ForeignKey(
        "regions.Department",
        verbose_name="部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notification_webhooks",
    )
    format = models.CharField("机器人类型", max_length=10, choices=Format.choices)
    url = models.CharField("机器人地址", max_length=500)  # secret: shown masked only
    enabled = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "群机器人"
        verbose_name_plural = "群机器人"
        ordering = ["county", "zone", "department", "pk"]
        constraints = [
            models.CheckConstraint(
                name="webhook_exactly_one_unit",
                condition=(
                    Q(county__isnull=False, zone__isnull=True, department__isnull=True)
                    | Q(county__isnull=True, zone__isnull=False, department__isnull=True)
                    | Q(county__isnull=True, zone__isnull=True, department__isnull=False)
                ),
                violation_error_message="群机器人须属于一个县(市、区)、开发区或部门（只选一个）",
            ),
            models.CheckConstraint(
                name="webhook_format_valid",
                condition=Q(format__in=["wecom", "dingtalk"]),
                violation_error_message="机器人类型须为企业微信或钉钉",
            ),
            models.UniqueConstraint(
                fields=["county"],
                name="webhook_one_per_county",
                violation_error_message="该县(市、区)已设置群机器人",
            ),
            models.UniqueConstraint(
                fields=["zone"],
                name="webhook_one_per_zone",
                violation_error_message="该开发区已设置群机器人",
            ),
            models.UniqueConstraint(
                fields=["department"],
                name="webhook_one_per_department",
                violation_error_message="该部门已设置群机器人",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit}（{self.get_format_display()}群机器人）"

    @property
    def unit(self):
        return self.county or self.zone or self.department

    @property
    def unit_key(self) -> tuple[str, int] | None:
        """("county" | "zone" | "department", its id)."""
        for name in UNIT_FIELDS:
            value = getattr(self, f"{name}_id")
            if value:
                return name, value
        return None

    @property
    def unit_kind(self) -> str:
        if self.county_id:
            return "县(市、区)"
        if self.zone_id:
            return "开发区"
        return "部门"

    @property
    def masked_url(self) -> str:
        from .channels import mask_url

        return mask_url(self.url)


class Delivery(models.Model):
    """One sending of a notification by one channel to one target."""

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    notification = models.ForeignKey(
        Notification, verbose_name="通知", on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    # An email address, or the id of the webhook (a robot delivery carries a whole batch:
    # its notification is the first of the batch's recipients in that organisation).
    target = models.CharField("发送对象", max_length=254)
    webhook = models.ForeignKey(
        Webhook,
        verbose_name="群机器人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    next_attempt_at = models.DateTimeField("下次发送时间", default=timezone.now)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "通知发送"
        verbose_name_plural = "通知发送"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel", "target"], name="delivery_once_per_target"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_status_display()}"


class Preference(models.Model):
    """A user's channels for one kind of notification, besides in-app (always on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField("类型", max_length=40)
    email = models.BooleanField("邮件", default=False)
    robot = models.BooleanField("群机器人", default=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "通知设置"
        verbose_name_plural = "通知设置"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_user_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user}：{self.kind}"
