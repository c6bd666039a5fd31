"""`sanpi audit verify`: is the audit log still append-only in this database?

Checks, for the current database vendor, that the triggers of migration core.0002 are
installed and enabled and cover UPDATE and DELETE (and TRUNCATE on PostgreSQL), then,
if the log has rows, that an UPDATE and a DELETE of one row really fail (tried inside a
transaction that is always rolled back). Prints the row count; exits 1 on any gap.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from sanpi.core import audit_chain
from sanpi.core.models import AuditLog

TABLE = AuditLog._meta.db_table
FUNCTION = "core_auditlog_append_only"
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
                     AND t.tgenabled IN ('O', 'A') AND p.proname = %s""",
                [TABLE, FUNCTION],
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
        "审计日志检查。verify：确认防篡改触发器已安装并生效，打印审计记录条数；不合格退出码为 1。"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="verify|head")
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

    def handle(self, *args, action: str, **options):
        if action == "head":
            audit_chain.seal_pending()
            self.stdout.write(json.dumps(audit_chain.head().as_dict()))
            return
        heads = []
        for text in options.get("head") or []:
            path = Path(text)
            try:
                heads.append(
                    audit_chain.parse_head(path.read_text("utf-8") if path.is_file() else text)
                )
            except ValueError as exc:
                raise CommandError(f"--head {text}: {exc}") from None
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
            first = AuditLog.objects.order_by("pk").values_list("pk", flat=True).first()
            if not refused(f"UPDATE {TABLE} SET message = message WHERE id = %s", [first]):
                problems.append("实测：UPDATE 审计记录未被拒绝")
            if not refused(f"DELETE FROM {TABLE} WHERE id = %s", [first]):
                problems.append("实测：DELETE 审计记录未被拒绝")
        audit_chain.seal_pending()
        report = audit_chain.verify(against=heads)
        problems += report.problems
        self.stdout.write(
            f"审计链：{report.sealed} 条封存，链头 {report.head.seq}:{report.head.hash}"
        )
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
