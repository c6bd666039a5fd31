"""Ledgers as clerks really send them (issue #6): generated messy workbooks, each asserting
the exact values stored, or the exact refusal with the database unchanged.

The corpus: title rows merged across, a "单位：万元" line, blank rows (absent from the XML
and present but empty), a two-level header, 序号 and 备注 columns, columns in another order
and under other names, county/zone/flag cells merged over runs of rows, 合计 and 小计 rows,
"一、离石区" headings, hidden rows, amounts and dates typed every local way, East Asian
date formats, 批次 that Excel turned into dates, .xls and .csv (UTF-8, BOM, GBK), and
names retyped with spaces and full-width characters.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from sanpi.core.imports import ImportRejected
from sanpi.core.tests import office
from sanpi.projects.io import ledger_import
from sanpi.projects.ledger_export import ledger_export
from sanpi.projects.models import ActivityEntry, Project, ProjectEvent
from sanpi.projects.tests.ledger_files import row, workbook
from sanpi.projects.tests.test_io import counts
from sanpi.regions.tests.factories import make_credit_code

CODE = {n: make_credit_code(60_000 + n, "141102") for n in range(1, 10)}


def save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def messy_ledger() -> bytes:
    """A county clerk's ledger: nothing like the template, everything clear."""
    wb = Workbook()
    ws = wb.active
    ws.title = "项目台账（2022年） "
    ws.append(["吕梁市2022年开发区项目台账"])
    ws.merge_cells("A1:N1")
    ws.append(["填报单位：离石区发改局", None, None, None, None, None, None, None, "单位：万元"])
    ws.append([])
    top = ["序号", "项目名称", "建设单位", "统一社会信用代码", "县(市、区)", "开发区",
           "产业类别", "建设性质", "计划总投资", "项目阶段", "签约", None, None, "是否市重点",
           "备注"]  # fmt: skip
    sub = [None] * 10 + ["日期", "批次", "方式"] + [None, None]
    ws.append(top)
    ws.append(sub)
    for col in "ABCDEFGHIJNO":
        ws.merge_cells(f"{col}4:{col}5")
    ws.merge_cells("K4:M4")
    rows = [
        ["一、离石区"],
        [1, "年产5万吨新材料项目", "山西测试甲材料有限公司", CODE[1], "离石", "吕梁经济技术开发区",
         "新材料", "新建", "5,400.50", "签约", "2021.3.22", dt.datetime(2021, 4, 1), "现场签约",
         "是", "重点"],
        [2, "乙装备项目", "山西测试乙装备有限公司", CODE[2], None, None, "新装备", "扩建",
         "５４００．００", "储备", "—", None, None, None, None],
        [3, "丙科技项目", "山西测试丙科技有限公司", CODE[3], None, None, "新技术", "新建",
         "300万元", "签约", "2021年3月22日", "2021-4", "同步签约", None, None],
        [None] * 15,
        [4, "丁产品项目", "山西测试丁产品有限公司", CODE[4], "141102", "吕梁经开区", "新产品",
         "技术改造", 3.3000000000000003, "储备", None, None, None, "否", None],
        ["合计", None, None, None, None, None, None, None, 11400.8, None],
    ]  # fmt: skip
    for r in rows:
        ws.append(r)
    ws.merge_cells("E7:E9")  # 离石 over rows 7-9 …
    ws.merge_cells("F7:F9")  # … the zone over 7-9
    ws.merge_cells("N7:N9")  # 是 over 7-9: 乙 and 丙 are 市重点 too
    ws.row_dimensions[8].hidden = True
    return save(wb)


