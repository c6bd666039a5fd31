"""`sanpi workdays add DATE N` and `sanpi workdays between A B`: working-day arithmetic on
the official calendar, for operators and scripts.

    $ sanpi workdays add 2021-09-30 1
    2021-10-08
    $ sanpi workdays between 2021-09-30 2021-10-08
    1
    $ sanpi workdays add 2026-12-30 10
    2027-01-13 (provisional)

" (provisional)" is appended when the answer relied on a year whose holiday schedule is
not entered (weekends only); the reason goes to stderr. Bad input exits 2 with a
Chinese message.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sanpi.core import calendar
from sanpi.core.errors import ServiceError

USAGE = "用法：sanpi workdays add 日期 N（日期之后第N个工作日），或 sanpi workdays between 日期A 日期B（A之后至B的工作日数）；日期格式 YYYY-MM-DD"


class Command(BaseCommand):
    # A read-only report: starts fast, without the system checks (which load every URL
    # and build the API schema); `sanpi check` and every server start still run them.
    requires_system_checks: list[str] = []
    help = "按法定工作日历计算：某日之后第N个工作日（add），两日之间的工作日数（between）"

    def add_arguments(self, parser):
        parser.add_argument("op", nargs="?", default="", help="add 或 between")
        parser.add_argument("first", nargs="?", default="", help="日期，YYYY-MM-DD")
        parser.add_argument("second", nargs="?", default="", help="add：工作日数N；between：日期")

    def handle(self, *, op: str, first: str, second: str, **options):
        if op not in ("add", "between") or not first or not second:
            raise CommandError(USAGE, returncode=2)
        try:
            if op == "add":
                start = calendar.parse_date(first, label="日期")
                n = calendar.parse_count(second, label="工作日数N")
                answer = calendar.workdays_add(start, n)
                text = answer.value.isoformat()
            else:
                a = calendar.parse_date(first, field="a", label="日期A")
                b = calendar.parse_date(second, field="b", label="日期B")
                answer = calendar.workdays_between(a, b)
                text = str(answer.value)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=2) from None
        if answer.provisional:
            text += " (provisional)"
            self.stderr.write(f"注意：{answer.note()}")
        self.stdout.write(text)
