"""The city's main indicators (“十四五”主要指标): progress and the path, as pure functions.

No Django. Every figure is an exact Decimal: the path values are computed exactly (a
local context wide enough that nothing is rounded on the way) and rounded half-up to
four places once, where they are compared with an actual value (stored to four places).

**Progress** toward the 2025 target is the share of the way from the 2020 baseline to
the target that the actual has come, a `core.rates.Rate` whose numerator and denominator
are the way made and the whole way, in the indicator's unit (percentage points for a
share): ``(actual − baseline) / (target − baseline)``, or ``(baseline − actual) /
(baseline − target)`` for an indicator that must fall. It is computed only for an
indicator that has a numeric baseline and target on a path to reach (`PathKind`).

**On the path** compares the actual of a year with what the plan expects that year:

=========  ===================================================================
compound   baseline × (1 + rate%)^(Y − 2020): a quantity with an annual growth rate
           (地区生产总值, 年均增长 >8%)
points     baseline + rate × (Y − 2020): a share whose 年均增长 is in percentage points
           (城镇化率 54.7 → 60 at 1.06 a year: 54.7 + 5 × 1.06 = 60)
linear     the straight line from the baseline to the target (no numeric growth rate);
           without a baseline, only 2025 (and later) is compared, with the target
annual     the indicator is itself a yearly rate (研发经费投入增长): each year's value
           against the annual rate
bound      a floor or a ceiling to hold every year (粮食综合生产能力 ≥ 100万吨,
           城镇调查失业率 < 5.5%)
none       no numeric target (完成省下达目标任务, 力争达到全省平均水平, a composite)
=========  ===================================================================

honouring the direction (higher or lower is better). Years after 2025 are compared with
the 2025 value. The seed's ``>``/``<`` and 以上/以下 include the bound, as its own text
says them (达到25%以上, 控制在5.5%以下).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import StrEnum

from sanpi.core.rates import Rate

BASE_YEAR = 2020
TARGET_YEAR = 2025
FIRST_YEAR = 2021  # the first year of the plan, and of the values entered
PLAN_YEARS = TARGET_YEAR - BASE_YEAR
PLACES = Decimal("0.0001")  # values are stored, and path values rounded, to four places
MAX_WHOLE_DIGITS = 12  # DecimalField(max_digits=16, decimal_places=4)
HUNDRED = Decimal(100)
NO_VALUE = "—"


class Attribute(StrEnum):
    EXPECTED = "expected"
    BINDING = "binding"


ATTRIBUTE_LABELS = {Attribute.EXPECTED: "预期性", Attribute.BINDING: "约束性"}


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"


DIRECTION_LABELS = {Direction.UP: "越高越好", Direction.DOWN: "越低越好"}


class PathKind(StrEnum):
    COMPOUND = "compound"
    POINTS = "points"
    LINEAR = "linear"
    ANNUAL = "annual"
    BOUND = "bound"
    NONE = "none"


PATH_LABELS = {
    PathKind.COMPOUND: "按年均增速复合增长",
    PathKind.POINTS: "按每年提高的百分点",
    PathKind.LINEAR: "从基数到目标的直线进度",
    PathKind.ANNUAL: "每年增速对照年均增长目标",
    PathKind.BOUND: "每年守住底线（上限）",
    PathKind.NONE: "无数值目标",
}
# The kinds whose target is a level reached step by step: progress toward it is computed.
PROGRESS_KINDS = (PathKind.COMPOUND, PathKind.POINTS, PathKind.LINEAR)


class Verdict(StrEnum):
    ON = "on"
    BEHIND = "behind"
    UNKNOWN = "unknown"


VERDICT_LABELS = {
    Verdict.ON: "达到进度",
    Verdict.BEHIND: "落后于进度",
    Verdict.UNKNOWN: "无法判断",
}


@dataclass(frozen=True)
class Spec:
    """What the plan says of one indicator (the model's fields, without Django)."""

    name: str
    unit: str
    baseline: Decimal | None
    target: Decimal | None
    rate: Decimal | None  # 年均增长, percent (or percentage points for `points`)
    direction: Direction
    path: PathKind
    baseline_text: str = NO_VALUE
    target_text: str = NO_VALUE
    growth_text: str = NO_VALUE

    @property
    def difference_unit(self) -> str:
        """The unit of a difference of two values: a share's differ in percentage points."""
        return "个百分点" if self.unit == "%" else self.unit


@dataclass(frozen=True)
class Expected:
    """The value the plan expects in a year, or None with the reason there is none."""

    year: int
    value: Decimal | None
    basis: str  # how the value was found, or why there is none


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str
    year: int | None = None  # the year of the actual judged
    expected: Decimal | None = None

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.verdict]


