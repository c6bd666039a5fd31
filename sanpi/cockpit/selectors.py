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
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from sanpi.core.money import exact_wan, wan_to_yi
from sanpi.core.rates import Rate
from sanpi.projects.models import Activity
from sanpi.projects.rules import Action
from sanpi.projects.selectors import activity_entries, project_list

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
        }

    def bulletin(self) -> str:
        """The newspapers' own sentence, amounts in 亿元 to two decimals."""
        a = self.activity
        yi = wan_to_yi
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
        return (
            f"{a.year}年第{a.sequence}次“三个一批”活动中，{signed}；"
            f"开工项目{self.started.count}个、总投资{yi(self.started.investment_wan)}亿元；"
            f"投产项目{self.produced.count}个、总投资{yi(self.produced.investment_wan)}亿元，"
            f"预计年新增产值{yi(self.produced_output_wan)}亿元。"
        )


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


def _cohort_aggregates(*, user, year, activity, county, zone):
    """The rows the rates are counted over, and the conditional aggregates that count the
    signed, started and produced cohorts in one pass: over the activity's entries (one
    per project and action) for an activity; over projects, by stage date, otherwise."""
    if activity is not None:
        rows = activity_entries(user=user, activity=activity)
        prefix = "project__"
        cohort = {
            "signed": Q(action=Action.SIGN),
            "started": Q(action=Action.START),
            "produced": Q(action=Action.PRODUCE),
        }
    else:
        rows = project_list(user=user)
        prefix = ""
        if year is not None:
            cohort = {
                "signed": Q(signed_date__year=year),
                "started": Q(started_date__year=year),
                "produced": Q(produced_date__year=year),
            }
            # Only the year's cohorts are counted: read just those rows, through the date
            # indexes, instead of aggregating the whole table.
            rows = rows.filter(cohort["signed"] | cohort["started"] | cohort["produced"])
        else:
            cohort = {
                "signed": Q(signed_date__isnull=False),
                "started": Q(started_date__isnull=False),
                "produced": Q(produced_date__isnull=False),
            }
    if county:
        rows = rows.filter(**{f"{prefix}county__code": county})
    if zone:
        rows = rows.filter(_zone_q(zone, prefix=prefix))

    def reached(field: str) -> Q:
        return Q(**{f"{prefix}{field}__isnull": False})

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
) -> CohortRates:
    rows, _prefix, aggregates = _cohort_aggregates(
        user=user, year=year, activity=activity, county=county, zone=zone
    )
    return _rates(rows.aggregate(**aggregates))


def cohort_rates_by_county(
    *, user, year: int | None = None, activity: Activity | None = None
) -> dict[int, CohortRates]:
    """The same rates for each county (by county id), in one grouped query."""
    rows, prefix, aggregates = _cohort_aggregates(
        user=user, year=year, activity=activity, county="", zone=""
    )
    key = f"{prefix}county_id"
    return {r[key]: _rates(r) for r in rows.values(key).annotate(**aggregates)}
