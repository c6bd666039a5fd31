"""Loading uploads as streaming grids: every file is generated here (openpyxl, zip patching,
headless LibreOffice for .xls). No database."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import shutil
import subprocess
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from sanpi.core import workbooks
from sanpi.core.workbooks import MergedRange, WorkbookUnreadable, open_book

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def xlsx_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def patch_zip(data: bytes, changes: dict[str, bytes | Callable[[bytes], bytes]]) -> bytes:
    """Rewrite a zip, replacing (or transforming) the named members."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            change = changes.get(item.filename)
            if change is not None:
                content = change(content) if callable(change) else change
            dst.writestr(item.filename, content, zipfile.ZIP_DEFLATED)
        for name in changes.keys() - set(src.namelist()):
            change = changes[name]
            assert isinstance(change, bytes)
            dst.writestr(name, change, zipfile.ZIP_DEFLATED)
    return out.getvalue()


SHARED_STRINGS = (
    f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}" count="2" uniqueCount="2">'
    "<si><t>共享</t></si><si><r><t>富</t></r><r><t>文本</t></r></si></sst>"
).encode()


def _add_before(closing: bytes, addition: str) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(closing, addition.encode() + closing)


def with_sheet_xml(sheet_data: str, *, tail: str = "", head: str = "") -> bytes:
    """A one-sheet workbook ("数据") whose sheet XML is ours, with shared strings
    0 = "共享" and 1 = "富文本" (openpyxl itself writes inline strings)."""
    wb = Workbook()
    wb.active.title = "数据"
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">{head}'
        f"<sheetData>{sheet_data}</sheetData>{tail}</worksheet>"
    )
    sst = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    return patch_zip(
        xlsx_bytes(wb),
        {
            "xl/worksheets/sheet1.xml": xml.encode(),
            "xl/sharedStrings.xml": SHARED_STRINGS,
            "[Content_Types].xml": _add_before(
                b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{sst}"/>'
            ),
            "xl/_rels/workbook.xml.rels": _add_before(
                b"</Relationships>",
                f'<Relationship Id="rIdSST" Type="{rel}" Target="sharedStrings.xml"/>',
            ),
        },
    )


def grid_rows(data: bytes, filename: str = "", sheet: str | None = None) -> list:
    with open_book(data, filename) as book:
        return list(book.sheet(sheet or book.sheet_names[0]).rows())


def unreadable(data: bytes, filename: str = "") -> str:
    with pytest.raises(WorkbookUnreadable) as info, open_book(data, filename) as book:
        for name in book.sheet_names:
            list(book.sheet(name).rows())
    return str(info.value)


# ------------------------------------------------------------------------------- xlsx


def test_xlsx_values_blank_rows_and_rereading():
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(["名称", "金额", "开工", "是否", "时间"])
    ws.append(["甲项目", 12.5, dt.datetime(2021, 5, 6), True, dt.time(8, 30)])
    ws.append([None, 3, None])
    ws["B5"].font = Font(bold=True)  # row 5: present in the XML, but no value
    ws["A6"] = "尾行"
    ws["A7"] = ""
    data = xlsx_bytes(wb)

    with open_book(data, "项目表.csv") as book:  # the name lies; the bytes decide
        assert book.kind == "xlsx" and book.encoding == ""
        assert book.sheet_names == ["项目"]
        grid = book.sheet("项目")
        assert grid.kind == "xlsx"
        assert grid.estimated_rows == 7
        first = list(grid.rows())
        assert first == [
            (1, ("名称", "金额", "开工", "是否", "时间")),
            (2, ("甲项目", 12.5, dt.datetime(2021, 5, 6), True, dt.time(8, 30))),
            (3, (None, 3)),
            (5, ()),
            (6, ("尾行",)),
            (7, ()),  # an empty string is no value
        ]
        assert list(grid.rows()) == first
        assert book.sheet("项目") is grid
        with pytest.raises(KeyError):
            book.sheet("没有")


def test_xlsx_inserted_rows_are_gaps():
    wb = Workbook()
    for row in (["a"], ["b"], ["c"]):
        wb.active.append(row)
    wb = load_workbook(io.BytesIO(xlsx_bytes(wb)))
    wb.active.insert_rows(2, amount=2)
    assert grid_rows(xlsx_bytes(wb)) == [(1, ("a",)), (4, ("b",)), (5, ("c",))]


