"""The ledger workbook's sheets: their columns, vocabularies and the names clerks give them.

The template has a sheet 项目台账 with the columns of `LEDGER` and an optional sheet
三个一批活动 (`ACTIVITIES`). Files need not follow it: `sanpi.core.tables` finds the header
anywhere in the first rows and maps columns by name, with the synonyms of
`ledger_headers.json` (kept as data, so the list grows without code changes). A 批次 cell
names an activity as ``YYYY-N`` and attributes the project's signing, start or production
to it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from sanpi.core import cells
from sanpi.core.cells import CellValueError
from sanpi.core.xlsx import AMOUNT_FORMAT, DATE_FORMAT, Column, SheetSpec
from sanpi.regions.rules import COUNTIES, credit_code_error, normalize_credit_code

from .models import Activity, ConstructionKind, Industry
from .models import SignMode as SignModeChoices
from .rules import STAGE_DATE_FIELD, STAGE_LABELS, Action

# --- vocabularies ------------------------------------------------------------------------

STAGE_BY_LABEL = {label: stage.value for stage, label in STAGE_LABELS.items()}
INDUSTRY_BY_LABEL = {label: value for value, label in Industry.choices}
KIND_BY_LABEL = {label: value for value, label in ConstructionKind.choices}
SIGN_MODE_BY_LABEL = {label: value for value, label in SignModeChoices.choices}
LEVEL_BY_LABEL = {label: value for value, label in Activity.Level.choices}
INDUSTRY_LABELS = dict(Industry.choices)
KIND_LABELS = dict(ConstructionKind.choices)
SIGN_MODE_LABELS = dict(SignModeChoices.choices)
LEVEL_LABELS = dict(Activity.Level.choices)
YES_NO = (cells.YES, cells.NO)


def _credit_code(value: object) -> str:
    if isinstance(value, float) or (isinstance(value, int) and len(str(value)) != 18):
        raise CellValueError(
            "被Excel存成了数字，末几位可能已丢失；请把此列设为“文本”格式后重新填写18位代码"
        )
    code = normalize_credit_code(cells.match_key(_text(value)).upper())
    problem = credit_code_error(code)
    if problem:
        raise CellValueError(problem)
    return code


_text = cells.text()
_WAN = cells.amount(unit="万元", max_digits=16)
_MU = cells.amount(unit="亩", max_digits=12)
TEXT_FORMAT = "@"  # cells Excel must not turn into dates or numbers


# --- the sheets --------------------------------------------------------------------------

LEDGER = SheetSpec(
    "项目台账",
    (
        Column("code", "项目代码", cells.text(40), width=26, number_format=TEXT_FORMAT),
        Column("name", "项目名称", cells.text(200), required=True, width=36),
        Column("enterprise", "项目单位", cells.text(100), required=True, width=30),
        Column(
            "credit_code", "统一社会信用代码", _credit_code, required=True, width=22,
            number_format=TEXT_FORMAT,
        ),
        Column(
            "county", "所属县(市、区)", cells.text(20), required=True, width=14,
            choices=tuple(name for _, name in COUNTIES),
        ),
        Column("zone", "所属开发区", cells.text(50), width=26),
        Column(
            "industry", "产业类别", cells.choice(INDUSTRY_BY_LABEL, "产业类别"), required=True,
            width=16, choices=tuple(INDUSTRY_BY_LABEL),
        ),
        Column(
            "construction_kind", "建设性质", cells.choice(KIND_BY_LABEL, "建设性质"),
            required=True, width=10, choices=tuple(KIND_BY_LABEL),
        ),
        Column(
            "total_investment_wan", "总投资(万元)", _WAN, required=True, width=14,
            number_format=AMOUNT_FORMAT,
        ),
        Column(
            "planned_output_wan", "预计年产值(万元)", _WAN, width=16,
            number_format=AMOUNT_FORMAT,
        ),
        Column(
            "planned_tax_wan", "预计年税收(万元)", _WAN, width=16,
            number_format=AMOUNT_FORMAT,
        ),
        Column("land_mu", "用地面积(亩)", _MU, width=12, number_format="#,##0.00"),
        Column("is_standard_land", "是否标准地", cells.yes_no, width=10, choices=YES_NO, default=False),
        Column(
            "stage", "项目阶段", cells.choice(STAGE_BY_LABEL, "项目阶段"), required=True, width=10,
            choices=tuple(STAGE_BY_LABEL),
        ),
        Column("signed_date", "签约日期", cells.date, width=12, number_format=DATE_FORMAT),
        Column("sign_batch", "签约批次", cells.batch, width=10, number_format=TEXT_FORMAT),
        Column(
            "sign_mode", "签约方式", cells.choice(SIGN_MODE_BY_LABEL, "签约方式"), width=10,
            choices=tuple(SIGN_MODE_BY_LABEL),
        ),
        Column("started_date", "开工日期", cells.date, width=12, number_format=DATE_FORMAT),
        Column("start_batch", "开工批次", cells.batch, width=10, number_format=TEXT_FORMAT),
        Column("produced_date", "投产日期", cells.date, width=12, number_format=DATE_FORMAT),
        Column("produce_batch", "投产批次", cells.batch, width=10, number_format=TEXT_FORMAT),
        Column("reached_date", "达效日期", cells.date, width=12, number_format=DATE_FORMAT),
        Column(
            "planned_completion_date", "计划竣工日期", cells.date, width=12,
            number_format=DATE_FORMAT,
        ),
        Column(
            "actual_output_wan", "实际年产值(万元)", _WAN, width=16,
            number_format=AMOUNT_FORMAT,
        ),
        Column("is_provincial_key", "是否省重点", cells.yes_no, width=10, choices=YES_NO, default=False),
        Column("is_city_key", "是否市重点", cells.yes_no, width=10, choices=YES_NO, default=False),
    ),
)  # fmt: skip

ACTIVITIES = SheetSpec(
    "三个一批活动",
    (
        Column("year", "年度", cells.integer(2000, 2099), required=True, width=8, aliases=("年份", "年")),
        Column(
            "sequence", "批次", cells.integer(1, 99), required=True, width=8,
            aliases=("期次", "次", "第几次", "活动批次"),
        ),
        Column(
            "date", "日期", cells.date, required=True, width=12, number_format=DATE_FORMAT,
            aliases=("活动日期", "举办日期", "时间"),
        ),
        Column(
            "level", "级别", cells.choice(LEVEL_BY_LABEL, "级别"), required=True, width=8,
            choices=tuple(LEVEL_BY_LABEL),
        ),
        Column("venue", "会场", cells.text(200), width=40, aliases=("主会场", "地点", "活动地点")),
    ),
    prefix="三个一批活动表",
)  # fmt: skip

# (batch column, action, the date column of the stage the action reaches)
BATCHES: tuple[tuple[str, Action], ...] = (
    ("sign_batch", Action.SIGN),
    ("start_batch", Action.START),
    ("produce_batch", Action.PRODUCE),
)
DATE_KEYS = tuple(STAGE_DATE_FIELD.values())
# The project fields a ledger row sets (by attname), compared to decide "unchanged".
ROW_FIELDS = (
    "code",
    "county_id",
    "zone_id",
    "industry",
    "construction_kind",
    "total_investment_wan",
    "planned_output_wan",
    "planned_tax_wan",
    "land_mu",
    "is_standard_land",
    "stage",
    "signed_date",
    "started_date",
    "produced_date",
    "reached_date",
    "planned_completion_date",
    "actual_output_wan",
    "is_provincial_key",
    "is_city_key",
)
ROW_FIELD_NAMES = {f: f.removesuffix("_id") for f in ROW_FIELDS}
HEADER_OF = {c.key: c.header for c in LEDGER.columns}
EVIDENCE = "Excel台账导入"
INTEGRITY_MESSAGE = "导入期间数据被他人同时修改，未导入任何数据，请重新导入。"


def _with_aliases(spec: SheetSpec, path: Path) -> SheetSpec:
    names = json.loads(path.read_text(encoding="utf-8"))
    columns = tuple(
        dataclasses.replace(c, aliases=tuple(names.get(c.header, ()))) for c in spec.columns
    )
    return dataclasses.replace(spec, columns=columns)


LEDGER = _with_aliases(LEDGER, Path(__file__).with_name("ledger_headers.json"))
