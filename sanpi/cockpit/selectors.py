"""The figures people report: the activity bulletin and the cohort rates.

The definitions live here and only here (the UI, the API, the CLI and exports call
these functions):

* **Cohorts.** The cohort of an activity is attribution by 批次: the projects signed,
  started, put into production *in that activity* (its ActivityEntry rows). The
  cohort of a year is by stage date within the year. With neither, all projects.
  County and zone narrow either; the user's scope always applies.
* **开工率** = the signed cohort's projects that have started ÷ the signed cohort.
* **投产率** = the started cohort's projects that are in production ÷ the started cohort.
* **达效率** = Σ actual annual output ÷ Σ planned annual output of the produced cohort
  (a value ratio, in 万元).
Withdrawn projects stay in their cohort: a denominator does not shrink when a
project fails.

* **As of a date** (截至): only stage dates up to that day count, both for who is in a
  cohort and for who has reached the next stage. The actual output is the one on file
  (no history of it is kept), so 达效率 as of a past day uses today's actual output of
  the projects in production by then.
* **Period figures** (时段): the projects whose 签约, 开工 or 投产 date lies in a period,
  whatever activity they were attributed to (the newspapers' “新签约项目32个、总投资124.3
  亿元……”): count and total investment of each, and the planned annual output (年新增
  产值) of those put into production.
* **Since an activity** (以来): the projects signed *in* that activity or in any later one
  (by 批次 attribution, activities in date order; not signings outside the activities),
  how many of them have started, and those started projects' planned annual output (the
  newspapers' “第一期以来签约项目已开工13个，预计年产值149.82亿元”).
* **The province's share**: an activity's signed, started and produced counts against
  the province's totals the city office entered for it (占全省的8.7%（25/287）).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from sanpi.core.amounts import yi
from sanpi.core.errors import ValidationFailed
from sanpi.core.money import exact_wan
from sanpi.core.rates import Rate
from sanpi.projects.models import Activity
from sanpi.projects.rules import Action
from sanpi.projects.selectors import activity_entries, project_list
from sanpi.regions.models import County
from sanpi.regions.selectors import zone_list

# The definitions above, in the words the pages show (keep the two in step).
RATE_DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("开工率", "本批签约项目中已开工的项目数 ÷ 本批签约项目数"),
    ("投产率", "本批开工项目中已投产的项目数 ÷ 本批开工项目数"),
    ("达效率", "本批投产项目的实际年产值之和 ÷ 其预计年产值之和（按金额计算，万元）"),
)
COHORT_DEFINITION = (
    "“本批”按活动统计时，指在该次活动中签约、开工、投产的项目（按批次归属）；按年度统计时，"
    "指签约、开工、投产日期在该年度内的项目；两者都不选时为全部项目。县(市、区)、开发区可进一步"
    "缩小范围，且始终限于您的权限范围。清理退出的项目仍留在其所属批次中，分母不因项目失败而减少。"
)
AS_OF_DEFINITION = (
    "填写截至日期时，只计签约、开工、投产日期不晚于该日的项目；达效率所用的实际年产值为系统中的"
    "现值（不保留历史数值）。"
)
PERIOD_DEFINITION = (
    "时段统计按阶段日期：签约、开工、投产日期在起止日期之间（含两端）的项目，不论是否归属某次"
    "活动；总投资为项目总投资，年新增产值为投产项目的预计年产值之和。"
)


def day_text(d: dt.date) -> str:
    """A date as the newspapers write it: 2021年3月22日."""
    return f"{d.year}年{d.month}月{d.day}日"


def check_narrowing(*, user, county: str = "", zone: str = "") -> str | None:
    """Check the county and zone a figure is narrowed to (an unknown one is bad input)
    and say where the figures are of: the zone's short name or the county's name; None
    when not narrowed (the user's scope, `place_of(user)`)."""
    place = None
    if county:
        found = County.objects.filter(code=county).first()
        if found is None:
            raise ValidationFailed.of("county", f"没有行政区划代码为“{county}”的县(市、区)")
        place = found.name
    if zone:
        zones = zone_list(user=user)
        if zone.isdigit():
            found = zones.filter(pk=int(zone)).first() if len(zone) <= 18 else None
        else:
            found = zones.filter(Q(name=zone) | Q(short_name=zone)).first()
        if found is None:
            raise ValidationFailed.of("zone", f"开发区“{zone}”不存在或不在您的权限范围内")
        place = found.short_name or found.name
    return place


def place_of(user) -> str:
    """Where a user's figures are of when not narrowed: “全市”, or their county or zone."""
    return getattr(user, "scope_label", "全市")


@dataclass(frozen=True)
class Batch:
    count: int
    investment_wan: Decimal

    def as_json(self) -> dict:
        return {"count": self.count, "investment_wan": str(self.investment_wan)}


@dataclass(frozen=True)
class ActivityFigures:
    activity: Activity
    signed: Batch
    onsite: Batch
    sync: Batch
    started: Batch
    produced: Batch
    produced_output_wan: Decimal

    def as_json(self) -> dict:
        return {
            "signed": {
                **self.signed.as_json(),
                "onsite": self.onsite.as_json(),
                "sync": self.sync.as_json(),
            },
            "started": self.started.as_json(),
            "produced": {
                **self.produced.as_json(),
                "annual_output_wan": str(self.produced_output_wan),
            },
            "province": {
                name: None if share is None else share.as_json()
                for name, share in self.province_shares().items()
            },
        }

    def province_shares(self) -> dict[str, Rate | None]:
        """Each batch's count against the province's total for the activity, where the
        city office entered it (None where it did not)."""
        a = self.activity
        return {
            name: None if total is None else Rate(batch.count, total)
            for name, batch, total in (
                ("signed", self.signed, a.province_signed),
                ("started", self.started, a.province_started),
                ("produced", self.produced, a.province_produced),
            )
        }

    def bulletin(self) -> str:
        """The newspapers' own sentence, amounts in 亿元 (SANPI_YI_DECIMALS places,
        half-up), then the share of the province's totals where they were entered."""
        modes = [
            (label, b)
            for label, b in (("现场签约", self.onsite), ("同步签约", self.sync))
            if b.count
        ]
        signed = f"签约项目{self.signed.count}个、总投资{yi(self.signed.investment_wan)}亿元"
        if len(modes) == 2:
            signed += "，其中" + "，".join(
                f"{label}{b.count}个、总投资{yi(b.investment_wan)}亿元" for label, b in modes
            )
        elif modes:
            signed += f"，均为{modes[0][0]}"
        text = (
            f"{self.activity}中，{signed}；"
            f"开工项目{self.started.count}个、总投资{yi(self.started.investment_wan)}亿元；"
            f"投产项目{self.produced.count}个、总投资{yi(self.produced.investment_wan)}亿元，"
            f"预计年新增产值{yi(self.produced_output_wan)}亿元。"
        )
        labels = {"signed": "签约", "started": "开工", "produced": "投产"}
        shares = [
            f"{labels[name]}项目数占全省的{share}"
            for name, share in self.province_shares().items()
            if share is not None
        ]
        if shares:
            text += "，".join(shares) + "。"
        return text


# The batches of an activity's bulletin, each as a filter on its entries.
_BATCHES = {
    "signed": Q(action=Action.SIGN),
    "onsite": Q(action=Action.SIGN, sign_mode="onsite"),
    "sync": Q(action=Action.SIGN, sign_mode="sync"),
    "started": Q(action=Action.START),
    "produced": Q(action=Action.PRODUCE),
}


def activity_figures(
    *, user, activity: Activity, county: str = "", zone: str = ""
) -> ActivityFigures:
    """The bulletin's figures, in one query (conditional aggregates over the entries)."""
    entries = activity_entries(user=user, activity=activity)
    if county:
        entries = entries.filter(project__county__code=county)
    if zone:
        entries = entries.filter(_zone_q(zone, prefix="project__"))
    aggregates = {}
    for name, q in _BATCHES.items():
        aggregates[f"{name}_n"] = Count("id", filter=q)
        aggregates[f"{name}_s"] = Sum("investment_wan", filter=q)
    aggregates["output"] = Sum("project__planned_output_wan", filter=_BATCHES["produced"])
    agg = entries.order_by().aggregate(**aggregates)
    batches = {name: Batch(agg[f"{name}_n"], exact_wan(agg[f"{name}_s"])) for name in _BATCHES}
    return ActivityFigures(
        activity=activity, produced_output_wan=exact_wan(agg["output"]), **batches
    )


def _zone_q(zone: str, *, prefix: str = "") -> Q:
    """A zone given by id or by (short) name."""
    if zone.isdigit():
        return Q(**{f"{prefix}zone_id": int(zone)})
    return Q(**{f"{prefix}zone__name": zone}) | Q(**{f"{prefix}zone__short_name": zone})


@dataclass(frozen=True)
class CohortRates:
    start_rate: Rate
    production_rate: Rate
    target_rate: Rate

    def as_json(self) -> dict:
        return {
            "start_rate": self.start_rate.as_json(),
            "production_rate": self.production_rate.as_json(),
            "target_rate": self.target_rate.as_json(as_strings=True),
        }


def _cohort_aggregates(*, user, year, activity, county, zone, as_of=None):
    """The rows the rates are counted over, and the conditional aggregates that count the
    signed, started and produced cohorts in one pass: over the activity's entries (one
    per project and action) for an activity; over projects, by stage date, otherwise.
    With `as_of`, only stage dates up to that day count."""
    prefix = "project__" if activity is not None else ""

    def up_to(q: Q, field: str) -> Q:
        """A cohort, limited to the projects that reached its stage by `as_of`."""
        return q if as_of is None else q & Q(**{f"{prefix}{field}__lte": as_of})

    def reached(field: str) -> Q:
        if as_of is None:
            return Q(**{f"{prefix}{field}__isnull": False})
        return Q(**{f"{prefix}{field}__lte": as_of})

    if activity is not None:
        rows = activity_entries(user=user, activity=activity)
        cohort = {
            "signed": up_to(Q(action=Action.SIGN), "signed_date"),
            "started": up_to(Q(action=Action.START), "started_date"),
            "produced": up_to(Q(action=Action.PRODUCE), "produced_date"),
        }
    else:
        rows = project_list(user=user)
        if year is not None:
            cohort = {
                "signed": up_to(Q(signed_date__year=year), "signed_date"),
                "started": up_to(Q(started_date__year=year), "started_date"),
                "produced": up_to(Q(produced_date__year=year), "produced_date"),
            }
            # Only the year's cohorts are counted: read just those rows, through the date
            # indexes, instead of aggregating the whole table.
            rows = rows.filter(cohort["signed"] | cohort["started"] | cohort["produced"])
        else:
            cohort = {
                "signed": reached("signed_date"),
                "started": reached("started_date"),
                "produced": reached("produced_date"),
            }
            if as_of is not None:
                rows = rows.filter(cohort["signed"])  # every cohort was signed by then
    if county:
        rows = rows.filter(**{f"{prefix}county__code": county})
    if zone:
        rows = rows.filter(_zone_q(zone, prefix=prefix))

    aggregates = {
        "signed_den": Count("id", filter=cohort["signed"]),
        "signed_num": Count("id", filter=cohort["signed"] & reached("started_date")),
        "started_den": Count("id", filter=cohort["started"]),
        "started_num": Count("id", filter=cohort["started"] & reached("produced_date")),
        "produced_num": Sum(f"{prefix}actual_output_wan", filter=cohort["produced"]),
        "produced_den": Sum(f"{prefix}planned_output_wan", filter=cohort["produced"]),
    }
    return rows.order_by(), prefix, aggregates


def _rates(agg: dict) -> CohortRates:
    return CohortRates(
        start_rate=Rate(agg.get("signed_num") or 0, agg.get("signed_den") or 0),
        production_rate=Rate(agg.get("started_num") or 0, agg.get("started_den") or 0),
        target_rate=Rate(
            exact_wan(agg.get("produced_num")), exact_wan(agg.get("produced_den")), unit="万元"
        ),
    )


def empty_rates() -> CohortRates:
    return _rates({})


def cohort_rates(
    *,
    user,
    year: int | None = None,
    activity: Activity | None = None,
    county: str = "",
    zone: str = "",
    as_of: dt.date | None = None,
) -> CohortRates:
    rows, _prefix, aggregates = _cohort_aggregates(
        user=user, year=year, activity=activity, county=county, zone=zone, as_of=as_of
    )
    return _rates(rows.aggregate(**aggregates))


def cohort_rates_by_county(
    *,
    user,
    year: int | None = None,
    activity: Activity | None = None,
    as_of: dt.date | None = None,
    by: str = "county_id",
) -> dict[int, CohortRates]:
    """The same rates for each county (by county id; ``by="zone_id"``: each zone), in one
    grouped query."""
    rows, prefix, aggregates = _cohort_aggregates(
        user=user, year=year, activity=activity, county="", zone="", as_of=as_of
    )
    key = f"{prefix}{by}"
    return {r[key]: _rates(r) for r in rows.values(key).annotate(**aggregates)}


# --- figures of a period, by stage date --------------------------------------------------


@dataclass(frozen=True)
class PeriodFigures:
    date_from: dt.date
    date_to: dt.date
    signed: Batch
    started: Batch
    produced: Batch
    produced_output_wan: Decimal

    def as_json(self) -> dict:
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "signed": self.signed.as_json(),
            "started": self.started.as_json(),
            "produced": {
                **self.produced.as_json(),
                "annual_output_wan": str(self.produced_output_wan),
            },
        }

    def sentence(self, place: str = "全市") -> str:
        """The newspapers' sentence: “全市新签约项目32个、总投资124.3亿元，……”."""
        return (
            f"{day_text(self.date_from)}至{day_text(self.date_to)}，"
            f"{place}新签约项目{self.signed.count}个、总投资{yi(self.signed.investment_wan)}亿元，"
            f"新开工项目{self.started.count}个、总投资{yi(self.started.investment_wan)}亿元，"
            f"投产项目{self.produced.count}个、总投资{yi(self.produced.investment_wan)}亿元，"
            f"年新增产值{yi(self.produced_output_wan)}亿元。"
        )


