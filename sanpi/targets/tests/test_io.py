"""The targets workbook: its template, its import (all errors at once, all or nothing)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from sanpi.core.errors import PermissionDenied, ValidationFailed
from sanpi.core.imports import ImportRejected
from sanpi.core.models import AuditLog
from sanpi.regions.models import County, DevelopmentZone
from sanpi.targets.io import TARGETS, targets_import, targets_template
from sanpi.targets.models import UnitTarget
from sanpi.targets.tests.factories import target

W = Decimal
HEADERS = TARGETS.headers


def workbook(rows, *, headers=HEADERS, sheet="年度目标") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_template_lists_every_unit_with_its_targets(world):
    target(2025, county=world.county_a, investment_wan=W("1234.50"), signed_count=7)
    doc = targets_template(by=world.user("city_office"), year=2025)
    assert doc.filename == "2025年度目标.xlsx"
    ws = load_workbook(io.BytesIO(doc.data))["年度目标"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS == [
        "单位类型", "单位名称", "固定资产投资目标(万元)", "签约项目目标(个)",
        "签约项目总投资目标(万元)", "开工项目目标(个)", "投产项目目标(个)",
        "储备项目总投资目标(万元)", "新增上规企业目标(家)",
    ]  # fmt: skip
    assert len(rows) == 1 + County.objects.count() + DevelopmentZone.objects.count()
    lishi = next(r for r in rows if r[1] == "离石区")
    assert lishi[:4] == ("县(市、区)", "离石区", 1234.5, 7)
    assert ("开发区", "孝义经济开发区") in {r[:2] for r in rows}


def test_the_template_filled_in_imports_and_again_changes_nothing(world):
    city = world.user("city_office")
    target(2025, county=world.county_a, investment_wan=W("1.00"))
    data = workbook(
        [
            ("县(市、区)", "离石区", 5000, 10, "20000.50", 4, 3, 30000, 2),
            ("县", "141181", 800, None, None, None, None, None, None),  # by code; 县 for short
            ("开发区", "吕梁经开区", 1200.25, 2, None, 1, None, 6000, None),  # by short name
        ]
    )
    summary = targets_import(by=city, year=2025, data=data, filename="目标.xlsx")
    assert (summary.created, summary.updated, summary.unchanged) == (2, 1, 0)
    assert summary.text() == "已导入2025年度目标：新增2个单位，修改1个，未变化0个。"
    a = UnitTarget.objects.get(year=2025, county=world.county_a)
    assert (a.investment_wan, a.signed_count, a.signed_investment_wan, a.above_size_count) == (
        W("5000.00"), 10, W("20000.50"), 2,
    )  # fmt: skip
    zone = UnitTarget.objects.get(year=2025, zone=world.zone_a)
    assert (zone.investment_wan, zone.produced_count) == (W("1200.25"), None)
    assert AuditLog.objects.filter(action="import", object_type="targets.import").count() == 1
    assert AuditLog.objects.filter(object_type="targets.unittarget").count() == 3

    again = targets_template(by=city, year=2025).data
    summary = targets_import(by=city, year=2025, data=again)
    assert (summary.created, summary.updated) == (0, 0)
    assert summary.unchanged == County.objects.count() + DevelopmentZone.objects.count()
    assert UnitTarget.objects.count() == 3  # units without targets stay without a row


def test_a_column_the_file_lacks_leaves_that_target_as_it_is(world):
    target(2025, county=world.county_a, investment_wan=W("1.00"), signed_count=5)
    data = workbook([("县(市、区)", "离石区", 9)], headers=HEADERS[:3])
    targets_import(by=world.user("city_office"), year=2025, data=data)
    a = UnitTarget.objects.get()
    assert (a.investment_wan, a.signed_count) == (W("9.00"), 5)


def _refused(world, data, year=2025) -> list[str]:
    before = list(UnitTarget.objects.values())
    with pytest.raises(ImportRejected) as caught:
        targets_import(by=world.user("city_office"), year=year, data=data, filename="目标.xlsx")
    assert list(UnitTarget.objects.values()) == before  # nothing written
    assert not AuditLog.objects.filter(action="import").exists()
    assert caught.value.message.endswith("未导入任何数据，请改正后重新导入。")
    return caught.value.lines


def test_every_bad_row_is_reported_at_once_and_nothing_is_written(world):
    target(2025, county=world.county_b, signed_count=1)
    lines = _refused(
        world,
        workbook(
            [
                ("县(市、区)", "离石区", 100),  # fine, yet not written
                ("乡镇", "信义镇", 1),
                ("县(市、区)", "火星县", 1),
                ("开发区", "不存在开发区", 1),
                ("县(市、区)", "离石区", 2),
                ("县(市、区)", "孝义市", -5),
                ("县(市、区)", "汾阳市", 1, "2.5"),
                ("县(市、区)", "文水县", "1,2"),
                ("县(市、区)", None, 1),
                ("开发区", "孝义经济开发区", "12万"),  # fine: 万 is 万元
                ("开发区", "吕梁经济技术开发区", "一千"),
            ]
        ),
    )
    assert lines == [
        "第3行 单位类型（A列）: “乡镇”不是有效的单位类型（可选：县(市、区)、开发区）",
        "第4行 单位名称（B列）: 没有名为“火星县”的县(市、区)",
        "第5行 单位名称（B列）: 没有名为“不存在开发区”的开发区",
        "第6行 单位名称（B列）: 与第2行是同一单位，每个单位只能填一行",
        "第7行 固定资产投资目标(万元)（C列）: 不能为负数",
        "第8行 签约项目目标(个)（D列）: “2.5”不是整数",
        "第9行 固定资产投资目标(万元)（C列）: “1,2”含义不明（是1.2还是12？），请写成 1.2",
        "第10行 单位名称（B列）: 不能为空",
        "第12行 固定资产投资目标(万元)（C列）: “一千”不是数字",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4 ...", "这是 PDF 文件，不是表格，请上传 .xlsx、.xls 或 .csv 文件"),
        (b"", "文件是空的，请检查是否选错了文件"),
        (workbook([]), "工作表“年度目标”没有数据行"),
        (
            workbook(
                [("县(市、区)", "离石区", 1)],
                headers=("单位类型", "单位名称", "固定资产投资目标(亿元)"),
            ),
            "亿元",
        ),
        (workbook([("离石区", 1)], headers=("单位名称", "固定资产投资目标(万元)")), "单位类型"),
    ],
)
def test_bad_files_are_refused_with_a_chinese_message(world, data, message):
    lines = _refused(world, data)
    assert any(message in line for line in lines), lines


def test_a_workbook_without_the_sheet_says_which_sheets_it_has(world):
    wb = Workbook()
    wb.active.title = "说明"
    wb.create_sheet("数据")
    buf = io.BytesIO()
    wb.save(buf)
    assert _refused(world, buf.getvalue()) == [
        "找不到工作表“年度目标”（文件中的工作表：说明、数据）：请把目标所在的工作表命名为“年度目标”"
    ]


def test_an_only_sheet_is_read_whatever_its_name(world):
    data = workbook([("县(市、区)", "离石区", 9)], sheet="Sheet1")
    targets_import(by=world.user("city_office"), year=2025, data=data)
    assert UnitTarget.objects.get().investment_wan == W("9.00")


def test_a_bad_year_and_other_roles_are_refused(world):
    data = workbook([("县(市、区)", "离石区", 9)])
    with pytest.raises(ValidationFailed, match="年度应在2000至"):
        targets_import(by=world.user("city_office"), year=1999, data=data)
    for role in ("leader", "county", "zone", "enterprise", "admin"):
        with pytest.raises(PermissionDenied):
            targets_import(by=world.user(role), year=2025, data=data)
        with pytest.raises(PermissionDenied):
            targets_template(by=world.user(role), year=2025)
    assert not UnitTarget.objects.exists()