def test_a_messy_ledger_is_read_as_the_clerk_meant(world):
    city = world.user("city_office")
    result = ledger_import(by=city, data=messy_ledger(), filename="离石.xlsx")
    assert (result.rows, result.created, result.enterprises_created) == (4, 4, 4)
    assert result.entries_created == 2 and result.events_created == 2
    got = {
        p.name: (
            p.county.name, p.zone.name if p.zone_id else None, p.total_investment_wan,
            p.stage, p.signed_date, p.is_city_key, p.enterprise.credit_code,
        )
        for p in Project.objects.filter(name__in=["年产5万吨新材料项目", "乙装备项目",
                                                  "丙科技项目", "丁产品项目"])
    }  # fmt: skip
    zone = "吕梁经济技术开发区"
    assert got == {
        "年产5万吨新材料项目": ("离石区", zone, Decimal("5400.50"), "signed",
                                dt.date(2021, 3, 22), True, CODE[1]),
        "乙装备项目": ("离石区", zone, Decimal("5400.00"), "reserve", None, True, CODE[2]),
        "丙科技项目": ("离石区", zone, Decimal("300.00"), "signed", dt.date(2021, 3, 22),
                       True, CODE[3]),
        "丁产品项目": ("离石区", zone, Decimal("3.30"), "reserve", None, False, CODE[4]),
    }  # fmt: skip
    entries = ActivityEntry.objects.filter(activity=world.activity).order_by("project__name")
    assert [(e.project.name, e.sign_mode) for e in entries] == [
        ("丙科技项目", "sync"),
        ("年产5万吨新材料项目", "onsite"),
    ]
    seen = result.understood["ledger"]
    assert seen["header_rows"] == [4, 5] and seen["sheet_unit"] == "万元"
    assert seen["skipped"] == {"分组标题行": 1, "空行": 1, "合计行": 1}
    assert [c["header"] for c in seen["ignored"]] == ["序号", "备注"]
    assert {c["header"]: c["how"] for c in seen["columns"]}["签约批次"] == "同名（两级表头）"
    assert seen["hidden_rows"] == 1 and seen["hidden_sample"] == [8]
    assert seen["merged_fills"] == {"县(市、区)": 2, "开发区": 2, "是否市重点": 2}
    notes = {(n["column"], n["note"]): (n["row"], n["raw"], n["value"]) for n in seen["normalised"]}
    assert notes[("计划总投资", "去掉千分位分隔符")] == (7, "5,400.50", "5400.50")
    assert notes[("签约批次", "批次被Excel存成了日期2021-04-01，按2021-4读取")][2] == "2021-4"


def test_the_messy_ledger_sent_again_changes_nothing(world):
    city = world.user("city_office")
    ledger_import(by=city, data=messy_ledger())
    before = counts()
    result = ledger_import(by=city, data=messy_ledger())
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert counts() == {**before, "audit": before["audit"] + 1}


# --- ambiguity is refused, never guessed ---------------------------------------------------------


def test_ambiguous_values_are_refused_saying_what_to_write(world):
    city = world.user("city_office")
    rows = [
        row(1, **{"预计年税收(万元)": "12,5"}),
        row(2, 项目阶段="签约", 签约日期=44322),
        row(3, 项目阶段="签约", 签约日期="2021.05"),
        row(4, **{"总投资(万元)": "1.2亿元"}),
        row(5, 项目阶段="签约", 签约日期="5/6/2021"),
    ]
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        ledger_import(by=city, data=workbook(rows))
    assert caught.value.lines == [
        "第2行 预计年税收(万元)（K列）: “12,5”含义不明（是12.5还是125？），请写成 12.5",
        "第3行 签约日期（O列）: “44322”是数字而不是日期（若指2021-05-06，请把单元格设为日期格式，"
        "或写成 2021-05-06）",
        "第4行 签约日期（O列）: “2021.05”只有年月，缺少日，请写成完整日期，如 2021-05-01",
        "第5行 总投资(万元)（I列）: 单位是亿元，本列单位为万元，请换算后填写 12000",
        "第6行 签约日期（O列）: “5/6/2021”含义不明（是2021-05-06还是2021-06-05？），"
        "请按 年-月-日 的顺序写成 YYYY-MM-DD",
    ]
    assert counts() == before


# --- blank rows never crash ------------------------------------------------------------------------


def test_blank_rows_inserted_into_an_export_are_skipped_on_both_sheets(world):
    city = world.user("city_office")
    wb = load_workbook(io.BytesIO(ledger_export(by=city).data))
    wb["项目台账"].insert_rows(2)
    wb["三个一批活动"].insert_rows(2)
    data = save(wb)
    result = ledger_import(by=city, data=data)
    assert (result.created, result.updated) == (0, 0)
    # A row with an error after the blank row keeps its Excel row number.
    wb["项目台账"]["I3"] = "x"
    with pytest.raises(ImportRejected) as caught:
        ledger_import(by=city, data=save(wb))
    assert caught.value.lines == ["第3行 总投资(万元)（I列）: “x”不是数字"]


def test_an_east_asian_date_format_is_a_date(world):
    """zh-CN Excel writes 2021年3月22日 as numFmtId 31, which openpyxl alone reads as 44277."""
    data = workbook([row(1, 项目阶段="签约", 签约日期=dt.date(2021, 3, 22))])
    patched = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(patched, "w") as out:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/styles.xml":
                content = re.sub(rb"<numFmts.*?</numFmts>", b"", content, flags=re.S)
                content = re.sub(rb'numFmtId="1[46]\d?"', b'numFmtId="31"', content)
            out.writestr(info, content)
    try:
        ledger_import(by=world.user("city_office"), data=patched.getvalue())
    except ImportRejected as e:
        raise AssertionError(e.lines) from None
    assert Project.objects.get(name="新材料项目1").signed_date == dt.date(2021, 3, 22)