def check_period(date_from: dt.date, date_to: dt.date) -> None:
    if date_from > date_to:
        raise ValidationFailed.of(
            "date_to",
            f"结束日期{date_to.isoformat()}早于开始日期{date_from.isoformat()}，请检查时段",
        )


def period_figures(
    *, user, date_from: dt.date, date_to: dt.date, county: str = "", zone: str = ""
) -> PeriodFigures:
    """The projects whose 签约, 开工 or 投产 date lies in [date_from, date_to], whatever
    activity they were attributed to: count and total investment of each, and the
    planned annual output of those put into production. One query (conditional
    aggregates over just the period's rows, read through the stage-date indexes)."""
    check_period(date_from, date_to)
    period = (date_from, date_to)
    cohort = {
        "signed": Q(signed_date__range=period),
        "started": Q(started_date__range=period),
        "produced": Q(produced_date__range=period),
    }
    rows = project_list(user=user).filter(cohort["signed"] | cohort["started"] | cohort["produced"])
    if county:
        rows = rows.filter(county__code=county)
    if zone:
        rows = rows.filter(_zone_q(zone))
    aggregates = {}
    for name, q in cohort.items():
        aggregates[f"{name}_n"] = Count("id", filter=q)
        aggregates[f"{name}_s"] = Sum("total_investment_wan", filter=q)
    aggregates["output"] = Sum("planned_output_wan", filter=cohort["produced"])
    agg = rows.order_by().aggregate(**aggregates)
    return PeriodFigures(
        date_from=date_from,
        date_to=date_to,
        produced_output_wan=exact_wan(agg["output"]),
        **{name: Batch(agg[f"{name}_n"], exact_wan(agg[f"{name}_s"])) for name in cohort},
    )