@dataclass(frozen=True)
class Progress:
    """Progress toward the 2025 target: a Rate, or None with the reason (shown instead)."""

    rate: Rate | None
    reason: str = ""


# --- numbers ----------------------------------------------------------------------------------


def quantize(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def trim(value: Decimal | None) -> Decimal | None:
    """A stored value without the zeros its four places add (1538.0000 → 1538, 54.7000 →
    54.7), never in exponent form; the value itself is unchanged."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def text(value: Decimal | None) -> str:
    """A value as the seed writes it (1538, 54.7, 0.66); — for none."""
    trimmed = trim(value)
    return NO_VALUE if trimmed is None else f"{trimmed:f}"


_NUMBER = re.compile(r"^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$")


def parse_value(value: object) -> Decimal:
    """An actual value as typed or sent: a plain decimal number (thousands separators
    allowed), at most four decimal places, fewer than 13 whole digits; negative numbers
    are fine (a growth rate can fall below zero). Raises ValueError with the Chinese
    message otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("请填写实际值")
    if isinstance(value, bool):
        raise ValueError("实际值须为数字")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, float):
        # JSON numbers arrive as binary floats: repr() is the shortest decimal that
        # round-trips, which is what was written.
        try:
            number = Decimal(repr(value))
        except InvalidOperation:
            raise ValueError("实际值须为数字") from None
    elif isinstance(value, str):
        raw = value.strip()
        if len(raw) > 40 or not _NUMBER.match(raw):
            shown = raw if len(raw) <= 20 else raw[:20] + "…"
            raise ValueError(f"“{shown}”不是数字：请只填数字，如 56.2（单位已给出，不要带%或汉字）")
        number = Decimal(raw.replace(",", ""))
    else:
        raise ValueError("实际值须为数字")
    if not number.is_finite():
        raise ValueError("实际值须为数字")
    if abs(number) >= Decimal(10) ** MAX_WHOLE_DIGITS:
        raise ValueError(f"数值过大（整数部分最多{MAX_WHOLE_DIGITS}位）")
    if number != number.quantize(PLACES, rounding=ROUND_HALF_UP):
        raise ValueError("最多保留四位小数")
    number = number.quantize(PLACES)
    return number.copy_abs() if number.is_zero() else number  # -0 is 0


def check_year(year: int, today: dt.date) -> str | None:
    """A year values are entered for (and the table is shown for): 2021 to this year."""
    if not FIRST_YEAR <= year <= today.year:
        return f"年份应在{FIRST_YEAR}至{today.year}之间"
    return None


def default_year(today: dt.date) -> int:
    """The year a table opens on: the last full year (statistics are published after the
    year ends), not before the plan's first."""
    return max(FIRST_YEAR, today.year - 1)


# --- the path ---------------------------------------------------------------------------------


def _n(spec: Spec, v: Decimal | None) -> str:
    return f"{text(v)}{spec.unit}"