def test_xlsx_merged_and_hidden_known_before_iterating():
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "标题"
    ws.merge_cells("A1:E1")
    ws["A2"] = "分组"
    ws.merge_cells("A2:A5")
    ws.merge_cells("C3:D4")
    for r in range(2, 9):
        ws.cell(r, 2, r)
    ws.row_dimensions[3].hidden = True
    ws.auto_filter.ref = "A1:B8"
    ws.row_dimensions[7].hidden = True  # what Excel writes for a row its filter hides
    with open_book(xlsx_bytes(wb)) as book:
        grid = book.sheet(book.sheet_names[0])
        assert sorted(grid.merged, key=lambda m: (m.min_row, m.min_col)) == [
            MergedRange(1, 1, 1, 5),
            MergedRange(2, 1, 5, 1),
            MergedRange(3, 3, 4, 4),
        ]
        assert grid.hidden_rows == frozenset({3, 7})
        rows = dict(grid.rows())
    assert rows[1] == ("标题",)
    assert rows[2] == ("分组", 2)
    assert rows[4] == (None, 4)


def test_xlsx_prescan_tolerates_prefixes_quotes_order_and_missing_r():
    sheet = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        "<row hidden='true' r='3' spans='1:1'><c r='A3'><v>3</v></c></row>"
        '<row customHeight="1" ht="0" hidden="1"><c><v>4</v></c></row>'  # no r: row 4
        "<row><c><v>5</v></c></row>"
        '<row r="9" hidden="0"><c r="B9"><v>9</v></c></row>'
    )
    data = with_sheet_xml(
        sheet, tail="<mergeCells count=\"1\"><mergeCell ref='B3:B4'/></mergeCells>"
    )
    with open_book(data) as book:
        grid = book.sheet("数据")
        assert grid.hidden_rows == frozenset({3, 4})
        assert grid.merged == [MergedRange(3, 2, 4, 2)]
        assert grid.estimated_rows == 9
        assert list(grid.rows()) == [
            (1, ("共享",)),
            (3, (3,)),
            (4, (4,)),
            (5, (5,)),
            (9, (None, 9)),
        ]

    prefixed = (
        f'<?xml version="1.0"?><x:worksheet xmlns:x="{NS}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
        '<x:row r="2" x:hidden="1" hidden="1"><x:c r="A2"><x:v>2</x:v></x:c></x:row>'
        '</x:sheetData><x:mergeCells><x:mergeCell ref="A1:B2"/></x:mergeCells></x:worksheet>'
    )
    data = patch_zip(with_sheet_xml(""), {"xl/worksheets/sheet1.xml": prefixed.encode()})
    with open_book(data) as book:
        grid = book.sheet("数据")
        assert grid.hidden_rows == frozenset({2})
        assert grid.merged == [MergedRange(1, 1, 2, 2)]
        assert list(grid.rows()) == [(1, (1,)), (2, (2,))]


def test_xlsx_prescan_across_chunk_boundaries(monkeypatch):
    monkeypatch.setattr(workbooks, "_CHUNK", 7)  # every tag gets cut somewhere
    hidden = ' hidden="1"'
    sheet = "".join(
        f'<row r="{r}"{hidden if r % 3 == 0 else ""}><c r="A{r}"><v>{r}</v></c></row>'
        for r in range(1, 40)
    )
    tail = '<mergeCells count="2"><mergeCell ref="A1:A2"/><mergeCell ref="B5:D5"/></mergeCells>'
    with open_book(with_sheet_xml(sheet, tail=tail)) as book:
        grid = book.sheet("数据")
    assert grid.hidden_rows == frozenset(range(3, 40, 3))
    assert grid.merged == [MergedRange(1, 1, 2, 1), MergedRange(5, 2, 5, 4)]
    assert grid.estimated_rows == 39