# --- since an activity -------------------------------------------------------------------


@dataclass(frozen=True)
class SinceFigures:
    activity: Activity
    signed: int  # signed in this activity or a later one
    started: int  # of them, started (at any date, in an activity or not)
    started_output_wan: Decimal  # the started ones' planned annual output

    def as_json(self) -> dict:
        return {
            "activity": self.activity.key,
            "signed": self.signed,
            "started": self.started,
            "annual_output_wan": str(self.started_output_wan),
        }

    def sentence(self) -> str:
        """“2021年第一期“三个一批”活动以来签约项目25个，已开工13个，预计年产值149.82亿元。”"""
        return (
            f"{self.activity}以来签约项目{self.signed}个，已开工{self.started}个，"
            f"预计年产值{yi(self.started_output_wan)}亿元。"
        )


def activity_since(*, user, activity: Activity, county: str = "", zone: str = "") -> SinceFigures:
    """The projects signed in `activity` or in any activity held after it (by 批次
    attribution; activities in date order, the 批次 breaking a tie), how many have
    started and their planned annual output. One query: a project has at most one
    signing entry, so the join counts each project once."""
    later = Q(activity_entries__activity__date__gt=activity.date) | Q(
        activity_entries__activity__date=activity.date,
        activity_entries__activity__sequence__gte=activity.sequence,
    )
    rows = project_list(user=user).filter(Q(activity_entries__action=Action.SIGN) & later)
    if county:
        rows = rows.filter(county__code=county)
    if zone:
        rows = rows.filter(_zone_q(zone))
    started = Q(started_date__isnull=False)
    agg = rows.order_by().aggregate(
        signed=Count("id"),
        started=Count("id", filter=started),
        output=Sum("planned_output_wan", filter=started),
    )
    return SinceFigures(
        activity=activity,
        signed=agg["signed"],
        started=agg["started"],
        started_output_wan=exact_wan(agg["output"]),
    )
