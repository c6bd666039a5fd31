"""`sanpi approvals scan [--date YYYY-MM-DD] [--user NAME]` and `sanpi approvals overdue`.

scan: every 承诺制 commitment due before the date (default: today) and not fulfilled
becomes a broken-commitment credit record on its enterprise. Idempotent: run it daily
(cron, a systemd timer); a commitment is turned once, a second run the same day writes
nothing. Audited as the operator (source cli), or as --user with that account's scope.

overdue: print the open items past their deadline (the same list as the 超期事项 page).
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from sanpi.accounts.actors import cli_actor
from sanpi.accounts.models import User
from sanpi.core.audit import audit_context
from sanpi.core.errors import ServiceError

from ... import selectors, services


def _actor(username: str):
    if not username:
        return cli_actor()
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise CommandError(f"没有账号“{username}”（或账号已停用）") from None


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期“{text}”无效，应为 YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "审批事项：scan 扫描到期未履行的承诺并记入企业信用记录；overdue 列出超期事项"

    def add_arguments(self, parser):
        parser.add_argument(
            "action", choices=["scan", "overdue"], help="scan：承诺到期扫描；overdue：超期事项"
        )
        parser.add_argument("--date", default="", help="按该日期判断（默认今天），YYYY-MM-DD")
        parser.add_argument("--user", default="", help="以该账号的权限范围执行（默认：全市）")

    def handle(self, action: str, *, date: str, user: str, **options):
        on = _date(date)
        with audit_context("cli"):
            actor = _actor(user)
            try:
                if action == "scan":
                    records = services.commitments_scan(by=actor, on=on)
                else:
                    rows = selectors.overdue_rows(user=actor, today=on)
            except ServiceError as exc:
                raise CommandError(exc.message, returncode=1) from None
        if action == "scan":
            for record in records:
                self.stdout.write(f"{record.enterprise}：{record.description}")
            self.stdout.write(f"新记入信用记录{len(records)}条")
            return
        for row in rows:
            item, clock = row.item, row.clock
            self.stdout.write(
                f"{item.project.county.name}\t{item.project.name}\t{item.catalogue_item.name}\t"
                f"{item.department or '未指定部门'}\t期限{clock.deadline.isoformat()}\t"
                f"超期{clock.overdue_days}个工作日"
                + (f"（{clock.note()}）" if clock.provisional else "")
            )
        self.stdout.write(f"超期未办结{len(rows)}项")