def test_xlsx_shared_inline_strings_and_formulas():
    sheet = (
        '<row r="1">'
        '<c r="A1" t="s"><v>0</v></c>'
        '<c r="B1" t="inlineStr"><is><t>内联文本</t></is></c>'
        '<c r="C1" t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r></is></c>'
        '<c r="D1" t="s"><v>1</v></c>'
        "</row>"
        '<row r="2">'
        '<c r="A2"><f>1+1</f><v>2</v></c>'
        '<c r="B2"><f>1+1</f></c>'
        '<c r="C2" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>'
        '<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        '<c r="E2" t="b"><f>TRUE()</f><v>1</v></c>'
        "</row>"
        '<row r="3"><c r="A3"><f>1/0</f></c><c r="B3" t="str"><f>""</f><v></v></c></row>'
    )
    assert grid_rows(with_sheet_xml(sheet)) == [
        (1, ("共享", "内联文本", "富文本", "富文本")),
        (2, (2, None, "ab", None, True)),
        (3, ()),
    ]


def _styled_numbers(ids: list[int], custom: str = "") -> bytes:
    """A workbook whose row 1 holds 44322 and row 2 holds 0.5 in one cellXfs style per id:
    written with built-in formats, then styles.xml is patched to use the given ids."""
    stand_ins = ["0.00", "#,##0", "#,##0.00", "0%", "0.00%", "0.00E+00"]  # ids 2, 3, 4, 9, 10, 11
    wb = Workbook()
    ws = wb.active
    for col, fmt in enumerate(stand_ins[: len(ids)], 1):
        for row, value in ((1, 44322), (2, 0.5)):
            ws.cell(row, col, value).number_format = fmt
    mapping = dict(zip(["2", "3", "4", "9", "10", "11"], [str(i) for i in ids], strict=False))

    def patch(xml: bytes) -> bytes:
        text = xml.decode()
        head, rest = text.split("<cellXfs", 1)
        rest = re.sub(r'numFmtId="(\d+)"', lambda m: f'numFmtId="{mapping.get(m[1], m[1])}"', rest)
        text = head + "<cellXfs" + rest
        if custom:
            text = re.sub(r'<numFmts count="0"\s*/>', custom, text, count=1)
            assert custom in text
        return text.encode()

    return patch_zip(xlsx_bytes(wb), {"xl/styles.xml": patch})


def test_xlsx_east_asian_builtin_date_formats():
    ids = [31, 57, 58, 27, 32, 14]
    rows = dict(grid_rows(_styled_numbers(ids)))
    assert rows[1] == (dt.datetime(2021, 5, 6),) * len(ids)
    assert rows[2][4] == dt.time(12, 0)  # 32 = h"时"mm"分"
    assert rows[2][0] == dt.time(12, 0)


def test_xlsx_custom_format_reusing_a_cjk_id_is_not_a_date():
    custom = '<numFmts count="1"><numFmt numFmtId="31" formatCode="0.000"/></numFmts>'
    rows = dict(grid_rows(_styled_numbers([31, 2], custom=custom)))
    assert rows[1] == (44322, 44322)


def test_xlsx_damaged_sheet_raises_when_iterated():
    bad = '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</row>'
    data = with_sheet_xml(bad, head='<dimension ref="A1:A2"/>')
    with open_book(data) as book:
        grid = book.sheet("数据")  # opening works: only the rows are broken
        with pytest.raises(WorkbookUnreadable, match="工作表“数据”已损坏，无法读取"):
            list(grid.rows())


def test_xlsx_hidden_sheet_state_and_several_sheets():
    wb = Workbook()
    wb.active.title = "一"
    wb.create_sheet("二").sheet_state = "hidden"
    wb["二"]["B2"] = "乙"
    with open_book(xlsx_bytes(wb)) as book:
        assert book.sheet_names == ["一", "二"]
        assert book.sheet("二").state == "hidden"
        assert list(book.sheet("二").rows()) == [(2, (None, "乙"))]
        assert list(book.sheet("一").rows()) == []


