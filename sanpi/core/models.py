"""Cross-cutting models: the audit log, background jobs and the official working-day calendar."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class AuditLog(models.Model):
    """One row per write or security event. Append-only.

    Rows are never updated or deleted: the model refuses it, and database triggers
    (migration 0002) refuse it on SQLite and PostgreSQL alike, so not even a raw SQL
    session of the application user can rewrite history.
    """

    class Action(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        STAGE = "stage", "阶段变更"
        IMPORT = "import", "导入"
        EXPORT = "export", "导出"
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出"
        LOCKED = "locked", "账号锁定"
        SECURITY = "security", "安全设置"
        ARCHIVE = "archive", "归档"
        ARCHIVE_VERIFY = "archive_verify", "核验归档"
        PURGE = "purge", "清除已归档记录"

    class Source(models.TextChoices):
        WEB = "web", "网页"
        API = "api", "接口"
        CLI = "cli", "命令行"
        SYSTEM = "system", "系统"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    username = models.CharField("用户名", max_length=150, blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    request_id = models.CharField("请求编号", max_length=36, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    object_type = models.CharField("对象类型", max_length=60, blank=True, db_index=True)
    object_id = models.CharField("对象编号", max_length=40, blank=True, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    message = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("审计记录不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("审计记录不可删除")

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for the fields that differ."""
        before = self.before or {}
        after = self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class AuditSeal(models.Model):
    """The audit log's hash chain (sanpi.core.audit_chain): one seal per audit row, in
    the order rows were sealed. ``seq`` runs 1, 2, 3… without gaps; ``hash`` covers the
    row's content and the previous seal's hash. Append-only like the log (migration
    0010): rewriting a row, deleting one, or removing a seal breaks the chain, which
    `sanpi audit verify` recomputes."""

    seq = models.PositiveBigIntegerField("序号", unique=True)
    entry = models.OneToOneField(
        AuditLog, verbose_name="审计记录", on_delete=models.PROTECT, related_name="seal"
    )
    prev = models.CharField("前一哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64)
    algorithm = models.CharField("算法", max_length=10, default="sha256")
    sealed_at = models.DateTimeField("封存时间", auto_now_add=True)

    class Meta:
        verbose_name = "审计链"
        verbose_name_plural = "审计链"
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.seq} {self.hash[:12]}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("审计链不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("审计链不可删除")


class AuditArchive(models.Model):
    """An archive of the audit log's oldest sealed rows, written to a signed file
    (core.audit_archive): which seals it holds, the chain hash before its first and at its
    last, and the SHA-256 of the file, so a purge can tell that the file it is given is
    one this system wrote. Append-only (migration 0012)."""

    made_at = models.DateTimeField("归档时间", auto_now_add=True)
    username = models.CharField("归档人", max_length=150)
    before = models.DateTimeField("归档截止（不含）")
    first_seq = models.PositiveBigIntegerField("起始序号")
    last_seq = models.PositiveBigIntegerField("截止序号")
    first_id = models.PositiveBigIntegerField("起始记录编号")
    last_id = models.PositiveBigIntegerField("截止记录编号")
    count = models.PositiveIntegerField("记录条数")
    oldest_at = models.DateTimeField("最早记录时间")
    newest_at = models.DateTimeField("最晚记录时间")
    prev_hash = models.CharField("起点哈希", max_length=64)
    head_hash = models.CharField("截止链头哈希", max_length=64)
    digest = models.CharField("文件SHA-256", max_length=64, db_index=True)
    filename = models.CharField("文件名", max_length=255, blank=True)

    class Meta:
        verbose_name = "审计归档"
        verbose_name_plural = "审计归档"
        ordering = ["-made_at", "-id"]

    def __str__(self) -> str:
        return f"审计归档 第{self.first_seq}至{self.last_seq}号（{self.count}条）"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("审计归档记录不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("审计归档记录不可删除")


class AuditPurge(models.Model):
    """Rows of an archive deleted from the online log. The newest purge is the boundary the
    online chain starts from (``last_seq``, ``head_hash``); the database lets audit rows and
    seals be deleted only up to it and only when older than 180 days (migration 0012).
    Append-only."""

    archive = models.OneToOneField(
        AuditArchive, verbose_name="审计归档", on_delete=models.PROTECT, related_name="purge"
    )
    purged_at = models.DateTimeField("清除时间", auto_now_add=True)
    username = models.CharField("清除人", max_length=150)
    last_seq = models.PositiveBigIntegerField("截止序号", unique=True)
    head_hash = models.CharField("截止链头哈希", max_length=64)

    class Meta:
        verbose_name = "审计归档清除"
        verbose_name_plural = "审计归档清除"
        ordering = ["-last_seq"]

    def __str__(self) -> str:
        return f"已清除至审计链第{self.last_seq}号"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("审计归档清除记录不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("审计归档清除记录不可删除")


class Job(models.Model):
    """One piece of background work: an import, an export, a bulletin, a scheduled job.

    ``core.jobs`` starts it (this row and its task in the queue, in one transaction), a
    worker (``sanpi worker``) runs it, and its outcome lands here: a summary, a file to
    download, or the errors (an import's with a copy of the file, bad cells marked).
    Progress while it runs lives in the cache. A job started by a user is visible to that
    user and to the system administrator; a scheduled job has no user.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "处理中"
        DONE = "done", "已完成"
        REJECTED = "rejected", "有错误，未导入"
        FAILED = "failed", "失败"

    FINISHED = (Status.DONE, Status.REJECTED, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("类型", max_length=40, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="jobs",
        null=True,
        blank=True,
    )
    filename = models.CharField("文件名", max_length=255, blank=True)
    dry_run = models.BooleanField("仅校验", default=False)
    params = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    worker = models.CharField("处理进程", max_length=100, blank=True)
    task_id = models.CharField("队列任务编号", max_length=64, blank=True)
    retry_of = models.ForeignKey(
        "self",
        verbose_name="重试自",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retries",
    )
    # Where the job was started from, so its audit rows say so too (web, api, cli, system).
    origin = models.JSONField("来源", default=dict, blank=True)
    message = models.CharField("结果", max_length=500, blank=True)
    summary = models.JSONField("结果明细", default=dict, blank=True)
    errors = models.JSONField("错误", default=list, blank=True)
    marked_file = models.BinaryField("标注错误的文件", null=True, blank=True)
    result_file = models.BinaryField("结果文件", null=True, blank=True)
    result_name = models.CharField("结果文件名", max_length=255, blank=True)
    # The upload, kept while the job runs and after a refusal, so the user can import it
    # again with columns assigned by hand; cleared once the job has succeeded.
    source_file = models.BinaryField("上传的文件", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="core_import_user_id_1b469b_idx"),
            models.Index(fields=["status", "created_at"], name="core_job_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.filename or self.kind}（{self.get_status_display()}）"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class WorkerProcess(models.Model):
    """A running ``sanpi worker``: its heartbeat tells the others it is alive, so a job
    left "running" by a worker that died (kill -9, power cut) is found and settled."""

    id = models.CharField("编号", max_length=100, primary_key=True)  # host:pid:start
    host = models.CharField("主机", max_length=100)
    pid = models.PositiveIntegerField("进程号")
    started_at = models.DateTimeField("启动时间", auto_now_add=True)
    seen_at = models.DateTimeField("最近心跳", db_index=True)

    class Meta:
        verbose_name = "后台处理进程"
        verbose_name_plural = "后台处理进程"
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return self.id


class ImportMapping(models.Model):
    """A user's own assignment of their files' column headers to template columns, for
    one kind of import: remembered when they assign columns by hand, offered next time."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="import_mappings",
    )
    kind = models.CharField("类型", max_length=30)
    mapping = models.JSONField("列对应", default=dict)  # file header -> template header or ""
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "导入列对应"
        verbose_name_plural = "导入列对应"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="import_mapping_user_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user}：{self.kind}"


class CalendarSource(models.TextChoices):
    PACKAGE = "package", "数据包（chinesecalendar）"
    ADMIN = "admin", "管理员录入"


class CalendarDay(models.Model):
    """One day of the official holiday schedule (国务院办公厅节假日安排).

    A day off (放假) or an adjusted working day on a weekend (调休上班). Days not listed
    follow the weekend rule. Weekend days inside a holiday period are listed too, as the
    notice lists them; they change no count. See core.calendar.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "放假"
        WORKDAY = "workday", "调休上班"

    date = models.DateField("日期", primary_key=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("节日名称", max_length=50)
    source = models.CharField("来源", max_length=10, choices=CalendarSource.choices)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "workday"]),
                name="core_calendarday_kind_valid",
                violation_error_message="类型须为“放假”或“调休上班”",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}（{self.get_kind_display()}）"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.kind == self.Kind.WORKDAY and self.date and self.date.weekday() < 5:
            raise ValidationError(
                {"kind": "调休上班只能设在周六或周日（周一至周五本来就是工作日）"}
            )


class CalendarYear(models.Model):
    """Whether a year's holiday schedule is complete, and where it came from.

    Counting in a year that is not covered falls back to weekends only and is marked
    provisional (core.workdays).
    """

    year = models.PositiveSmallIntegerField(
        "年份",
        primary_key=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2200)],
    )
    covered = models.BooleanField("节假日安排已录入", default=False)
    source = models.CharField("来源", max_length=10, choices=CalendarSource.choices)
    basis = models.CharField(
        "依据",
        max_length=200,
        blank=True,
        help_text="如：国务院办公厅关于2027年部分节假日安排的通知",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "工作日历年度"
        verbose_name_plural = "工作日历年度"
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=1900, year__lte=2200),
                name="core_calendaryear_year_range",
                violation_error_message="年份须在1900年至2200年之间",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年（{'已录入' if self.covered else '未录入'}）"


class Schedule(models.Model):
    """A periodic job: declared in code with ``@periodic`` (core.schedules), run as a job
    of the same kind with no user. The row mirrors the declaration and holds what the
    system administrator may change (time of day or interval, on or off, working days
    only) and when it is due next; a worker fires it (``schedules.tick``)."""

    class Every(models.TextChoices):
        DAILY = "daily", "每天"
        INTERVAL = "interval", "按间隔"

    name = models.CharField("任务", max_length=40, primary_key=True)  # the job kind
    label = models.CharField("名称", max_length=100)
    every = models.CharField("周期", max_length=10, choices=Every.choices)
    at = models.TimeField("每天执行时间", null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(
        "间隔（分钟）",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
    )
    working_days_only = models.BooleanField("仅工作日", default=False)
    enabled = models.BooleanField("启用", default=True)
    # Changed by an administrator: a new default in the code no longer replaces it.
    customized = models.BooleanField("管理员已修改", default=False)
    next_run = models.DateTimeField("下次执行", null=True, blank=True, db_index=True)
    last_fired_at = models.DateTimeField("上次执行", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "定时任务"
        verbose_name_plural = "定时任务"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name

    @property
    def when_text(self) -> str:
        """每天 01:00（仅工作日）, 每15分钟, 每小时 …"""
        if self.every == self.Every.DAILY:
            text = f"每天 {self.at:%H:%M}" if self.at else "每天"
        elif self.minutes == 60:
            text = "每小时"
        elif self.minutes and self.minutes % 60 == 0:
            text = f"每{self.minutes // 60}小时"
        else:
            text = f"每{self.minutes}分钟"
        return text + ("（仅工作日）" if self.working_days_only else "")
