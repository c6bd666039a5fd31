"""API of the city's main indicators (“十四五”主要指标, sanpi.indicators).

The table is what the page shows for a year (the same `selectors.indicator_table`), for
every ledger reader whatever their scope; the city office enters a year's actual value.
Numbers are decimal strings (exact), never floats.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from pydantic import PlainValidator, WithJsonSchema

from sanpi.core.api import (
    ERROR_RESPONSES,
    MAX_ID,
    InputSchema,
    OptionalText,
    input_error,
    optional_int,
)

from . import rules, selectors, services
from .models import IndicatorValue
from .rules import ATTRIBUTE_LABELS, DIRECTION_LABELS, PATH_LABELS, VERDICT_LABELS

router = Router(tags=["主要指标"])

VERSION_MAX = 2_147_483_647


def _plain(value: Decimal | None) -> str | None:
    trimmed = rules.trim(value)
    return None if trimmed is None else f"{trimmed:f}"


def _check_actual(value: object) -> Decimal:
    try:
        return rules.parse_value(value)
    except ValueError as exc:
        raise input_error("decimal", str(exc)) from None


Actual = Annotated[
    Decimal,
    PlainValidator(_check_actual),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^[+-]?\d+(\.\d{1,4})?$"},
                {"type": "number"},
            ],
            "examples": ["1661.04"],
        }
    ),
]


class IndicatorProgressOut(Schema):
    num: str = Field(title="分子", description="已完成的变化量（实际值与2020年基数之差）")
    den: str = Field(title="分母", description="应完成的变化量（2025年目标与2020年基数之差）")
    unit: str = Field(title="单位", description="分子、分母的单位；比重类指标为“个百分点”")
    pct: str | None = Field(title="进度(%)", description="一位小数，四舍五入")
    text: str = Field(title="进度", examples=["45.2%（1.7个百分点/5.3个百分点）"])


class IndicatorSummaryOut(Schema):
    year: int = Field(title="年份")
    on_path: int = Field(title="达到进度")
    behind: int = Field(title="落后于进度")
    undecidable: int = Field(title="无法判断")
    entered: int = Field(title="已录入实际值的指标数")
    total: int = Field(title="指标总数")


class IndicatorRowOut(Schema):
    id: int = Field(title="指标编号")
    order: int = Field(title="序号")
    group: str = Field(title="类别")
    name: str = Field(title="指标")
    unit: str = Field(title="单位")
    attribute: str = Field(title="属性", description="expected 预期性，binding 约束性")
    attribute_label: str = Field(title="属性（中文）")
    direction: str = Field(title="方向", description="up 越高越好，down 越低越好")
    direction_label: str = Field(title="方向（中文）")
    path_kind: str = Field(
        title="进度口径",
        description="compound 按年均增速复合增长；points 按每年提高的百分点；linear 从基数到"
        "目标的直线进度；annual 每年增速对照年均增长目标；bound 每年守住底线（上限）；none 无数值目标",
    )
    path_kind_label: str = Field(title="进度口径（中文）")
    baseline: str | None = Field(title="2020年基数", description="原文不是数值时为 null")
    baseline_text: str = Field(title="2020年实际/预计（原文）")
    target: str | None = Field(title="2025年目标值", description="原文不是数值时为 null")
    target_text: str = Field(title="2025年目标（原文）")
    annual_growth: str | None = Field(title="年均增长(%)", description="原文不是数值时为 null")
    annual_growth_text: str = Field(title="年均增长（原文）")
    actual: str | None = Field(title="实际值", description="该年份及以前最近一年的录入值")
    actual_year: int | None = Field(title="实际值年份")
    actual_note: str = Field(title="实际值说明")
    version: int = Field(
        title="该年份实际值的版本",
        description="修改该年份实际值时原样传回；该年份还没有实际值时为 0",
    )
    expected: str | None = Field(title="应达值", description="实际值年份按规划应达到的值")
    progress: IndicatorProgressOut | None = Field(title="进度", description="不计算进度时为 null")
    progress_note: str = Field(title="进度说明", description="不计算进度时说明原因")
    verdict: str = Field(
        title="是否达到进度", description="on 达到进度，behind 落后于进度，unknown 无法判断"
    )
    verdict_label: str = Field(title="是否达到进度（中文）")
    verdict_reason: str = Field(title="判断依据")


class IndicatorTableOut(Schema):
    year: int = Field(title="年份")
    summary: IndicatorSummaryOut = Field(title="汇总")
    items: list[IndicatorRowOut] = Field(title="各项指标", description="按序号排列，共34项")


class IndicatorTableQuery(Schema):
    year: optional_int(ge=0, le=9999) = Field(
        None, title="年份", description="2021 至今年；不填为上一年"
    )


class IndicatorValueIn(InputSchema):
    """某指标某年份的实际值。"""

    actual: Actual = Field(
        title="实际值",
        description="十进制数（字符串或 JSON 数字），最多四位小数，单位为指标的单位；"
        "可为负数（增速）",
    )
    note: OptionalText = Field("", title="说明", max_length=500, description="数据来源或口径")
    version: int = Field(
        title="版本",
        description="读取时该年份实际值的版本（还没有实际值时传 0）；他人已修改时返回 409",
        ge=0,
        le=VERSION_MAX,
    )


class IndicatorValueOut(Schema):
    indicator: int = Field(title="指标编号")
    indicator_name: str = Field(title="指标")
    year: int = Field(title="年份")
    actual: str = Field(title="实际值")
    unit: str = Field(title="单位")
    note: str = Field(title="说明")
    version: int = Field(title="版本")
    entered_by: str | None = Field(title="录入人")
    entered_at: dt.datetime = Field(title="录入时间")


def _rate(rate) -> dict | None:
    if rate is None:
        return None
    data = rate.as_json(as_strings=True)
    num, den = rules.trim(Decimal(data["num"])), rules.trim(Decimal(data["den"]))
    return {
        "num": f"{num:f}",
        "den": f"{den:f}",
        "unit": rate.unit,
        "pct": data["pct"],
        "text": str(rate),
    }


def row_json(row: selectors.Row) -> dict:
    ind = row.indicator
    latest = row.latest
    return {
        "id": ind.pk,
        "order": ind.order,
        "group": ind.group,
        "name": ind.name,
        "unit": ind.unit,
        "attribute": ind.attribute,
        "attribute_label": str(ATTRIBUTE_LABELS[rules.Attribute(ind.attribute)]),
        "direction": ind.direction,
        "direction_label": str(DIRECTION_LABELS[rules.Direction(ind.direction)]),
        "path_kind": ind.path_kind,
        "path_kind_label": str(PATH_LABELS[rules.PathKind(ind.path_kind)]),
        "baseline": _plain(ind.baseline_2020),
        "baseline_text": ind.baseline_text,
        "target": _plain(ind.target_2025),
        "target_text": ind.target_text,
        "annual_growth": _plain(ind.annual_growth),
        "annual_growth_text": ind.annual_growth_text,
        "actual": _plain(latest.actual) if latest is not None else None,
        "actual_year": latest.year if latest is not None else None,
        "actual_note": latest.note if latest is not None else "",
        "version": row.this_year.version if row.this_year is not None else 0,
        "expected": _plain(row.judgement.expected),
        "progress": _rate(row.progress.rate),
        "progress_note": row.progress.reason,
        "verdict": row.judgement.verdict.value,
        "verdict_label": VERDICT_LABELS[row.judgement.verdict],
        "verdict_reason": row.judgement.reason,
    }


def value_json(value: IndicatorValue) -> dict:
    return {
        "indicator": value.indicator_id,
        "indicator_name": value.indicator.name,
        "year": value.year,
        "actual": _plain(value.actual),
        "unit": value.indicator.unit,
        "note": value.note,
        "version": value.version,
        "entered_by": value.entered_by.get_username() if value.entered_by_id else None,
        "entered_at": timezone.localtime(value.entered_at),
    }


@router.get(
    "/indicators",
    response={200: IndicatorTableOut, **ERROR_RESPONSES},
    summary="主要指标表",
    description="“十四五”吕梁市转型出雏型主要指标（专栏1-2，34项）在该年份的进展：2020年基数、"
    "2025年目标、年均增长、属性（均有原文和数值），该年份及以前最近一年的实际值，进度（分子/分母），"
    "以及是否达到进度。全市公开数据，对所有可查看台账的用户相同。",
)
def indicator_table(request, query: Query[IndicatorTableQuery]):
    year = query.year if query.year is not None else selectors.default_year()
    table = selectors.indicator_table(user=request.auth, year=year)
    return {
        "year": table.year,
        "summary": table.summary().as_json(),
        "items": [row_json(row) for row in table.rows],
    }


@router.put(
    "/indicators/{id}/values/{year}",
    response={200: IndicatorValueOut, **ERROR_RESPONSES},
    summary="录入指标实际值",
    description="需要“管理目标”权限（市项目办）。录入或修改某指标某年份（2021至今年）的实际值；"
    "version 传读取时该年份实际值的版本（还没有实际值时传 0），他人已修改时返回 409"
    "（“该指标数值已被他人修改，请刷新后重试”）。记入审计日志。",
)
def value_put(
    request,
    payload: IndicatorValueIn,
    id: int = Path(..., title="指标编号", ge=1, le=MAX_ID),
    year: int = Path(..., title="年份", description="2021 至今年", ge=0, le=9999),
):
    value = services.value_set(
        by=request.auth,
        indicator=id,
        year=year,
        actual=payload.actual,
        note=payload.note or "",
        version=payload.version,
    )
    value = selectors.value_get(user=request.auth, indicator=value.indicator, year=year)
    return value_json(value)
