"""The generic workbook engine (`sanpi.core.xlsx`), on a made-up two-column sheet.

No database: specs, parsers, header checks, row reading, writing and marking."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from sanpi.core import xlsx
from sanpi.core.xlsx import CellError, CellValueError, Column, ErrorList, SheetSpec

SPEC = SheetSpec(
    "清单",
    (
        Column("name", "名称", xlsx.text(5), required=True, width=20),
        Column("amount", "金额(万元)", xlsx.amount(6), number_format=xlsx.AMOUNT_FORMAT),
        Column("day", "日期", xlsx.date),
        Column("flag", "是否", xlsx.yes_no, default=False, choices=("是", "否")),
        Column(
            "kind",
            "类别",
            xlsx.choice({"甲类": "a", "乙类": "b"}, "类别"),
            choices=("甲类", "乙类"),
        ),
    ),
)
OTHER = SheetSpec("附表", (Column("n", "序号", xlsx.integer(1, 9), required=True),), prefix="附表")


def book(rows, *, headers=None, sheet="清单") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(SPEC.headers if headers is None else headers)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(data: bytes, spec: SheetSpec = SPEC, **kwargs):
    errors = ErrorList()
    rows = xlsx.read_sheet(xlsx.open_workbook(data), spec, errors, **kwargs)
    return rows, errors.lines()


# --- parsers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, Decimal("12.00")),
        (12.5, Decimal("12.50")),
        (0.1, Decimal("0.10")),
        ("1,234.56", Decimal("1234.56")),
        (" 7 ", Decimal("7.00")),
    ],
)
def test_amounts_are_exact(value, expected):
    assert xlsx.amount()(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "不能为负数"),
        ("abc", "“abc”不是数字"),
        (1.005, "最多保留两位小数"),
        (True, "不是数字"),
        (dt.datetime(2021, 1, 1), "应为数字，实为日期"),
        (12345, "数值过大（应小于10,000）"),
    ],
)
def test_bad_amounts(value, message):
    with pytest.raises(CellValueError) as info:
        xlsx.amount(6)(value)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2021, 3, 22, 0, 0),
        dt.date(2021, 3, 22),
        "2021-03-22",
        "2021/3/22",
        "2021.03.22",
        "2021年3月22日",
    ],
)
def test_dates(value):
    assert xlsx.date(value) == dt.date(2021, 3, 22)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2021-02-30", "“2021-02-30”不是有效日期"),
        ("22/03/2021", "“22/03/2021”不是日期，应为日期或 YYYY-MM-DD 格式的文字"),
        (44277, "“44277”不是日期，应为日期或 YYYY-MM-DD 格式的文字"),
    ],
)
def test_bad_dates(value, message):
    with pytest.raises(CellValueError) as info:
        xlsx.date(value)
    assert str(info.value) == message


def test_other_parsers():
    assert (xlsx.yes_no("是"), xlsx.yes_no("否"), xlsx.yes_no(True)) == (True, False, True)
    with pytest.raises(CellValueError, match="应填“是”或“否”，实为“1”"):
        xlsx.yes_no(1)
    assert xlsx.choice({"甲类": "a"})("甲类") == "a"
    with pytest.raises(CellValueError, match="“丙类”不是有效的类别（可选：甲类、乙类）"):
        SPEC.columns[4].parse("丙类")
    assert xlsx.integer(1, 9)(3.0) == 3
    assert xlsx.integer(1, 9)("4") == 4
    with pytest.raises(CellValueError, match="应在1到9之间，实为12"):
        xlsx.integer(1, 9)(12)
    with pytest.raises(CellValueError, match="“2.5”不是整数"):
        xlsx.integer(1, 9)(2.5)
    assert xlsx.text()(141102.0) == "141102"  # codes typed as numbers
    with pytest.raises(CellValueError, match="不能超过5个字符（实为6个）"):
        xlsx.text(5)("六个字的名称")


def test_error_text():
    assert (
        str(CellError("不能为空", sheet="清单", row=3, col=1, column="名称"))
        == "第3行 名称: 不能为空"
    )
    assert str(CellError("坏了", sheet="附表", row=2, column="序号", prefix="附表")) == (
        "附表 第2行 序号: 坏了"
    )
    assert str(CellError("文件坏了")) == "文件坏了"


# --- reading -----------------------------------------------------------------------------


def test_rows_parsed_with_excel_row_numbers_and_blank_rows_skipped():
    data = book(
        [
            ["甲", 1.5, dt.datetime(2021, 3, 22), "是", "甲类"],
            [None, None, None, None, None],
            ["乙", None, "2021-04-01", None, "乙类"],
        ]
    )
    rows, errors = read(data)
    assert errors == []
    assert [(r.number, r.values) for r in rows] == [
        (2, {"name": "甲", "amount": Decimal("1.50"), "day": dt.date(2021, 3, 22), "flag": True, "kind": "a"}),
        (4, {"name": "乙", "amount": None, "day": dt.date(2021, 4, 1), "flag": False, "kind": "b"}),
    ]  # fmt: skip


def test_every_cell_error_is_collected():
    data = book(
        [
            [None, -1, "明天", "对", "丙类"],
            ["太长的名称呀", "1.234", None, None, None],
        ]
    )
    rows, errors = read(data)
    assert errors == [
        "第2行 名称: 不能为空",
        "第2行 金额(万元): 不能为负数",
        "第2行 日期: “明天”不是日期，应为日期或 YYYY-MM-DD 格式的文字",
        "第2行 是否: 应填“是”或“否”，实为“对”",
        "第2行 类别: “丙类”不是有效的类别（可选：甲类、乙类）",
        "第3行 名称: 不能超过5个字符（实为6个）",
        "第3行 金额(万元): 最多保留两位小数",
    ]
    # Rows with bad cells still come back, without those cells, for further checks.
    assert [(r.number, sorted(r.failed)) for r in rows] == [
        (2, ["amount", "day", "flag", "kind", "name"]),
        (3, ["amount", "name"]),
    ]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["名称", "金额(万元)", "日期", "是否"], ["第1行 类别: 缺少此列（应在第5列（E列））"]),
        (
            ["金额(万元)", "名称", "日期", "是否", "类别"],
            ["第1行 金额(万元): 列的位置不对：应在第2列（B列），实在第1列（A列）"],
        ),
        (
            ["名称", "金额", "日期", "是否", "类别"],
            [
                "第1行 金额(万元): 缺少此列（应在第2列（B列））",
                "第1行 金额: 不是本表的列，请改为模板中的列名或删除此列",
            ],
        ),
        (["名称", "金额(万元)", "日期", "是否", "类别", "错误"], []),  # a marked copy's column
        (["名称", "金额(万元)", "日期", "是否", "类别", None, None], []),
    ],
)
def test_header_check(headers, expected):
    rows, errors = read(book([["甲", 1, None, None, None]], headers=headers))
    assert errors == expected
    assert (rows is None) == bool(expected)


def test_empty_sheets():
    assert read(book([], headers=[]))[1] == ["工作表“清单”是空的（第1行应为表头）"]
    assert read(book([]))[1] == ["工作表“清单”没有数据行"]
    assert read(book([], headers=[]), allow_empty=True) == ([], [])
    assert read(book([]), allow_empty=True) == ([], [])


def test_not_a_workbook():
    with pytest.raises(xlsx.WorkbookUnreadable):
        xlsx.open_workbook(b"PK\x03\x04 not really a zip")


def test_progress_is_reported():
    seen = []
    read(
        book([["甲", 1, None, None, None]] * 5),
        progress=lambda d, t: seen.append((d, t)),
        progress_every=2,
    )
    assert seen[-1] == (5, 5)
    assert (2, 5) in seen


# --- writing -----------------------------------------------------------------------------


def test_write_workbook_round_trips_through_read_sheet():
    data = xlsx.write_workbook(
        [
            (SPEC, [["甲", Decimal("0.10"), dt.date(2021, 3, 22), "是", "甲类"]]),
            (OTHER, [[3]]),
        ]
    )
    wb = load_workbook(io.BytesIO(data))
    ws = wb["清单"]
    assert [c.value for c in ws[1]] == SPEC.headers
    assert ws["A1"].font.bold and ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width == 20
    assert (ws["B2"].number_format, ws["C2"].number_format) == (xlsx.AMOUNT_FORMAT, "yyyy-mm-dd")
    rows, errors = read(data)
    assert errors == []
    assert rows[0].values["amount"] == Decimal("0.10")
    assert rows[0].values["day"] == dt.date(2021, 3, 22)


def test_template_offers_the_vocabularies():
    wb = load_workbook(io.BytesIO(xlsx.template_workbook([SPEC, OTHER], rows=100)))
    ws = wb["清单"]
    assert [c.value for c in ws[1]] == SPEC.headers
    assert ws.max_row == 1
    validations = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert validations == {"D2:D101": '"是,否"', "E2:E101": '"甲类,乙类"'}
    assert wb.sheetnames == ["清单", "附表"]


# --- marking -----------------------------------------------------------------------------


def test_marked_copy_fills_bad_cells_red_with_comments():
    data = book([["甲", -1, None, None, None], ["乙", 1, "明天", "对", None]])
    rows, _ = read(data)
    errors = [
        CellError("不能为负数", sheet="清单", row=2, col=2, column="金额(万元)"),
        CellError("不是日期", sheet="清单", row=3, col=3, column="日期"),
        CellError("应填是或否", sheet="清单", row=3, col=4, column="是否"),
        CellError("缺少工作表“附表”"),  # not located: not marked
    ]
    marked = xlsx.marked_copy(data, errors)
    assert xlsx.marked_cells(marked) == {
        "清单": {"B2": "不能为负数", "C3": "不是日期", "D3": "应填是或否"}
    }
    ws = load_workbook(io.BytesIO(marked))["清单"]
    assert ws["B2"].fill.fill_type == "solid"
    assert ws["B2"].fill.start_color.rgb == "FFFFC7CE"
    assert ws["A2"].fill.fill_type is None
    assert [ws["F1"].value, ws["F2"].value, ws["F3"].value] == [
        "错误",
        "金额(万元): 不能为负数",
        "日期: 不是日期；是否: 应填是或否",
    ]


def test_marked_copy_of_nothing_locatable_is_none():
    assert xlsx.marked_copy(book([["甲", 1, None, None, None]]), [CellError("坏了")]) is None
    assert xlsx.marked_copy(b"not a workbook", [CellError("x", sheet="清单", row=2, col=1)]) is None


def test_a_damaged_sheet_is_an_error_not_a_crash():
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(book([["甲", 1, None, None, None]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as damaged:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]  # cut off mid-XML
            damaged.writestr(info.filename, content)
    rows, errors = read(out.getvalue())
    assert rows is None
    assert errors == ["工作表“清单”已损坏，无法读取"]
