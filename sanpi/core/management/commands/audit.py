"""`sanpi audit verify|head|archive|archive-verify|purge`: the audit log's operator commands.

``verify``: is the audit log still append-only in this database? Checks, for the current
database vendor, that the triggers of migrations core.0002 and 0012 are installed and
enabled and cover UPDATE and DELETE (and TRUNCATE on PostgreSQL), then, if the log has
rows, that an UPDATE and a DELETE of its newest row really fail (tried inside a transaction
that is always rolled back), then recomputes the hash chain from its start (the archived
boundary). Prints the row count; exits 1 on any gap.

``archive``, ``archive-verify`` and ``purge``: rows past the retention window to a signed
file, the file checked, and the archived rows deleted (core.audit_archive). All three are
audited, as the operator (``cli:<login>``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from sanpi.accounts.actors import cli_actor
from sanpi.core import audit_archive, audit_chain
from sanpi.core.audit import audit_context
from sanpi.core.errors import ServiceError
from sanpi.core.models import AuditLog

TABLE = AuditLog._meta.db_table
FUNCTION = "core_auditlog_append_only"
DELETE_GUARD = "core_auditlog_delete_guard"  # migration 0012: DELETE only of archived old rows
# pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h)
PG_EVENTS = {"DELETE": 1 << 3, "UPDATE": 1 << 4, "TRUNCATE": 1 << 5}
PG_BEFORE = 1 << 1
REQUIRED = {"sqlite": {"UPDATE", "DELETE"}, "postgresql": {"UPDATE", "DELETE", "TRUNCATE"}}


class _Probe(Exception):
    """Raised to roll the probe's transaction back."""


def guarded_events() -> set[str]:
    """The statements that the installed, enabled append-only triggers refuse."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE]
            )
            events: set[str] = set()
            for (sql,) in cursor.fetchall():
                text = " ".join((sql or "").upper().split())
                match = re.search(r"\bBEFORE (UPDATE|DELETE)\b", text)
                if match and "RAISE(ABORT" in text.replace(" (", "("):
                    events.add(match.group(1))
            return events
        if connection.vendor == "postgresql":
            cursor.execute(
                """SELECT t.tgtype, p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                   WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal
                     AND t.tgenabled IN ('O', 'A') AND p.proname IN (%s, %s)""",
                [TABLE, FUNCTION, DELETE_GUARD],
            )
            events = set()
            for tgtype, source in cursor.fetchall():
                if not tgtype & PG_BEFORE or "RAISE EXCEPTION" not in source.upper():
                    continue
                events |= {name for name, bit in PG_EVENTS.items() if tgtype & bit}
            return events
    return set()


def refused(sql: str, params: list) -> bool:
    """Whether the database refuses `sql`; whatever happens is rolled back."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            raise _Probe
    except _Probe:
        return False
    except DatabaseError:
        return True


