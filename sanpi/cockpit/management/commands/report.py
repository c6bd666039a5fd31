"""`sanpi report activity|rates`: the bulletin and the cohort rates, as text or JSON."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from sanpi.accounts.actors import cli_actor
from sanpi.accounts.models import User
from sanpi.cockpit.selectors import activity_figures, cohort_rates
from sanpi.core.errors import ServiceError
from sanpi.projects.selectors import activity_get_by_key


class Command(BaseCommand):
    # A read-only report: starts fast, without the system checks (which load every URL
    # and build the API schema); `sanpi check` and every server start still run them.
    requires_system_checks: list[str] = []
    help = "输出“三个一批”活动通报或开工率、投产率、达效率"

    def add_arguments(self, parser):
        parser.add_argument(
            "kind", choices=["activity", "rates"], help="activity：活动通报；rates：开工投产率"
        )
        parser.add_argument("--year", type=int)
        parser.add_argument("--seq", type=int, help="批次（第N次）")
        parser.add_argument("--county", default="", help="县(市、区)行政区划代码")
        parser.add_argument("--zone", default="", help="开发区名称、简称或编号")
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument("--user", default="", help="以该账号的权限范围统计（默认：全市）")

    def handle(self, kind: str, *, year, seq, county, zone, as_json, user, **options):
        actor = self._actor(user)
        try:
            activity = None
            if seq is not None:
                if year is None:
                    raise CommandError("指定 --seq 时须同时指定 --year")
                activity = activity_get_by_key(user=actor, year=year, sequence=seq)
            if kind == "activity":
                if activity is None:
                    raise CommandError("活动通报须指定 --year 和 --seq")
                figures = activity_figures(user=actor, activity=activity, county=county, zone=zone)
                out = (
                    json.dumps(figures.as_json(), ensure_ascii=False)
                    if as_json
                    else figures.bulletin()
                )
            else:
                rates = cohort_rates(
                    user=actor,
                    year=year if activity is None else None,
                    activity=activity,
                    county=county,
                    zone=zone,
                )
                if as_json:
                    out = json.dumps(rates.as_json(), ensure_ascii=False)
                else:
                    out = "\n".join(
                        [
                            f"开工率 {rates.start_rate}",
                            f"投产率 {rates.production_rate}",
                            f"达效率 {rates.target_rate}",
                        ]
                    )
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(out)

    def _actor(self, username: str):
        if not username:
            return cli_actor()
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"没有账号“{username}”") from None
