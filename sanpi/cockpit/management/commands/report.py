"""`sanpi report activity|rates|period`: the bulletin, the cohort rates and the figures of a
period, as text or JSON.

    $ sanpi report activity --year 2021 --seq 2
    $ sanpi report rates --year 2021 --seq 4 --as-of 2021-12-31
    $ sanpi report period --from 2021-01-01 --to 2021-10-30 --county 141181 --json

Bad input (a date that is not YYYY-MM-DD, a period that ends before it starts, an
unknown county or zone, options that don't go together) exits 2 with a Chinese message;
an activity that does not exist exits 1.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from sanpi.accounts.actors import cli_actor
from sanpi.accounts.models import User
from sanpi.cockpit.selectors import (
    activity_figures,
    activity_since,
    check_narrowing,
    cohort_rates,
    day_text,
    period_figures,
    place_of,
)
from sanpi.core.calendar import parse_date
from sanpi.core.errors import ServiceError, ValidationFailed
from sanpi.projects.selectors import activity_get_by_key


def _usage(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    # A read-only report: starts fast, without the system checks (which load every URL
    # and build the API schema); `sanpi check` and every server start still run them.
    requires_system_checks: list[str] = []
    help = "输出“三个一批”活动通报、开工率投产率达效率，或某时段的签约开工投产数字"

    def add_arguments(self, parser):
        parser.add_argument(
            "kind",
            choices=["activity", "rates", "period", "ranking"],
            help="activity：活动通报；rates：开工投产率；period：时段（按阶段日期）签约开工投产数字；"
            "ranking：月度排名（--year --month [--kind county|zone]）",
        )
        parser.add_argument("--year", type=int)
        parser.add_argument("--seq", type=int, help="批次（第N次）")
        parser.add_argument("--county", default="", help="县(市、区)行政区划代码")
        parser.add_argument("--zone", default="", help="开发区名称、简称或编号")
        parser.add_argument(
            "--as-of", dest="as_of", default=None, help="rates：截至日期 YYYY-MM-DD"
        )
        parser.add_argument(
            "--from", dest="date_from", default=None, help="period：开始日期 YYYY-MM-DD"
        )
        parser.add_argument(
            "--to", dest="date_to", default=None, help="period：结束日期 YYYY-MM-DD（含当日）"
        )
        # ranking (sanpi.targets): the month and the kind of unit ranked.
        parser.add_argument("--month", type=int, help="ranking：月份")
        parser.add_argument(
            "--kind", dest="unit_kind", default="county", help="ranking：county|zone"
        )
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument("--user", default="", help="以该账号的权限范围统计（默认：全市）")

    def handle(self, kind: str, *, year, seq, county, zone, as_json, user, **options):
        actor = self._actor(user)
        if kind == "ranking":
            self.stdout.write(ranking_report(actor, year, options, as_json))
            return
        as_of, date_from, date_to = options["as_of"], options["date_from"], options["date_to"]
        if as_of is not None and kind != "rates":
            raise _usage("--as-of 只用于 sanpi report rates")
        if (date_from is not None or date_to is not None) and kind != "period":
            raise _usage("--from、--to 只用于 sanpi report period")
        try:
            narrowed = check_narrowing(user=actor, county=county, zone=zone)
            if kind == "period":
                if year is not None or seq is not None:
                    raise _usage("时段统计按 --from、--to 统计，不用 --year、--seq")
                place = narrowed or place_of(actor)
                out = self._period(actor, date_from, date_to, county, zone, place, as_json)
            else:
                out = self._activity_or_rates(kind, actor, year, seq, county, zone, as_of, as_json)
        except ValidationFailed as exc:
            raise _usage(exc.message) from None
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(out)

    def _period(self, actor, date_from, date_to, county, zone, place, as_json) -> str:
        if date_from is None or date_to is None:
            raise _usage("时段统计须指定 --from 和 --to，如 --from 2021-01-01 --to 2021-10-30")
        figures = period_figures(
            user=actor,
            date_from=parse_date(date_from, field="date_from", label="开始日期"),
            date_to=parse_date(date_to, field="date_to", label="结束日期"),
            county=county,
            zone=zone,
        )
        if as_json:
            return json.dumps(figures.as_json(), ensure_ascii=False)
        return figures.sentence(place)

    def _activity_or_rates(self, kind, actor, year, seq, county, zone, as_of, as_json) -> str:
        activity = None
        if seq is not None:
            if year is None:
                raise CommandError("指定 --seq 时须同时指定 --year")
            activity = activity_get_by_key(user=actor, year=year, sequence=seq)
        if kind == "activity":
            if activity is None:
                raise CommandError("活动通报须指定 --year 和 --seq")
            figures = activity_figures(user=actor, activity=activity, county=county, zone=zone)
            since = activity_since(user=actor, activity=activity, county=county, zone=zone)
            if as_json:
                return json.dumps(
                    {**figures.as_json(), "since": since.as_json()}, ensure_ascii=False
                )
            return "\n".join([figures.bulletin(), since.sentence()])
        day = None if as_of is None else parse_date(as_of, field="as_of", label="截至日期")
        rates = cohort_rates(
            user=actor,
            year=year if activity is None else None,
            activity=activity,
            county=county,
            zone=zone,
            as_of=day,
        )
        if as_json:
            data = rates.as_json()
            if day is not None:
                data["as_of"] = day.isoformat()
            return json.dumps(data, ensure_ascii=False)
        lines = [
            f"开工率 {rates.start_rate}",
            f"投产率 {rates.production_rate}",
            f"达效率 {rates.target_rate}",
        ]
        if day is not None:
            lines.insert(0, f"截至{day_text(day)}")
        return "\n".join(lines)

    def _actor(self, username: str):
        if not username:
            return cli_actor()
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"没有账号“{username}”") from None


def ranking_report(actor, year, options, as_json: bool) -> str:
    """`sanpi report ranking --year Y --month M [--kind county|zone] [--json]` (sanpi.targets)."""
    from sanpi.targets.selectors import ranking

    month, unit_kind = options["month"], options["unit_kind"]
    if year is None or month is None:
        raise _usage("月度排名须指定 --year 和 --month，如 --year 2025 --month 3")
    try:
        result = ranking(user=actor, year=year, month=month, kind=unit_kind)
    except ValidationFailed as exc:
        raise _usage(exc.message) from None
    except ServiceError as exc:
        raise CommandError(exc.message) from None
    if as_json:
        return json.dumps(result.as_json(), ensure_ascii=False)
    lines = [f"{year}年{month}月{result.kind_label}排名（时序进度{result.progress_text}）"]
    for u in result.units:
        lines.append(f"{u.rank or '—'}\t{u.name}\t{u.score if u.score is not None else '—'}")
    return "\n".join(lines)
