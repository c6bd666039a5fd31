"""Targets and the monthly ranking (月调度排名), as pure functions. No Django.

The scoring is general on purpose (the assessment engine will reuse it): an indicator's
completion is its actual ÷ its target; its points are weight × min(completion, cap); a
unit's score is Σ points ÷ Σ weights of the indicators counted × 100, rounded half-up to
two decimals. An indicator without a target (none, or zero) is left out of the unit's
score, weight and all. Units are ranked by score, descending; equal scores share a rank
and the next rank skips (1, 2, 2, 4).

Completions are kept exact (Decimal division, 28 significant digits) until the score is
rounded; pages show them rounded (a percentage to two places), which is all they are
for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

SCORE_PLACES = Decimal("0.01")
COMPLETION_PLACES = Decimal("0.0001")  # a ratio to four places: a percentage to two
HUNDRED = Decimal(100)
MONTHS = 12
RESERVE_MULTIPLE = 5  # reserve projects' total investment ≥ 5 × the year's planned investment

WEIGHT_MAX = 100
CAP_MIN, CAP_MAX = Decimal("1.00"), Decimal("2.00")


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str  # what pages and bulletins call it
    unit: str  # 万元 for amounts; 个 or 家 for counts
    target_field: str  # UnitTarget's column holding the annual target

    @property
    def is_amount(self) -> bool:
        return self.unit == "万元"


INDICATORS: tuple[Indicator, ...] = (
    Indicator("investment", "固定资产投资", "万元", "investment_wan"),
    Indicator("signed", "签约项目", "个", "signed_count"),
    Indicator("signed_investment", "签约项目总投资", "万元", "signed_investment_wan"),
    Indicator("started", "开工项目", "个", "started_count"),
    Indicator("produced", "投产项目", "个", "produced_count"),
    Indicator("reserve", "储备项目总投资", "万元", "reserve_wan"),
    Indicator("above_size", "新增上规企业", "家", "above_size_count"),
)
INDICATOR_BY_KEY = {i.key: i for i in INDICATORS}

# The weights and cap the city starts with. An indicator of weight 0 is shown but scores
# nothing (signed investment and 上规 are targets the city follows without ranking them).
DEFAULT_WEIGHTS: dict[str, int] = {
    "investment": 30,
    "signed": 20,
    "signed_investment": 0,
    "started": 20,
    "produced": 20,
    "reserve": 10,
    "above_size": 0,
}
DEFAULT_CAP = Decimal("1.20")


@dataclass(frozen=True)
class Scheme:
    """The weights and the cap a month is ranked with (in force from a month on)."""

    weights: Mapping[str, int]
    cap: Decimal
    since: tuple[int, int] | None = None  # (year, month) it is in force from; None: default

    def weight(self, key: str) -> int:
        return int(self.weights.get(key, 0))


DEFAULT_SCHEME = Scheme(DEFAULT_WEIGHTS, DEFAULT_CAP)


# --- the arithmetic ----------------------------------------------------------------------------


def completion(actual: Decimal | int, target: Decimal | int | None) -> Decimal | None:
    """actual ÷ target, exact; None when there is no target (none, or zero)."""
    if target is None or not target:
        return None
    return Decimal(actual) / Decimal(target)


def points(weight: Decimal | int, done: Decimal, cap: Decimal) -> Decimal:
    """weight × min(completion, cap)."""
    return Decimal(weight) * min(done, Decimal(cap))


def score(counted: Iterable[tuple[Decimal, Decimal | int]]) -> Decimal | None:
    """Σ points ÷ Σ weights × 100, half-up to two decimals, over (points, weight) of the
    indicators counted; None when nothing is counted (no weight at all)."""
    total_points = Decimal(0)
    total_weight = Decimal(0)
    for p, w in counted:
        total_points += p
        total_weight += Decimal(w)
    if not total_weight:
        return None
    return (total_points / total_weight * HUNDRED).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def rank_with_ties(scores: Sequence[Decimal | None]) -> list[int | None]:
    """Competition ranking, descending: equal scores share a rank and the next rank skips
    (scores 90, 80, 80, 70 → 1, 2, 2, 4). None (no score) gets no rank."""
    ranked = sorted((s for s in scores if s is not None), reverse=True)
    first: dict[Decimal, int] = {}
    for place, s in enumerate(ranked, start=1):
        first.setdefault(s, place)
    return [None if s is None else first[s] for s in scores]


def time_progress(month: int) -> Decimal:
    """The share of the year gone by the end of ``month``: M/12, exact."""
    return Decimal(month) / MONTHS


def round_completion(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(COMPLETION_PLACES, rounding=ROUND_HALF_UP)


def round_points(value: Decimal) -> Decimal:
    return value.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def percent_text(value: Decimal | None) -> str:
    """A ratio as people read it: 0.83333… → 83.33%; None → —."""
    if value is None:
        return "—"
    pct = (value * HUNDRED).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)
    return f"{pct}%"


def reserve_short(reserve: Decimal | None, planned_investment: Decimal | None) -> bool:
    """Whether a reserve (total investment of reserve projects) is below 5 × the year's
    planned investment (the unit's fixed-asset investment target). No plan: no flag."""
    if reserve is None or not planned_investment:
        return False
    return reserve < RESERVE_MULTIPLE * planned_investment


# --- one unit's score --------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorScore:
    key: str
    name: str
    unit: str
    actual: Decimal | int
    target: Decimal | int | None
    completion: Decimal | None  # exact; None: no target, left out
    weight: int
    points: Decimal | None  # None: left out of the score
    ahead: bool | None  # completion ≥ time progress (None: no completion)

    @property
    def counted(self) -> bool:
        return self.points is not None

    @property
    def completion_text(self) -> str:
        return percent_text(self.completion)


@dataclass
class UnitScore:
    code: str  # a county's code, a zone's name
    name: str
    indicators: list[IndicatorScore]
    score: Decimal | None
    rank: int | None = None
    pk: int | None = None  # the unit's row
    flags: list[str] = field(default_factory=list)

    def indicator(self, key: str) -> IndicatorScore:
        for item in self.indicators:
            if item.key == key:
                return item
        raise KeyError(key)


def score_unit(
    *,
    code: str,
    name: str,
    actuals: Mapping[str, Decimal | int],
    targets: Mapping[str, Decimal | int | None],
    scheme: Scheme,
    month: int,
    indicators: Sequence[Indicator] = INDICATORS,
) -> UnitScore:
    """A unit's breakdown and score. An indicator counts when it has a target (not zero)
    and a weight; its completion is compared with the time progress (M/12)."""
    progress = time_progress(month)
    items = []
    for ind in indicators:
        actual = actuals.get(ind.key, 0)
        target = targets.get(ind.key)
        done = completion(actual, target)
        weight = scheme.weight(ind.key)
        pts = points(weight, done, scheme.cap) if done is not None and weight else None
        items.append(
            IndicatorScore(
                key=ind.key,
                name=ind.name,
                unit=ind.unit,
                actual=actual,
                target=target,
                completion=done,
                weight=weight,
                points=pts,
                ahead=None if done is None else done >= progress,
            )
        )
    total = score((i.points, i.weight) for i in items if i.points is not None)
    return UnitScore(code=code, name=name, indicators=items, score=total)


def rank_units(units: list[UnitScore]) -> list[UnitScore]:
    """The units with their ranks, best first; units without a score last (by code)."""
    for unit, place in zip(units, rank_with_ties([u.score for u in units]), strict=True):
        unit.rank = place
    return sorted(
        units, key=lambda u: (u.rank is None, u.rank if u.rank is not None else 0, u.code)
    )


def first_and_last(units: Sequence[UnitScore], last: int = 3) -> tuple[list, list]:
    """The ranked units in first place (more than one when tied) and the last ``last``
    ranked units after them, in rank order."""
    ranked = [u for u in units if u.rank is not None]
    first = [u for u in ranked if u.rank == 1]
    rest = ranked[len(first) :]
    return first, rest[-last:] if rest else []


# --- checks ------------------------------------------------------------------------------------


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def check_ranking_month(year: int, month: int, today: dt.date) -> str:
    """'' if the ranking of (year, month) can be computed; else why not."""
    if not 1 <= month <= 12:
        return "月份应为1至12"
    if (year, month) > (today.year, today.month):
        return f"{year}年{month}月还没到，没有排名"
    if year < 2000:
        return f"年份应在2000至{today.year}之间"
    return ""


def check_target_year(year: int, today: dt.date) -> str:
    if not 2000 <= year <= today.year + 1:
        return f"年度应在2000至{today.year + 1}之间"
    return ""


def check_scheme(
    *, year: int, month: int, cap: Decimal, weights: Mapping[str, int], today: dt.date
) -> dict[str, str]:
    """Errors of a new weighting by field ('' key: the whole); empty when it may be saved.

    It takes effect from a month not yet past (this month or later): a past month keeps
    the weights it was ranked with."""
    errors: dict[str, str] = {}
    if not 1 <= month <= 12:
        errors["month"] = "月份应为1至12"
    elif (year, month) < (today.year, today.month):
        errors["month"] = (
            f"生效月份不能早于本月（{today.year}年{today.month}月）：过去月份的排名保持当时的权重"
        )
    elif year > today.year + 1:
        errors["year"] = f"生效年份不能晚于{today.year + 1}年"
    if not CAP_MIN <= cap <= CAP_MAX:
        errors["cap"] = f"封顶系数应在{CAP_MIN}至{CAP_MAX}之间"
    unknown = set(weights) - set(INDICATOR_BY_KEY)
    if unknown:
        errors[""] = f"不认识的指标：{'、'.join(sorted(unknown))}"
    for key, weight in weights.items():
        if key in INDICATOR_BY_KEY and not 0 <= weight <= WEIGHT_MAX:
            errors[f"w_{key}"] = f"{INDICATOR_BY_KEY[key].name}的权重应在0至{WEIGHT_MAX}之间"
    if not any(w > 0 for w in weights.values()):
        errors.setdefault("", "至少一项指标的权重应大于0")
    return errors