def test_xlsx_streams_with_bounded_memory():
    """20,000 rows: a full openpyxl load of this file peaks at ~50 MiB; streaming at ~2."""
    rows, cols = 20_000, 8
    parts = []
    for r in range(1, rows + 1):
        cells = "".join(
            f'<c r="{"ABCDEFGH"[c]}{r}" t="s"><v>0</v></c>'
            if c % 2
            else f'<c r="{"ABCDEFGH"[c]}{r}"><v>{r}.{c}</v></c>'
            for c in range(cols)
        )
        parts.append(f'<row r="{r}">{cells}</row>')
    data = with_sheet_xml("".join(parts), head=f'<dimension ref="A1:H{rows}"/>')
    with open_book(data) as book:
        grid = book.sheet("数据")
        assert grid.estimated_rows == rows
        tracemalloc.start()
        try:
            count = 0
            for number, values in grid.rows():
                count += 1
                assert len(values) == cols and values[1] == "共享" and number == count
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert count == rows
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.1f} MiB"


# ------------------------------------------------------------------------------- xls

SOFFICE = shutil.which("soffice")


@pytest.fixture(scope="module")
def xls_file(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("xls")
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["项目", "金额", "日期", "是否"])
    ws.append(["甲", 12.5, dt.datetime(2021, 5, 6), True])
    ws.append(["乙", 3, dt.datetime(2022, 1, 2), False])
    ws["A3"].number_format = "@"
    ws["E2"] = dt.time(8, 30)
    ws["A6"] = "合并"
    ws.merge_cells("A6:C6")
    ws.merge_cells("D5:D7")
    ws.row_dimensions[3].hidden = True
    wb.create_sheet("第二页")["A1"] = "二"
    (folder / "in.xlsx").write_bytes(xlsx_bytes(wb))
    subprocess.run(
        [
            SOFFICE or "soffice",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            "xls",
            "--outdir",
            str(folder),
            str(folder / "in.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (folder / "in.xls").read_bytes()


@pytest.mark.skipif(SOFFICE is None, reason="needs LibreOffice (soffice) to write .xls")
def test_xls_values_merged_hidden(xls_file: bytes):
    with open_book(xls_file, "台账.xlsx") as book:
        assert book.kind == "xls"
        assert book.sheet_names == ["台账", "第二页"]
        grid = book.sheet("台账")
        assert grid.kind == "xls"
        assert sorted(grid.merged, key=lambda m: m.min_row) == [
            MergedRange(5, 4, 7, 4),
            MergedRange(6, 1, 6, 3),
        ]
        assert grid.hidden_rows == frozenset({3})
        rows = dict(grid.rows())
        assert rows[1] == ("项目", "金额", "日期", "是否")
        assert rows[2] == ("甲", 12.5, dt.datetime(2021, 5, 6), True, dt.time(8, 30))
        assert rows[3] == ("乙", 3.0, dt.datetime(2022, 1, 2), False)
        assert rows[6][0] == "合并"
        assert 4 not in rows or rows[4] == ()
        assert list(grid.rows()) == list(grid.rows())
        assert list(book.sheet("第二页").rows()) == [(1, ("二",))]


def test_xls_garbage_in_an_ole2_container():
    assert unreadable(workbooks._OLE2 + bytes(600)) == workbooks.MSG_BAD_XLS


def test_encrypted_ooxml_in_ole2_container():
    fake = workbooks._OLE2 + bytes(100) + "EncryptedPackage".encode("utf-16-le") + bytes(100)
    assert unreadable(fake, "台账.xlsx") == workbooks.MSG_ENCRYPTED
    assert "取消密码" in workbooks.MSG_ENCRYPTED


# ------------------------------------------------------------------------------- csv

CSV_TEXT = '项目名称,金额,备注\r\n甲项目,12.5,"含逗号,和\r\n换行"\r\n\r\n乙项目,,\r\n'
CSV_ROWS = [
    (1, ("项目名称", "金额", "备注")),
    (2, ("甲项目", "12.5", "含逗号,和\r\n换行")),
    (4, ("乙项目",)),
]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CSV_TEXT.encode("utf-8"), "UTF-8"),
        (CSV_TEXT.encode("utf-8-sig"), "UTF-8（带BOM）"),
        (CSV_TEXT.encode("gbk"), "GBK/GB18030"),
    ],
)
def test_csv_encodings_quoted_fields_and_row_numbers(data: bytes, encoding: str):
    with open_book(data, r"C:\导入\项目清单.xlsx") as book:  # named .xlsx, really csv
        assert book.kind == "csv"
        assert book.encoding == encoding
        assert book.sheet_names == ["项目清单"]
        grid = book.sheet("项目清单")
        assert grid.merged == [] and grid.hidden_rows == frozenset()
        assert grid.estimated_rows == 5
        assert list(grid.rows()) == CSV_ROWS
        assert list(grid.rows()) == CSV_ROWS