def expected(spec: Spec, year: int) -> Expected:
    """What the plan expects in `year` (2021 or later; after 2025, the 2025 value)."""
    if year < FIRST_YEAR:
        return Expected(year, None, f"{FIRST_YEAR}年以前不在规划期内")
    steps = min(year, TARGET_YEAR) - BASE_YEAR
    late = "（规划期已过，按2025年的值比较）" if year > TARGET_YEAR else ""
    b, t, r = spec.baseline, spec.target, spec.rate
    path = spec.path
    if path is PathKind.COMPOUND and b is not None and r is not None:
        with localcontext() as ctx:
            ctx.prec = 80  # exact: (1 + r/100)^5 × b has far fewer digits
            value = b * (1 + r / HUNDRED) ** steps
        value = quantize(value)
        return Expected(
            year,
            value,
            f"2020年{_n(spec, b)}按年均增长{text(r)}%推算，应达{_n(spec, value)}{late}",
        )
    if path is PathKind.POINTS and b is not None and r is not None:
        value = quantize(b + r * steps)
        return Expected(
            year,
            value,
            f"2020年{_n(spec, b)}每年提高{text(r)}个百分点，应达{_n(spec, value)}{late}",
        )
    if path is PathKind.LINEAR and t is not None:
        if b is None:
            if year < TARGET_YEAR:
                return Expected(
                    year, None, "2020年基数空缺，无法推算各年进度（2025年起与目标比较）"
                )
            return Expected(year, t, f"2020年基数空缺，与2025年目标{_n(spec, t)}比较{late}")
        value = quantize(b + (t - b) * steps / PLAN_YEARS)
        return Expected(
            year,
            value,
            f"从2020年{_n(spec, b)}到2025年{_n(spec, t)}按直线进度，应达{_n(spec, value)}{late}",
        )
    if path is PathKind.ANNUAL and r is not None:
        return Expected(year, r, f"该指标为当年增速，每年应达到年均增长目标{text(r)}%")
    if path is PathKind.BOUND and t is not None:
        side = "不低于" if spec.direction is Direction.UP else "不高于"
        return Expected(year, t, f"每年{side}{_n(spec, t)}（{spec.target_text}）")
    return Expected(year, None, _no_target(spec))


def _no_target(spec: Spec) -> str:
    for label, written, number in (
        ("2025年目标", spec.target_text, spec.target),
        ("年均增长", spec.growth_text, spec.rate),
    ):
        if number is None and written not in ("", NO_VALUE):
            return f"{label}为“{written}”，没有数值目标"
    return "没有2025年数值目标和年均增长目标"


def judge(spec: Spec, actual: Decimal | None, actual_year: int | None) -> Judgement:
    """Whether the actual of `actual_year` is on the plan's path for that year."""
    if actual is None or actual_year is None:
        never = expected(spec, TARGET_YEAR)  # no value would be judged: say why, not "none yet"
        return Judgement(Verdict.UNKNOWN, never.basis if never.value is None else "尚未录入实际值")
    found = expected(spec, actual_year)
    if found.value is None:
        return Judgement(Verdict.UNKNOWN, found.basis, actual_year)
    up = spec.direction is Direction.UP
    ok = actual >= found.value if up else actual <= found.value
    if actual == found.value:
        relation = "等于"
    elif actual > found.value:
        relation = "高于"
    else:
        relation = "低于"
    reason = f"{actual_year}年实际{_n(spec, actual)}，{relation}应达值{_n(spec, found.value)}"
    return Judgement(
        Verdict.ON if ok else Verdict.BEHIND,
        f"{reason}（{found.basis}）",
        actual_year,
        found.value,
    )


def progress(spec: Spec, actual: Decimal | None) -> Progress:
    """The share of the way from the 2020 baseline to the 2025 target that `actual` has come."""
    b, t = spec.baseline, spec.target
    if spec.path is PathKind.ANNUAL:
        return Progress(None, "当年增速指标，不计算累计进度，看每年是否达到年均增长目标")
    if spec.path is PathKind.BOUND:
        return Progress(None, "每年须守住的底线（上限）指标，不计算进度")
    if spec.path not in PROGRESS_KINDS or t is None:
        return Progress(None, _no_target(spec) + "，不计算进度")
    if b is None:
        return Progress(None, "2020年基数空缺，不计算进度")
    if t == b:
        return Progress(None, "2025年目标与2020年基数相同，不计算进度")
    if actual is None:
        return Progress(None, "尚未录入实际值")
    unit = spec.difference_unit
    if spec.direction is Direction.UP:
        return Progress(Rate(trim(actual - b), trim(t - b), unit))
    return Progress(Rate(trim(b - actual), trim(b - t), unit))
