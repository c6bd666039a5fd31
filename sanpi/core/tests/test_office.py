"""The LibreOffice helper the document tests use (`sanpi.core.tests.office`): it reads what
Calc and Writer show, in Chinese, and a file they can't open fails the test."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from sanpi.core import cells, xlsx
from sanpi.core.tests import office
from sanpi.core.xlsx import Column, SheetSpec

pytestmark = office.needs_soffice

SPEC = SheetSpec(
    "清单",
    (
        Column("name", "名称", width=20),
        Column("amount", "金额(万元)", cells.amount(unit="万元"), number_format=xlsx.AMOUNT_FORMAT),
        Column("day", "日期", cells.date, number_format=xlsx.DATE_FORMAT),
    ),
)
OTHER = SheetSpec("附表", (Column("n", "序号"),))


def _workbook() -> bytes:
    return xlsx.write_workbook(
        [
            (SPEC, [["吕梁经开区“三个一批”，签约", Decimal("108420.00"), dt.date(2021, 3, 22)]]),
            (OTHER, [[1]]),
        ]
    )


def test_every_sheet_as_calc_shows_it_and_a_resaved_xls():
    data = _workbook()
    sheets = office.csv_sheets(data)
    assert set(sheets) == {"清单", "附表"}
    assert office.rows(sheets["清单"]) == [
        ["名称", "金额(万元)", "日期"],
        ["吕梁经开区“三个一批”，签约", "108,420.00", "2021-03-22"],
    ]
    assert office.rows(sheets["附表"]) == [["序号"], ["1"]]
    # Saved as Excel 97 by Calc: an OLE2 .xls that xlrd reads back, Chinese intact.
    import xlrd

    xls = office.to_xls(data)
    assert xls[:8] == bytes.fromhex("d0cf11e0a1b11ae1")
    book = xlrd.open_workbook(file_contents=xls)
    assert book.sheet_names() == ["清单", "附表"]
    assert book.sheet_by_index(0).row_values(1)[:2] == ["吕梁经开区“三个一批”，签约", 108420.0]


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def test_a_file_calc_cannot_open_fails_with_what_soffice_said():
    good = _workbook()
    text_as_xlsx = "名称,金额\n甲,1\n".encode()  # Calc would guess CSV; an .xlsx must be one
    files = [good, _truncated(good), b"", text_as_xlsx]
    with pytest.raises(AssertionError) as info:
        office.convert_many(files, suffix="xlsx", to=office.CSV)
    message = str(info.value)
    assert message.startswith("soffice could not convert doc1.xlsx")
    assert "doc2.xlsx (0 bytes), doc3.xlsx" in message and "doc0" not in message.splitlines()[0]
    assert "source file could not be loaded" in message


def test_a_document_writer_cannot_open_fails():
    from docx import Document

    buffer = io.BytesIO()
    Document().save(buffer)
    with pytest.raises(AssertionError, match="soffice could not convert doc0.docx"):
        office.docx_text(_truncated(buffer.getvalue()))
