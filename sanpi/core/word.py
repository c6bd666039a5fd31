"""Word (.docx) documents in the form government offices print: 宋体, a title, tables.

No domain knowledge; each app composes its documents from these pieces.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.utils import timezone


def document(title: str):
    """A new document with Chinese body text (宋体 五号) and `title` as its heading."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    doc.add_heading(title, level=1)
    return doc


def add_table(doc, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = header
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = "" if value is None else str(value)


def finish(doc) -> bytes:
    """Sign the document with today's date and return its bytes."""
    doc.add_paragraph(f"生成日期：{timezone.localdate():%Y年%m月%d日}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