def test_csv_tab_and_semicolon_delimiters():
    assert grid_rows("名称\t金额万元\n甲\t1,5\n".encode()) == [
        (1, ("名称", "金额万元")),
        (2, ("甲", "1,5")),
    ]
    assert grid_rows(b"\na;b\n1;2") == [(2, ("a", "b")), (3, ("1", "2"))]
    assert grid_rows(b"a,b;c\n1,2;3\n") == [(1, ("a", "b;c")), (2, ("1", "2;3"))]


def test_csv_without_filename_and_old_mac_line_endings():
    with open_book(b"a,b\r1,2\r") as book:
        assert book.sheet_names == ["CSV"]
        assert list(book.sheet("CSV").rows()) == [(1, ("a", "b")), (2, ("1", "2"))]


# ------------------------------------------------------------------------------- sniffing


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", workbooks.MSG_EMPTY),
        (b" \r\n\t", workbooks.MSG_EMPTY),
        (b"\xef\xbb\xbf", workbooks.MSG_EMPTY),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", workbooks.MSG_PDF),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", workbooks.MSG_IMAGE),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", workbooks.MSG_IMAGE),
        (b"Rar!\x1a\x07\x00", workbooks.MSG_ARCHIVE),
        ("名称\t金额\n".encode("utf-16"), workbooks.MSG_UTF16),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", workbooks.MSG_HTML),
        (
            b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
            workbooks.MSG_XML,
        ),
        (random.Random(7).randbytes(4096), workbooks.MSG_UNKNOWN),
        (bytes(range(1, 256)) * 4, workbooks.MSG_UNKNOWN),
        (b"a,b\n1,\x002\n", workbooks.MSG_UNKNOWN),
        (
            _zip(
                {
                    "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                    "content.xml": b"<x/>",
                }
            ),
            workbooks.MSG_ODS,
        ),
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.text"}), workbooks.MSG_ODF),
        (_zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>"}), workbooks.MSG_WORD),
        (_zip({"ppt/presentation.xml": b"<x/>"}), workbooks.MSG_PPT),
        (
            _zip({"xl/workbook.bin": b"\x00", "xl/worksheets/sheet1.bin": b"\x00"}),
            workbooks.MSG_XLSB,
        ),
        (_zip({"照片/1.jpg": b"\xff\xd8\xff"}), workbooks.MSG_ARCHIVE),
        (_zip({"xl/workbook.xml": b"<not a workbook"}), workbooks.MSG_BAD_XLSX),
        (b"PK\x03\x04" + bytes(200), workbooks.MSG_BAD_XLSX),
    ],
)
def test_sniffing_messages(data: bytes, message: str):
    assert unreadable(data, "上传.xlsx") == message


def test_messages_say_what_to_do():
    assert "OpenDocument" in workbooks.MSG_ODS and ".ods" in workbooks.MSG_ODS
    assert workbooks.MSG_EMPTY.startswith("文件是空的")
    assert workbooks.MSG_PDF.startswith("这是 PDF 文件，不是表格")
    assert "Word" in workbooks.MSG_WORD and "PowerPoint" in workbooks.MSG_PPT
    for message in (workbooks.MSG_BAD_XLSX, workbooks.MSG_HTML, workbooks.MSG_XLSB):
        assert "另存为 .xlsx" in message


def test_truncated_xlsx_is_refused(tmp_path: Path):
    data = xlsx_bytes(Workbook())
    assert unreadable(data[: len(data) // 2]) == workbooks.MSG_BAD_XLSX


def test_csv_broken_record_is_refused_when_iterated():
    data = ("名称,说明\n甲," + "长" * 200_000 + "\n").encode()
    with open_book(data, "x.csv") as book:
        rows = book.sheet("x").rows()
        assert next(rows) == (1, ("名称", "说明"))
        with pytest.raises(WorkbookUnreadable, match="CSV 文件第 2 行格式有误"):
            next(rows)