# --- re-sent ledgers with retyped names ------------------------------------------------------------


def test_retyped_names_match_the_project_instead_of_duplicating_it(world):
    city = world.user("city_office")
    ledger_import(by=city, data=workbook([row(1, 项目名称="年产10万吨(一期)项目")]))
    retyped = [
        row(1, 项目名称="年产１０万吨（一期） 项目", 项目单位="山西测试1科技有限公司\u3000"),
    ]
    before = counts()
    result = ledger_import(by=city, data=workbook(retyped))
    assert (result.created, result.unchanged) == (0, 1)
    assert result.understood["matched"] == {
        "count": 1,
        "sample": [
            {"row": 2, "name": "年产１０万吨（一期） 项目", "project": "年产10万吨(一期)项目",
             "code": ""}
        ],
    }  # fmt: skip
    assert counts() == {**before, "audit": before["audit"] + 1}


def test_a_probable_duplicate_under_another_enterprise_is_refused_naming_it(world):
    city = world.user("city_office")
    project = world.project_a
    twin = row(9, 项目名称=project.name.replace("", " ").strip())
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        ledger_import(by=city, data=workbook([twin]))
    assert caught.value.lines == [
        f"第2行 项目名称（B列）: 疑似重复：离石区已有同名项目“{project.name}”"
        f"（项目代码{project.code or '未填'}，项目单位“{project.enterprise.name}”）。"
        f"如是同一项目，请把项目单位写成“{project.enterprise.name}”；"
        "如是不同项目，请在项目名称中加以区分"
    ]
    assert counts() == before


# --- other file kinds --------------------------------------------------------------------------------


def _csv(rows: list[dict]) -> str:
    from sanpi.projects.io import LEDGER

    lines = [",".join(LEDGER.headers)]
    for r in rows:
        lines.append(",".join("" if r[h] is None else f'"{r[h]}"' for h in LEDGER.headers))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("encoding", "name"), [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8（带BOM）"),
                                                 ("gbk", "GBK/GB18030")])  # fmt: skip
def test_csv_in_every_encoding_clerks_save(world, encoding, name):
    text = _csv([row(1, **{"总投资(万元)": "1,234.50"}), row(2)])
    result = ledger_import(by=world.user("city_office"), data=text.encode(encoding))
    assert result.created == 2
    assert result.understood["ledger"]["encoding"] == name
    assert Project.objects.get(name="新材料项目1").total_investment_wan == Decimal("1234.50")
    assert Project.objects.get(name="新材料项目1").enterprise.name == "山西测试1科技有限公司"


@office.needs_soffice
def test_xls_and_libreoffice_resaved_exports_import_as_a_no_op(world):
    city = world.user("city_office")
    ledger_import(by=city, data=messy_ledger())
    export = ledger_export(by=city).data
    before = counts()
    for data in (office.resave_xlsx(export), office.to_xls(export)):
        result = ledger_import(by=city, data=data)
        assert (result.created, result.updated) == (0, 0), result.as_dict()
    assert counts() == {**before, "audit": before["audit"] + 2}
    # A messy ledger saved as .xls by the clerk reads the same as the .xlsx.
    xls = office.to_xls(messy_ledger())
    result = ledger_import(by=city, data=xls, dry_run=True)
    assert (result.rows, result.unchanged) == (4, 4)
    assert result.understood["ledger"]["kind"] == "xls"


# --- the preview's counts are the import's ----------------------------------------------------------


def test_a_dry_run_announces_exactly_what_the_import_then_does(world):
    city = world.user("city_office")
    data = messy_ledger()
    preview = ledger_import(by=city, data=data, dry_run=True).as_dict()
    done = ledger_import(by=city, data=data).as_dict()
    assert {**preview, "dry_run": False} == done
    assert (
        done["events_created"]
        == ProjectEvent.objects.filter(
            project__name__in=["年产5万吨新材料项目", "丙科技项目"]
        ).count()
        == 2
    )


def test_the_template_keeps_excel_from_turning_codes_and_batches_into_numbers(world):
    from sanpi.projects.ledger_export import ledger_template

    ws = load_workbook(io.BytesIO(ledger_template()))["项目台账"]
    headers = [c.value for c in ws[1]]
    formats = {
        h: ws.column_dimensions[chr(ord("A") + i)].number_format for i, h in enumerate(headers)
    }
    for header in ("项目代码", "统一社会信用代码", "签约批次", "开工批次", "投产批次"):
        assert formats[header] == "@", header
    assert formats["签约日期"] == "yyyy-mm-dd"


# --- any accepted value round-trips; a refused one writes nothing -----------------------------------

AMOUNTS = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)