class Command(BaseCommand):
    help = (
        "审计日志检查与归档。verify：确认防篡改触发器已安装并生效、重算审计链，不合格退出码为 1；"
        "archive / archive-verify / purge：保留期以前的记录归档到签名文件、核验、清除。"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="verify|head|archive|archive-verify|purge"
        )
        verify = sub.add_parser(
            "verify", help="检查防篡改触发器，重算审计链（哈希链），打印记录条数和链头"
        )
        verify.add_argument(
            "--head",
            action="append",
            default=[],
            metavar="链头",
            help="先前记下的链头（序号:哈希，或备份旁的 .audit-head.json 文件）：检查链未被整体重写；可多次给出",
        )
        sub.add_parser("head", help="封存新记录后打印当前审计链头（JSON）")
        archive = sub.add_parser(
            "archive",
            help="把保留期以前的审计记录归档到签名文件（.zip）；不删除任何记录",
        )
        archive.add_argument("--out", required=True, metavar="文件", help="归档文件路径（.zip）")
        archive.add_argument(
            "--before",
            type=dt.date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="只归档此日期以前的记录（默认：今天减去保留天数 SANPI_AUDIT_RETENTION_DAYS）",
        )
        check = sub.add_parser(
            "archive-verify", help="核验归档文件：签名与文件内的审计链（结果写入审计日志）"
        )
        check.add_argument("file", metavar="文件")
        check.add_argument(
            "--head",
            action="append",
            default=[],
            metavar="链头",
            help="先前记下的链头（序号:哈希 或 JSON 文件）：在归档范围内的须一致；可多次给出",
        )
        purge = sub.add_parser(
            "purge",
            help="核验归档文件后，从在线审计日志中删除该归档中的记录（须超过保留期）",
        )
        purge.add_argument("--archive", required=True, metavar="文件", help="归档文件")

    def handle(self, *args, action: str, **options):
        if action == "archive":
            return self._archive(Path(options["out"]).expanduser(), options.get("before"))
        if action == "archive-verify":
            return self._archive_verify(Path(options["file"]).expanduser(), options["head"])
        if action == "purge":
            return self._purge(Path(options["archive"]).expanduser())
        if action == "head":
            audit_chain.seal_pending()
            self.stdout.write(json.dumps(audit_chain.head().as_dict()))
            return
        heads = _heads(options.get("head") or [])
        vendor = connection.vendor
        if vendor not in REQUIRED:
            raise CommandError(f"不支持的数据库类型：{vendor}")
        if TABLE not in connection.introspection.table_names():
            raise CommandError("审计日志表不存在：请先运行 sanpi migrate")
        count = AuditLog.objects.count()
        self.stdout.write(f"数据库：{vendor}")
        self.stdout.write(f"审计记录：{count} 条")
        problems = []
        missing = REQUIRED[vendor] - guarded_events()
        if missing:
            problems.append(f"缺少或未启用的防篡改触发器：{'、'.join(sorted(missing))}")
        if count:
            # The newest row: never one an archive may purge (those are old and archived).
            last = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first()
            if not refused(f"UPDATE {TABLE} SET message = message WHERE id = %s", [last]):
                problems.append("实测：UPDATE 审计记录未被拒绝")
            if not refused(f"DELETE FROM {TABLE} WHERE id = %s", [last]):
                problems.append("实测：DELETE 审计记录未被拒绝")
        audit_chain.seal_pending()
        report = audit_chain.verify(against=heads)
        problems += report.problems
        if report.start.seq:
            self.stdout.write(
                f"审计链起点：已归档清除至第{report.start.seq}号，"
                f"自第{report.start.seq + 1}号起核验（起点哈希 {report.start.hash}）"
            )
        self.stdout.write(
            f"审计链：{report.sealed} 条封存，链头 {report.head.seq}:{report.head.hash}"
        )
        for note in report.notes:
            self.stdout.write(f"提示：{note}")
        risk = audit_chain.role_can_disable_triggers()
        if risk:
            self.stderr.write(
                self.style.WARNING(
                    f"警告：{risk}。生产环境应以不拥有表的数据库账号运行 sanpi（docs/operations.md §5）"
                )
            )
        if problems:
            _tell_auditors(problems)
            raise CommandError(
                "审计日志不是只增不改：" + "；".join(problems) + "。这是安全事件，请按 "
                "docs/operations.md《审计日志》一节处理。"
            )
        events = "、".join(sorted(REQUIRED[vendor]))
        probe = "，实测修改与删除均被拒绝" if count else ""
        self.stdout.write(self.style.SUCCESS(f"防篡改触发器：已安装并生效（拒绝 {events}）{probe}"))
        self.stdout.write(self.style.SUCCESS("审计链：逐条重算一致，无缺号、无改写"))

    # --- archive, archive-verify, purge ------------------------------------------------

    def _archive(self, target: Path, before: dt.date | None) -> None:
        if not target.parent.is_dir():
            raise CommandError(f"目录不存在：{target.parent}")
        partial = target.with_name(f".{target.name}.partial")
        try:
            with open(partial, "w+b") as fh, audit_context("cli"):
                record = audit_archive.archive_make(
                    by=cli_actor(),
                    out=fh,
                    before=before,
                    filename=target.name,
                    keep=lambda: os.replace(partial, target),
                )
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(
            f"已归档审计链第{record.first_seq}至{record.last_seq}号，共{record.count}条审计记录"
            f"（{timezone.localtime(record.oldest_at):%Y-%m-%d %H:%M}至"
            f"{timezone.localtime(record.newest_at):%Y-%m-%d %H:%M}）到 {target.resolve()}"
        )
        self.stdout.write(f"截止链头：{record.last_seq}:{record.head_hash}")
        self.stdout.write(f"文件SHA-256：{record.digest}")
        self.stdout.write(
            "请把归档文件保存在系统之外；核对无误后可用 "
            f"sanpi audit purge --archive {target} 从在线日志中清除这些记录。"
        )

    def _open(self, path: Path):
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        return open(path, "rb")

    def _archive_verify(self, path: Path, head_texts: list[str]) -> None:
        heads = _heads(head_texts)
        with self._open(path) as fh, audit_context("cli"):
            try:
                checked = audit_archive.archive_verify(by=cli_actor(), file=fh, heads=heads)
            except ServiceError as exc:
                raise CommandError(exc.message) from None
        m = checked.manifest
        if m:
            self.stdout.write(
                f"归档：审计链第{m.get('first_seq')}至{m.get('last_seq')}号，"
                f"{checked.rows} 条记录（清单 {m.get('count')} 条），"
                f"起点哈希 {m.get('prev_hash')}，截止链头 {m.get('last_seq')}:{m.get('head_hash')}"
            )
            self.stdout.write(f"签名：{m.get('signature_algorithm')}，密钥 {m.get('key_source')}")
        self.stdout.write(f"文件SHA-256：{checked.digest}")
        if not checked.ok:
            raise CommandError("归档文件核验未通过：" + "；".join(checked.problems))
        self.stdout.write(self.style.SUCCESS("归档文件核验通过：签名正确，审计链逐条重算一致"))

    def _purge(self, path: Path) -> None:
        with self._open(path) as fh, audit_context("cli"):
            try:
                purge = audit_archive.archive_purge(by=cli_actor(), file=fh)
            except ServiceError as exc:
                raise CommandError(exc.message) from None
        archive = purge.archive
        self.stdout.write(
            self.style.SUCCESS(
                f"已清除审计链第{archive.first_seq}至{archive.last_seq}号，共{archive.count}条"
                f"已归档的审计记录；在线审计链自第{purge.last_seq + 1}号起"
            )
        )


def _heads(texts: list[str]) -> list[audit_chain.Head]:
    heads = []
    for text in texts:
        path = Path(text)
        try:
            heads.append(
                audit_chain.parse_head(path.read_text("utf-8") if path.is_file() else text)
            )
        except ValueError as exc:
            raise CommandError(f"--head {text}: {exc}") from None
    return heads


def _tell_auditors(problems: list[str]) -> None:
    """A failed verification is a security event: every audit administrator is told."""
    from sanpi.notifications.kinds import AUDIT_TAMPERED
    from sanpi.notifications.services import notify

    # notify never raises: the failure is reported on the command line whatever happens.
    notify(
        kind=AUDIT_TAMPERED,
        title="审计日志校验未通过",
        text="；".join(problems)[:1900],
        level="urgent",
        role="auditor",
    )
