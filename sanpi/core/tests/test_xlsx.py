"""Writing workbooks and marking errors (`sanpi.core.xlsx`), on a made-up sheet.

No database. Reading clerks' files is tested in test_workbooks.py (bytes to cells),
test_tables.py (layout) and test_cells.py (values)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook, load_workbook

from sanpi.core import cells, xlsx
from sanpi.core.tables import read_table
from sanpi.core.tests import office
from sanpi.core.workbooks import open_book
from sanpi.core.xlsx import CellError, Column, ErrorList, SheetSpec

SPEC = SheetSpec(
    "清单",
    (
        Column("name", "名称", cells.text(5), required=True, width=20),
        Column("amount", "金额(万元)", cells.amount(unit="万元", max_digits=6),
               number_format=xlsx.AMOUNT_FORMAT),
        Column("day", "日期", cells.date, number_format=xlsx.DATE_FORMAT),
        Column("flag", "是否", cells.yes_no, default=False, choices=("是", "否")),
        Column("kind", "类别", cells.choice({"甲类": "a", "乙类": "b"}, "类别"),
               choices=("甲类", "乙类")),
    ),
)  # fmt: skip
OTHER = SheetSpec("附表", (Column("n", "序号", cells.integer(1, 9), required=True),), prefix="附表")


def book(rows, *, headers=None, sheet="清单", above=()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for line in above:
        ws.append(line)
    ws.append(SPEC.headers if headers is None else headers)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(data: bytes, spec: SheetSpec = SPEC):
    errors = ErrorList()
    with open_book(data) as workbook:
        table = read_table(workbook.sheet(spec.name), spec, errors)
        rows = list(table.rows(errors)) if table else None
    return rows, errors.lines()


def test_error_text():
    assert (
        str(CellError("不能为空", sheet="清单", row=3, col=1, column="名称"))
        == "第3行 名称（A列）: 不能为空"
    )
    assert str(CellError("坏了", sheet="附表", row=2, col=28, column="序号", prefix="附表")) == (
        "附表 第2行 序号（AB列）: 坏了"
    )
    assert str(CellError("找不到此列", sheet="清单", row=1, column="名称")) == (
        "第1行 名称: 找不到此列"
    )
    assert str(CellError("文件坏了")) == "文件坏了"


def test_write_workbook_round_trips_through_the_reader():
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


def test_marked_copy_below_a_title_and_on_merged_cells():
    wb = Workbook()
    ws = wb.active
    ws.title = "清单"
    ws.append(["2022年清单"])
    ws.merge_cells("A1:E1")
    ws.append(SPEC.headers)
    ws.append(["甲", -1, None, None, "甲类"])
    ws.append(["乙", 2, None, None, None])
    ws.merge_cells("E3:E4")
    out = io.BytesIO()
    wb.save(out)
    errors = [
        CellError("不能为负数", sheet="清单", row=3, col=2, column="金额(万元)"),
        CellError("类别不对", sheet="清单", row=4, col=5, column="类别"),  # inside E3:E4
    ]
    marked = xlsx.marked_copy(out.getvalue(), errors, header_rows={"清单": 2})
    assert xlsx.marked_cells(marked) == {"清单": {"B3": "不能为负数", "E3": "类别不对"}}
    ws = load_workbook(io.BytesIO(marked))["清单"]
    assert [ws["F2"].value, ws["F3"].value, ws["F4"].value] == [
        "错误",
        "金额(万元): 不能为负数",
        "类别: 类别不对",
    ]
    assert ws["A1"].value == "2022年清单"


# --- formula injection ---------------------------------------------------------------------

# Texts people could type into a name, a note or a filter, that a spreadsheet reads as a
# formula when written as they are.
FORMULAS = ["=1+1", '=HYPERLINK("http://x.invalid","点击")', "+1+1", "-1+1", "@SUM(1,1)"]


def _formula_free(data: bytes) -> None:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def test_texts_that_look_like_formulas_are_written_as_text():
    """Bad input → what it gets: a text starting with = + - or @, in a plain column, a
    formatted column, a report's rows, its title or its note → a text cell with the quote
    prefix and exactly that value (no formula element in the file); numbers stay numbers."""
    spec = SheetSpec(
        "清单", (Column("a", "名称"), Column("b", "金额", number_format=xlsx.AMOUNT_FORMAT))
    )
    rows = [[text, text] for text in FORMULAS] + [["甲", -5]]
    data = xlsx.write_workbook([(spec, rows)])
    _formula_free(data)
    ws = load_workbook(io.BytesIO(data))["清单"]
    for r, text in enumerate(FORMULAS, start=2):
        for cell in ws[r]:
            assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert (ws["A7"].value, ws["A7"].quotePrefix, ws["B7"].value) == ("甲", False, -5)
    assert ws["B7"].number_format == xlsx.AMOUNT_FORMAT

    report = xlsx.report_workbook(
        "=报表", [("名称", 20), ("数", 8)], iter([[t, 1] for t in FORMULAS]), note="-筛选"
    )
    _formula_free(report)
    ws = load_workbook(io.BytesIO(report)).active
    assert [ws["A1"].value, ws["A2"].value] == ["=报表", "-筛选"]
    assert ws["A1"].font.bold and ws["A1"].quotePrefix and ws["A2"].quotePrefix
    assert [c.value for c in ws[3]] == ["名称", "数"] and ws["A3"].font.bold
    assert ws.freeze_panes == "A4" and ws.column_dimensions["A"].width == 20
    assert [ws.cell(row=r, column=1).value for r in range(4, 9)] == FORMULAS
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in range(4, 9))
    # sanpi's own reader gets the texts back exactly (an export re-imports as it was).
    back, errors = read(xlsx.write_workbook([(SPEC, [["=1+1", None, None, None, "甲类"]])]))
    assert errors == [] and back[0].values["name"] == "=1+1"


@office.needs_soffice
def test_calc_shows_formula_like_texts_as_texts():
    """Opened in LibreOffice Calc, "=1+1" shows as "=1+1", not as 2 (nor a link)."""
    spec = SheetSpec("清单", (Column("a", "名称"), Column("n", "数")))
    data = xlsx.write_workbook([(spec, [[t, 1] for t in FORMULAS])])
    shown = office.rows(office.to_csv(data))
    assert [row[0] for row in shown[1:]] == FORMULAS