def _typed(amount: Decimal, style: int) -> object:
    """An amount as a clerk might type it."""
    if style == 0:
        return amount
    if style == 1:
        return f"{amount:,}"
    if style == 2:
        return f"{amount}".translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    return f" {amount}万元\u3000"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amounts=st.lists(AMOUNTS, min_size=3, max_size=3),
    styles=st.lists(st.integers(0, 3), min_size=3, max_size=3),
    day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2026, 11, 30)),
)
def test_accepted_values_round_trip_through_export_and_import(world, amounts, styles, day):
    city = world.user("city_office")
    Project.objects.filter(name="新材料项目1").delete()
    cells = {
        "总投资(万元)": _typed(amounts[0], styles[0]),
        "预计年产值(万元)": _typed(amounts[1], styles[1]),
        "用地面积(亩)": _typed(amounts[2], styles[2]).replace("万元", "亩")
        if isinstance(_typed(amounts[2], styles[2]), str)
        else amounts[2],
        "项目阶段": "签约",
        "签约日期": day.strftime(["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d"][styles[0]]),
    }
    ledger_import(by=city, data=workbook([row(1, **cells)]))
    project = Project.objects.get(name="新材料项目1")
    assert (project.total_investment_wan, project.planned_output_wan, project.land_mu) == (
        amounts[0],
        amounts[1],
        amounts[2],
    )
    assert project.signed_date == day
    before = counts()
    result = ledger_import(by=city, data=ledger_export(by=city).data)
    assert (result.created, result.updated) == (0, 0)
    assert counts() == {**before, "audit": before["audit"] + 2}  # the export's, the import's


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(alphabet="0123456789,，. ", min_size=2, max_size=10).filter(
        lambda t: ("," in t or "，" in t) and t.strip()
    )
)
def test_a_refused_amount_never_writes(world, text):
    city = world.user("city_office")
    before = counts()
    try:
        ledger_import(by=city, data=workbook([row(1, **{"总投资(万元)": text})]))
    except ImportRejected as exc:
        assert [line.split(":")[0] for line in exc.lines] == ["第2行 总投资(万元)（I列）"]
        assert counts() == before
    else:  # only a real thousands grouping is read
        stored = Project.objects.get(name="新材料项目1").total_investment_wan
        assert re.fullmatch(r"\s*\d{1,3}([,，]\d{3})+(\.\d{1,2})?\s*", text), (text, stored)
        Project.objects.filter(name="新材料项目1").delete()


# --- the lifecycle refuses what cannot be true (issue #7) ------------------------------------------


def test_a_batched_stage_date_is_its_activitys_date(world):
    """World activity 2021-4 is on 2021-03-22."""
    city = world.user("city_office")
    rows = [
        row(1, 项目阶段="签约", 签约日期="2021-03-01", 签约批次="2021-4", 签约方式="现场签约"),
        row(2, 项目阶段="签约", 签约日期=None, 签约批次="2021-4", 签约方式="同步签约"),
    ]
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        ledger_import(by=city, data=workbook(rows))
    assert caught.value.lines == [
        "第2行 签约日期（O列）: 签约日期2021-03-01与签约批次2021-4（2021-03-22）不一致："
        "按批次归属的阶段，日期即活动日期，请改为2021-03-22或留空"
    ]
    assert counts() == before
    ledger_import(by=city, data=workbook(rows[1:]))  # an empty date takes the activity's
    assert Project.objects.get(name="新材料项目2").signed_date == dt.date(2021, 3, 22)


def test_no_date_after_today_and_implausible_amounts_in_the_import(world):
    from django.utils import timezone

    city = world.user("city_office")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ImportRejected) as caught:
        ledger_import(
            by=city,
            data=workbook(
                [
                    row(1, 项目阶段="签约", 签约日期=tomorrow),
                    row(2, **{"总投资(万元)": 1_000_000_000}),
                ]
            ),
        )
    assert caught.value.lines == [
        f"第2行 签约日期（O列）: 签约日期（{tomorrow:%Y-%m-%d}）晚于今天，不能预先登记",
        "第3行 总投资(万元)（I列）: 总投资100,000.00亿元远超任何实际项目（不能达到10万亿元），"
        "请核对单位（万元）",
    ]
    # Large but possible: imported, with a warning in the preview and the result.
    result = ledger_import(
        by=city, data=workbook([row(3, **{"总投资(万元)": 6_000_000})]), dry_run=True
    )
    assert result.understood["warnings"] == {
        "count": 1,
        "sample": [
            "第2行 总投资(万元)（I列）: 总投资600.00亿元超过常见范围（500.00亿元），请核对单位是否为万元"
        ],
    }
    assert (
        ledger_import(by=city, data=workbook([row(3, **{"总投资(万元)": 6_000_000})])).created == 1
    )
