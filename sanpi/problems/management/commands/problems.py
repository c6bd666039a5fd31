"""`sanpi problems deadlines --raised "YYYY-MM-DD HH:MM" [--policy 代号或名称] [--json]`:
when each clock of a problem raised at that moment runs out, on the official calendar,
under the current version of a policy (时限规则; default 13710).

    $ sanpi problems deadlines --raised "2025-09-30 16:00"
    时限规则：13710工作制度（第1版）
    提出时间：2025-09-30 16:00
    当日部署：2025-09-30 23:59:59
    首次反馈：2025-10-11 23:59:59
    一般问题办结：2025-10-16 23:59:59
    复杂问题办结：2025-10-30 23:59:59
    $ sanpi problems deadlines --raised "2025-09-30 16:00" --policy ordinary --json
    {"deploy": "2025-09-30T23:59:59+08:00", "feedback": "2025-10-14T23:59:59+08:00", …}

Times are Beijing time. When a year involved has no holiday schedule entered, the
answer counts weekends only and a note says so on stderr. Bad input (a moment that is
not YYYY-MM-DD HH:MM, a year out of range) exits 2, an unknown policy 1, with a Chinese
message.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from sanpi.core.calendar import check_date, official_calendar
from sanpi.core.errors import ValidationFailed

from ... import rules
from ...models import Policy
from ...services import aware, terms_of

DEFAULT_POLICY = "13710"
EXAMPLE = "2025-09-30 16:00"
LABELS = {
    "deploy": "当日部署",
    "feedback": "首次反馈",
    "solve_ordinary": "一般问题办结",
    "solve_complex": "复杂问题办结",
}
_MOMENT = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ T]([0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?))?")


def _usage(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def parse_raised(text: str) -> dt.datetime:
    """A local moment from "YYYY-MM-DD HH:MM" (seconds optional; a date alone is its
    midnight); ValidationFailed with a Chinese message otherwise."""
    value = (text or "").strip()
    match = _MOMENT.fullmatch(value)
    if not match:
        raise ValidationFailed.of(
            "raised", f"提出时间“{value[:40]}”格式不对，应为 YYYY-MM-DD HH:MM，如 {EXAMPLE}"
        )
    day, time = match[1], match[2] or "00:00"
    if len(time.split(":")[0]) == 1:
        time = "0" + time
    try:
        moment = dt.datetime.fromisoformat(f"{day}T{time}")
    except ValueError:
        raise ValidationFailed.of("raised", f"提出时间“{value}”不是有效的日期时间") from None
    check_date(moment.date(), field="raised", label="提出时间")
    return moment


def policy_named(name: str) -> Policy:
    """The current version of the policy with this code or name."""
    name = (name or "").strip()
    policy = (
        Policy.objects.filter(current=True)
        .filter(Q(code=name) | Q(name=name))
        .order_by("pk")
        .first()
    )
    if policy is None:
        known = "、".join(
            f"{p.code}（{p.name}）" for p in Policy.objects.filter(current=True).order_by("code")
        )
        raise CommandError(f"没有代号或名称为“{name}”的现行时限规则（现有：{known}）")
    return policy


class Command(BaseCommand):
    # A read-only report: starts fast, without the system checks (which load every URL
    # and build the API schema); `sanpi check` and every server start still run them.
    requires_system_checks: list[str] = []
    help = "问题时限：deadlines 按法定工作日历计算某时刻提出的问题各时限（部署、首次反馈、办结）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["deadlines"], help="deadlines：计算各时限")
        parser.add_argument(
            "--raised", default="", help=f"提出时间，YYYY-MM-DD HH:MM（北京时间），如 “{EXAMPLE}”"
        )
        parser.add_argument(
            "--policy",
            default=DEFAULT_POLICY,
            help=f"时限规则的代号或名称（默认 {DEFAULT_POLICY}）",
        )
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, action: str, *, raised: str, policy: str, as_json: bool, **options):
        if not raised.strip():
            raise _usage(f"请用 --raised 指定提出时间，如 --raised “{EXAMPLE}”")
        try:
            moment = parse_raised(raised)
        except ValidationFailed as exc:
            raise _usage(exc.message) from None
        chosen = policy_named(policy)
        calendar = official_calendar()
        dues = rules.due_moments(moment, terms_of(chosen), calendar)
        if as_json:
            out = {k: aware(dues[k]).isoformat() for k in LABELS}
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            self.stdout.write(f"时限规则：{chosen}")
            self.stdout.write(f"提出时间：{moment:%Y-%m-%d %H:%M}")
            for key, label in LABELS.items():
                self.stdout.write(f"{label}：{dues[key]:%Y-%m-%d %H:%M:%S}")
        # The years counted in: from the day raised to the last due day.
        span = calendar.between(moment.date(), max(dues.values()).date())
        if span.provisional:
            self.stderr.write(f"注意：{span.note()}")
