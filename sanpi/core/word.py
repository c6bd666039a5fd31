"""Word (.docx) documents in the form government offices print: 宋体, a title, tables.

No domain knowledge; each app composes its documents from these pieces.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterable, Sequence

from django.utils import timezone

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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
    """A bordered table: the header row, then one row per item.

    python-docx finds a row's cells by walking the whole table (``add_row().cells``), so
    a list of 2,650 projects took 1.8 s. The rows here are copies of one empty row that
    python-docx made (same properties and grid), filled in as ``cell.text`` would: one
    run in the cell's paragraph. 2,650 rows: 0.1 s."""
    from docx.oxml.ns import qn

    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = header
    blank = table.add_row()._tr
    blank.getparent().remove(blank)
    for tc in blank.tc_lst:
        tc.p_lst[0].add_r().text = " "  # a <w:t xml:space="preserve"> to write into
    tbl = table._tbl
    W_T = qn("w:t")
    for row in rows:
        tr = copy.deepcopy(blank)
        for t, value in zip(list(tr.iter(W_T)), row, strict=True):  # one <w:t> per cell
            text = "" if value is None else str(value)
            if "\t" in text or "\n" in text:
                t.getparent().text = text  # python-docx turns these into <w:tab/>, <w:br/>
            else:
                t.text = text
        tbl.append(tr)


def finish(doc) -> bytes:
    """Sign the document with today's date and return its bytes."""
    doc.add_paragraph(f"生成日期：{timezone.localdate():%Y年%m月%d日}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
