"""Project rules. Pure: no Django imports.

Stage moves reserve → signed → started → produced → reached, only forward, each
with its date; dates are in order (signed ≤ started ≤ produced ≤ reached).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from sanpi.core.money import yi_text


class Stage(StrEnum):
    RESERVE = "reserve"
    SIGNED = "signed"
    STARTED = "started"
    PRODUCED = "produced"
    REACHED = "reached"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)
STAGE_LABELS = {
    Stage.RESERVE: "储备",
    Stage.SIGNED: "签约",
    Stage.STARTED: "开工",
    Stage.PRODUCED: "投产",
    Stage.REACHED: "达效",
}
# The date field that records reaching each stage (reserve has none).
STAGE_DATE_FIELD = {
    Stage.SIGNED: "signed_date",
    Stage.STARTED: "started_date",
    Stage.PRODUCED: "produced_date",
    Stage.REACHED: "reached_date",
}
DATE_FIELD_LABELS = {
    "signed_date": "签约日期",
    "started_date": "开工日期",
    "produced_date": "投产日期",
    "reached_date": "达效日期",
}


class Action(StrEnum):
    """What a project does in a "三个一批" activity, and the stage it reaches by it."""

    SIGN = "sign"
    START = "start"
    PRODUCE = "produce"


ACTION_STAGE = {
    Action.SIGN: Stage.SIGNED,
    Action.START: Stage.STARTED,
    Action.PRODUCE: Stage.PRODUCED,
}
ACTION_LABELS = {Action.SIGN: "签约", Action.START: "开工", Action.PRODUCE: "投产"}


_STAGE_INDEX = {str(stage): i for i, stage in enumerate(STAGE_ORDER)}


def stage_index(stage: str) -> int:
    try:
        return _STAGE_INDEX[stage]
    except KeyError:
        raise ValueError(f"{stage!r} is not a valid Stage") from None


def date_errors(stage: str, dates: dict[str, dt.date | None]) -> dict[str, str]:
    """Errors of a stage and its dates, by date field. Empty when consistent.

    Every stage reached needs its date; a stage not reached must not have one;
    dates must not go backwards.
    """
    errors: dict[str, str] = {}
    reached = stage_index(stage)
    for st, field in STAGE_DATE_FIELD.items():
        has = dates.get(field) is not None
        if stage_index(st) <= reached and not has:
            errors[field] = (
                f"项目阶段为“{STAGE_LABELS[Stage(stage)]}”，须填写{DATE_FIELD_LABELS[field]}"
            )
        elif stage_index(st) > reached and has:
            errors[field] = (
                f"项目阶段为“{STAGE_LABELS[Stage(stage)]}”，不应填写{DATE_FIELD_LABELS[field]}"
            )
    previous: tuple[str, dt.date] | None = None
    for field in STAGE_DATE_FIELD.values():
        value = dates.get(field)
        if value is None:
            continue
        if previous and value < previous[1] and field not in errors:
            errors[field] = (
                f"{DATE_FIELD_LABELS[field]}{value:%Y-%m-%d}早于{DATE_FIELD_LABELS[previous[0]]}"
                f"{previous[1]:%Y-%m-%d}"
            )
        previous = (field, value)
    return errors


def future_date_errors(dates: dict[str, dt.date | None], today: dt.date) -> dict[str, str]:
    """Stage dates after today: a stage is recorded when it has happened, not before."""
    return {
        field: f"{DATE_FIELD_LABELS[field]}（{value:%Y-%m-%d}）晚于今天，不能预先登记"
        for field, value in dates.items()
        if value is not None and value > today
    }


def future_error(label: str, day: dt.date | None, today: dt.date) -> str | None:
    """One date after today, named by its label."""
    if day is not None and day > today:
        return f"{label}（{day:%Y-%m-%d}）晚于今天，不能预先登记"
    return None


def planned_completion_error(
    planned: dt.date | None, dates: dict[str, dt.date | None]
) -> str | None:
    """A planned completion date (计划竣工日期) before the project signed or started."""
    if planned is None:
        return None
    for field in ("started_date", "signed_date"):
        day = dates.get(field)
        if day is not None and planned < day:
            return f"计划竣工日期（{planned:%Y-%m-%d}）早于{DATE_FIELD_LABELS[field]}（{day:%Y-%m-%d}）"
    return None


# Amounts far beyond any real project are refused; large ones need a confirmation.
IMPOSSIBLE_WAN = 10**9  # 10万亿元


def amount_scale_error(label: str, wan) -> str | None:
    if wan is not None and wan >= IMPOSSIBLE_WAN:
        return f"{label}{wan_text_yi(wan)}远超任何实际项目（不能达到10万亿元），请核对单位（万元）"
    return None


def amount_scale_warning(label: str, wan, limit_wan) -> str | None:
    if wan is not None and limit_wan and wan > limit_wan:
        return (
            f"{label}{wan_text_yi(wan)}超过常见范围（{wan_text_yi(limit_wan)}），"
            "请核对单位是否为万元"
        )
    return None


def wan_text_yi(wan) -> str:
    """An amount in 万元 as people read a big one: 亿元 with two decimals."""
    return f"{yi_text(wan, 2, grouped=True)}亿元"


# 全国投资项目在线审批监管平台 project code (GB/T 40058-2021): 24 characters,
# TTTT-RRRRRR-DD-PP-NNNNNN. The check digit's algorithm is not published in our
# sources, so only the structure is checked.
PROJECT_CODE_RE = re.compile(r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$")


def project_code_error(code: str) -> str | None:
    if len(code) != 24:
        return f"应为24位（含连字符），实为{len(code)}位"
    if not PROJECT_CODE_RE.match(code):
        return "格式应为 年月-行政区划代码-行业代码-类型代码-6位数字，如 2104-141100-89-01-123456"
    return None


def activity_key(year: int, sequence: int) -> str:
    """How a 批次 cell names an activity: 2021-4 is 2021年第4次."""
    return f"{year}-{sequence}"


_CN_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1–99 as the city writes an ordinal's number: 二, 十, 十一, 二十, 九十九.
    Larger numbers (no year has so many activities) stay in digits."""
    if not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    return f"{_CN_DIGITS[tens] if tens > 1 else ''}十{_CN_DIGITS[ones] if ones else ''}"


# How activities are numbered in their names (settings.SANPI_ACTIVITY_NAMING).
ACTIVITY_NAMINGS = ("ci", "qi")


def activity_name(year: int, sequence: int, naming: str = "ci") -> str:
    """An activity's name as the city numbers it, without “三个一批”活动:
    ``ci`` 2021年第4次 (digits), ``qi`` 2021年第四期 (Chinese numerals).

    Both number it by its 批次, which counts the year's activities in date order from the
    first one. The number is not recounted from the activities on file: the platform need
    not hold every activity of a year (the demo holds 2021's second and fourth, and the
    newspapers call the March one 第二期), and the import reads “2021年第四期” as 批次 4.
    """
    if naming == "qi":
        return f"{year}年第{chinese_numeral(sequence)}期"
    return f"{year}年第{sequence}次"


ACTIVITY_KEY_RE = re.compile(r"^\s*(\d{4})\s*-\s*(\d{1,2})\s*$")


def parse_activity_key(text: str) -> tuple[int, int] | None:
    m = ACTIVITY_KEY_RE.match(text)
    return (int(m.group(1)), int(m.group(2))) if m else None
