"""core.word: tables built row by row from a copied blank row read back exactly, in
python-docx and in LibreOffice Writer."""

import io

import docx

from sanpi.core import word
from sanpi.core.tests import office

ROWS = [
    (1, "甲新材料项目", "山西甲材料有限公司", None, "12,345.67"),
    (2, "乙项目\n二期", "丙公司\t分公司", "", "0.00"),
    (3, "  前后空格  ", "=1+1", "孝义开发区", "1"),
]


def _table_texts(data: bytes) -> list[list[str]]:
    table = docx.Document(io.BytesIO(data)).tables[0]
    return [[cell.text for cell in row.cells] for row in table.rows]


def _document() -> bytes:
    doc = word.document("测试清单")
    word.add_table(doc, ("序号", "名称", "单位", "开发区", "投资"), ROWS)
    return word.finish(doc)


def test_every_cell_reads_back_as_given():
    texts = _table_texts(_document())
    assert texts[0] == ["序号", "名称", "单位", "开发区", "投资"]
    assert texts[1:] == [["" if v is None else str(v) for v in row] for row in ROWS]


def test_rows_are_real_rows_of_the_same_shape():
    table = docx.Document(io.BytesIO(_document())).tables[0]
    assert len(table.rows) == 4 and len(table.columns) == 5
    assert table.style.name == "Table Grid"


@office.needs_soffice
def test_writer_opens_it_and_shows_every_cell():
    text = office.docx_text(_document())
    for value in (
        "甲新材料项目",
        "山西甲材料有限公司",
        "12,345.67",
        "二期",
        "分公司",
        "前后空格",
        "=1+1",
    ):
        assert value in text
