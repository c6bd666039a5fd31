"""Laying out a clerk's sheet (`sanpi.core.tables`), on a made-up spec. No database.

The ledger's own messy corpus is in projects/tests/test_io_messy.py; here each rule of the
reader is tested on its own: where the header is, which column is which, which rows are
data, merged cells, what the report says, the explicit mapping, the row spool.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from sanpi.core import cells
from sanpi.core.tables import RowSpool, find_sheet, read_table
from sanpi.core.workbooks import open_book
from sanpi.core.xlsx import Column, ErrorList, SheetSpec

SPEC = SheetSpec(
    "清单",
    (
        Column("name", "名称", cells.text(20), required=True, aliases=("项目名称",)),
        Column("owner", "单位", cells.text(20), required=True, aliases=("建设单位",)),
        Column("amount", "金额(万元)", cells.amount(unit="万元"), aliases=("投资额(万元)",)),
        Column("day", "签约日期", cells.date),
        Column("flag", "是否重点", cells.yes_no, default=False),
    ),
)


def sheet(rows, *, merges=(), hidden=(), title="清单") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(list(r))
    for ref in merges:
        ws.merge_cells(ref)
    for number in hidden:
        ws.row_dimensions[number].hidden = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(data: bytes, **kwargs):
    errors = ErrorList()
    with open_book(data) as book:
        table = read_table(book.sheet(book.sheet_names[0]), SPEC, errors, **kwargs)
        rows = list(table.rows(errors)) if table else None
    return table, rows, errors.lines()


HEADER = ["名称", "单位", "金额(万元)", "签约日期", "是否重点"]


def test_the_template_layout_reads_straight():
    table, rows, errors = read(sheet([HEADER, ["甲", "一公司", 12.5, dt.date(2021, 3, 22), "是"]]))
    assert errors == []
    assert rows[0].number == 2
    assert rows[0].values == {
        "name": "甲", "owner": "一公司", "amount": Decimal("12.50"),
        "day": dt.date(2021, 3, 22), "flag": True,
    }  # fmt: skip
    assert table.report.header_rows == [1]
    assert table.report.ignored == [] and table.report.missing == []


def test_header_below_a_title_and_a_unit_line_in_any_order_with_synonyms():
    data = sheet(
        [
            ["2022年清单"],
            ["单位：万元"],
            [],
            ["序号", "建设单位", "项目名称", "投资额", "备注"],
            [1, "一公司", "甲", "1,200", "x"],
        ],
        merges=["A1:E1"],
    )
    table, rows, errors = read(data)
    assert errors == []
    assert rows[0].values == {"name": "甲", "owner": "一公司", "amount": Decimal("1200.00")}
    report = table.report
    assert (report.header_rows, report.sheet_unit) == ([4], "万元")
    assert [(c["header"], c["target"], c["how"]) for c in report.columns] == [
        ("建设单位", "单位", "同义词"),
        ("项目名称", "名称", "同义词"),
        ("投资额", "金额(万元)", "按表上注明的“单位：万元”"),
    ]
    assert [c["header"] for c in report.ignored] == ["序号", "备注"]
    assert report.missing == ["签约日期", "是否重点"]
    assert table.present == {"name", "owner", "amount"}


def test_a_two_level_header_joins_group_and_sub_heading():
    data = sheet(
        [["名称", "单位", "签约", None], [None, None, "日期", "是否重点"], ["甲", "一公司", "2021.3.22", "否"]],
        merges=["A1:A2", "B1:B2", "C1:D1"],
    )  # fmt: skip
    table, rows, errors = read(data)
    assert errors == []
    assert table.report.header_rows == [1, 2]
    assert rows[0].values["day"] == dt.date(2021, 3, 22)
    assert rows[0].values["flag"] is False


def test_rows_that_are_not_data_are_skipped_and_reported():
    data = sheet(
        [
            HEADER,
            ["一、离石区"],
            ["甲", "一公司", 1, None, None],
            [],
            [None, None, None, None, None],
            ["小计", None, 1, None, None],
            HEADER,  # repeated at a page break
            ["注：金额单位为万元"],
            ["乙", "二公司", 2, None, None],
        ],
        merges=["A2:E2"],
    )
    table, rows, errors = read(data)
    assert errors == []
    assert [r.number for r in rows] == [3, 9]
    assert table.report.skipped == {
        "分组标题行": 1, "空行": 1, "合计行": 1, "重复的表头行": 1, "说明行": 1,
    }  # fmt: skip


def test_a_row_with_only_a_name_is_data_and_gets_its_errors():
    _, rows, errors = read(sheet([HEADER, ["年产10万吨项目"]]))
    assert errors == ["第2行 单位（B列）: 不能为空"]


def test_merged_cells_give_every_covered_row_the_value_and_hidden_rows_are_read():
    data = sheet(
        [HEADER, ["甲", "一公司", 1, None, "是"], ["乙", None, 2, None, None], ["丙", "三公司", 3]],
        merges=["B2:B3", "E2:E4"],
        hidden=[3],
    )
    table, rows, errors = read(data)
    assert errors == []
    assert [(r.values["owner"], r.values["flag"], r.hidden) for r in rows] == [
        ("一公司", True, False),
        ("一公司", True, True),
        ("三公司", True, False),
    ]
    assert table.report.merged_fills == {"单位": 1, "是否重点": 2}
    assert (table.report.hidden_rows, table.report.hidden_sample) == (1, [3])


def test_normalised_values_are_counted_with_a_sample():
    data = sheet([HEADER, ["甲", "一", "５００", None, None], ["乙", "二", "600万元", None, None],
                  ["丙", "三", "７００", None, None]])  # fmt: skip
    table, _, _ = read(data)
    assert table.report.normalised == [
        {"column": "金额(万元)", "note": "全角数字转为半角", "count": 2, "row": 2, "raw": "５００",
         "value": "500.00"},
        {"column": "金额(万元)", "note": "去掉单位“万元”", "count": 1, "row": 3, "raw": "600万元",
         "value": "600.00"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["名称", "单位", "金额(亿元)"],
            ["第1行 金额(亿元)（C列）: 单位是亿元，本系统此列为“金额(万元)”（单位万元），"
             "请换算为万元后把列名改为“金额(万元)”"],
        ),
        (
            ["名称", "单位", "金额"],
            ["第1行 金额（C列）: 列名没有注明单位，请改为“金额(万元)”（或在表头上方注明“单位：万元”）"],
        ),
        (
            ["名称", "名称", "单位"],
            ["第1行 名称（B列）: 与A列“名称”都对应模板的“名称”，请删除或改名其中一列"],
        ),
        (
            ["名称", "单位名"],
            ["第1行 单位: 找不到此列（表头在第1行）。是否为单位名？若是，请把列名改为“单位”。"
             "文件中未能对应的列：B列“单位名”"],
        ),
    ],
)  # fmt: skip
def test_header_problems_name_the_column_and_the_fix(headers, expected):
    table, _, errors = read(sheet([headers, ["甲", "一公司", 1]]))
    assert table is None
    assert errors == expected


def test_no_header_at_all_says_what_the_first_rows_hold():
    _, _, errors = read(sheet([["甲", "一公司", 1], ["乙", "二公司", 2]]))
    assert errors == [
        "在前30行中找不到表头（应含“名称”“单位”“金额(万元)”“签约日期”等列名）。"
        "第1行的内容为：“甲”、“一公司”、“1”。请使用导入模板的列名，或在导入页面指定各列的对应关系"
    ]


def test_the_users_mapping_names_or_ignores_columns():
    data = sheet([["名字", "公司", "金额(万元)"], ["甲", "一公司", 3]])
    table, rows, errors = read(data, mapping={"名字": "名称", "公司": "单位", "金额（万元）": ""})
    assert errors == []
    assert rows[0].values == {"name": "甲", "owner": "一公司"}
    assert {c["header"]: c["how"] for c in table.report.columns} == {
        "名字": "按您的指定", "公司": "按您的指定",
    }  # fmt: skip
    assert table.report.ignored[0]["how"] == "按您的指定忽略"


def test_rows_can_be_read_twice_and_only_the_first_pass_reports():
    data = sheet([HEADER, ["甲", "一", 1], [None], ["乙", "二", 2]])
    with open_book(data) as book:
        table = read_table(book.sheet("清单"), SPEC, ErrorList())
        first, again = list(table.rows()), list(table.rows())
    assert [r.values for r in again] == [r.values for r in first]
    assert (table.report.data_rows, table.report.skipped) == (2, {"空行": 1})


def test_find_sheet_by_trimmed_width_normalised_or_extended_name():
    names = ["说明", " 项目台账（2022年） ", "三个一批活动"]
    assert find_sheet(names, "项目台账") == " 项目台账（2022年） "
    assert find_sheet(names, "三个一批活动") == "三个一批活动"
    assert find_sheet(names, "审批事项") is None


def test_the_row_spool_gives_back_the_rows_it_was_given():
    _, rows, _ = read(sheet([HEADER] + [["甲", "一", "1,234.50", dt.date(2021, 3, 22), "是"]] * 3))
    with RowSpool() as spool:
        for row in rows:
            spool.add(row)
        assert [r.values for r in spool] == [r.values for r in rows]
        assert [r.number for r in spool] == [2, 3, 4]  # and again
