"""Ledger workbooks for the import tests: rows by Chinese header, as users fill them."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook

from sanpi.projects.io import ACTIVITIES, LEDGER
from sanpi.regions.tests.factories import make_credit_code

HEADERS = LEDGER.headers
ACTIVITY_HEADERS = ACTIVITIES.headers


def row(n: int = 1, **cells) -> dict:
    """A valid new reserve project in 离石区 / 吕梁经济技术开发区 (the world's county A and
    zone A), owned by a new enterprise numbered n. Override cells by header."""
    base = {
        "项目代码": None,
        "项目名称": f"新材料项目{n}",
        "项目单位": f"山西测试{n}科技有限公司",
        "统一社会信用代码": make_credit_code(50_000 + n, "141102"),
        "所属县(市、区)": "离石区",
        "所属开发区": "吕梁经济技术开发区",
        "产业类别": "新材料",
        "建设性质": "新建",
        "总投资(万元)": 12000.5,
        "预计年产值(万元)": 30000,
        "预计年税收(万元)": 1500.25,
        "用地面积(亩)": 120.5,
        "是否标准地": "是",
        "项目阶段": "储备",
        "签约日期": None,
        "签约批次": None,
        "签约方式": None,
        "开工日期": None,
        "开工批次": None,
        "投产日期": None,
        "投产批次": None,
        "达效日期": None,
        "计划竣工日期": None,
        "实际年产值(万元)": None,
        "是否省重点": "否",
        "是否市重点": "否",
    }
    unknown = set(cells) - set(base)
    assert not unknown, unknown
    return {**base, **cells}


def signed(n: int = 1, **cells) -> dict:
    """A project signed at the world's activity 2021-4 (2021-03-22), on site."""
    return row(
        n,
        **{
            "项目阶段": "签约",
            "签约日期": dt.date(2021, 3, 22),
            "签约批次": "2021-4",
            "签约方式": "现场签约",
            **cells,
        },
    )


def activity(year=2022, sequence=1, date=dt.date(2022, 2, 25), level="省级", venue="兴县") -> dict:
    return {"年度": year, "批次": sequence, "日期": date, "级别": level, "会场": venue}


def workbook(
    rows: Sequence[dict] = (),
    activities: Sequence[dict] | None = None,
    *,
    headers: Sequence[str] | None = None,
    sheet: str = LEDGER.name,
) -> bytes:
    """An .xlsx with sheet 项目台账 (or `sheet`) holding `rows` under `headers`, and, when
    `activities` is given, sheet 三个一批活动."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    headers = list(HEADERS if headers is None else headers)
    ws.append(headers)
    for values in rows:
        ws.append([values.get(h) for h in headers])
    if activities is not None:
        ws2 = wb.create_sheet(ACTIVITIES.name)
        ws2.append(ACTIVITY_HEADERS)
        for values in activities:
            ws2.append([values.get(h) for h in ACTIVITY_HEADERS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def fill_every_cell(world, *, planned_tax_wan: Decimal = Decimal("0.10")) -> None:
    """Give the world's project A every kind of ledger cell: a code, land, tax, both flags,
    signed (synchronous) in activity 2021-4, started, produced in activity 2022-2, actual
    output; and put project B outside any zone."""
    from sanpi.accounts.actors import cli_actor
    from sanpi.projects import services
    from sanpi.projects.tests.factories import ActivityFactory

    actor = cli_actor()
    p = world.project_a
    services.project_update(
        by=actor, project=p, code="2103-141102-89-01-000001", land_mu=Decimal("88.80"),
        planned_tax_wan=planned_tax_wan, is_standard_land=True, is_city_key=True,
    )  # fmt: skip
    services.activity_add_project(
        by=actor, activity=world.activity, project=p, action="sign", sign_mode="sync"
    )
    services.project_advance_stage(
        by=actor, project=p, to_stage="started", date=dt.date(2021, 9, 1)
    )
    second = ActivityFactory(year=2022, sequence=2, date=dt.date(2022, 5, 27), venue="")
    services.activity_add_project(by=actor, activity=second, project=p, action="produce")
    services.project_update(
        by=actor, project=p, actual_output_wan=Decimal("12345.67"),
        planned_completion_date=dt.date(2023, 6, 30),
    )  # fmt: skip
    services.project_update(by=actor, project=world.project_b, zone=None)
