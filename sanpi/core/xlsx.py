"""Excel workbooks out, and the sheet descriptions both directions share; no domain
knowledge.

An app describes a sheet as a `SheetSpec`: its name and its `Column`s (key, Chinese
header, synonyms, parser from `sanpi.core.cells`, width, number format, the values offered
in a drop-down). Reading a clerk's file is `sanpi.core.workbooks` (bytes to cells) and
`sanpi.core.tables` (header, columns, rows, values); problems are `CellError`s
("第N行 列名（K列）: 原因", N the clerk's row number). This module

* writes workbooks (exports, in write-only mode) and empty templates with
  drop-down lists, column widths and number formats (text for codes and 批次);
* produces a copy of an uploaded workbook with the bad cells filled red, a comment on
  each, and an extra 错误 column that says what is wrong with each row;
* writes report workbooks to read and print.

Every text cell these writers produce stays text: a value that starts with = + - or @
(an enterprise name, a note, a username someone typed) is written as a text cell with
Excel's quote prefix, never as a formula a spreadsheet would run (formula injection).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.cell import MergedCell, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import cells

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERROR_HEADER = "错误"
MARK_AUTHOR = "sanpi"
MARK_COLOR = "FFFFC7CE"
MARK_FILL = PatternFill(fill_type="solid", start_color=MARK_COLOR, end_color=MARK_COLOR)
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
HEADER_FONT = Font(bold=True)
ERROR_HEADER_FONT = Font(bold=True, color="FF9C0006")
DATE_FORMAT = "yyyy-mm-dd"
AMOUNT_FORMAT = "#,##0.00"


# --- errors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    """One problem, located as precisely as possible.

    ``row`` is the Excel row number (1 = the header row), ``col`` the 1-based column
    in the uploaded sheet (None when the column is missing), ``column`` the header the
    user knows the column by. ``prefix`` names the sheet for sheets other than the main
    one. A file-level problem has neither row nor column.
    """

    message: str
    sheet: str = ""
    row: int | None = None
    col: int | None = None
    column: str = ""
    prefix: str = ""

    def __str__(self) -> str:
        lead = f"{self.prefix} " if self.prefix else ""
        if self.row is None:
            return f"{lead}{self.column}: {self.message}" if self.column else lead + self.message
        if self.col is None:
            return f"{lead}第{self.row}行 {self.column}: {self.message}"
        return (
            f"{lead}第{self.row}行 {self.column}（{get_column_letter(self.col)}列）: {self.message}"
        )

    @property
    def sort_key(self) -> tuple:
        return (self.prefix != "", self.prefix, self.row or 0, self.col or 0)


MAX_ERRORS = 1000  # problems listed for one file; reading stops there


@dataclass
class ErrorList:
    """Collects problems, at most ``limit``; rendered sorted by sheet, row and column."""

    items: list[CellError] = field(default_factory=list)
    limit: int = MAX_ERRORS
    # More errors were found than are kept: enough to send the file back, so readers
    # stop reading (core.tables), and the list says that it is not the whole story.
    truncated: bool = False

    def add(self, error: CellError) -> None:
        if len(self.items) >= self.limit:
            self.truncated = True
            return
        self.items.append(error)

    def file(self, message: str) -> None:
        self.add(CellError(message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def count_text(self) -> str:
        """How many errors, in words: "12", or "超过1000" when the list stopped."""
        return f"超过{len(self.items)}" if self.truncated else str(len(self.items))

    def sorted(self) -> list[CellError]:
        return sorted(self.items, key=lambda e: e.sort_key)

    def lines(self) -> list[str]:
        out = [str(e) for e in self.sorted()]
        if self.truncated:
            out.append(f"还有更多错误未列出（只列出前{len(self.items)}处，未再往下检查）")
        return out


# --- specs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    parse: Callable[[object], object] = cells.text()
    required: bool = False
    width: float = 14
    choices: tuple[str, ...] = ()  # offered as a drop-down list in templates
    number_format: str | None = None
    default: object = None  # the value of an empty cell
    aliases: tuple[str, ...] = ()  # other names clerks give the column (项目单位: 建设单位…)


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Column, ...]
    prefix: str = ""  # how errors name this sheet ("" for the main sheet)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


# --- writing -----------------------------------------------------------------------------

# What makes Excel, WPS or Calc read a typed text as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@")


def _text_cell(ws, value: str) -> WriteOnlyCell:
    """A text cell that no spreadsheet runs: openpyxl would store "=…" as a formula, so the
    type is forced to text, and the quote prefix (what Excel sets for '=…) keeps it text
    when someone edits the cell; the value read back is exactly the text."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _row(ws, values: Iterable[object], formats: Sequence[str | None] = ()) -> list[object]:
    """One row to append: texts that look like formulas as text cells, values of
    formatted columns as cells with their number format; everything else as given."""
    out = list(values)
    for i, value in enumerate(out):
        fmt = formats[i] if i < len(formats) else None
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            out[i] = _text_cell(ws, value)
        elif fmt and value is not None and value != "":
            out[i] = WriteOnlyCell(ws, value=value)
        else:
            continue
        if fmt:
            out[i].number_format = fmt
    return out


def _header_cell(ws, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    return cell


def write_workbook(sheets: Sequence[tuple[SheetSpec, Iterable[Sequence[object]]]]) -> bytes:
    """A workbook with one sheet per spec, header row styled and frozen, rows as given.

    Written in write-only mode, so exports of many thousands of rows stay fast.
    Dates get the yyyy-mm-dd format and columns their number format.
    """
    wb = Workbook(write_only=True)
    for spec, rows in sheets:
        ws = wb.create_sheet(spec.name)
        for i, column in enumerate(spec.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = column.width
        ws.freeze_panes = "A2"
        ws.append([_header_cell(ws, c.header) for c in spec.columns])
        formats = [c.number_format for c in spec.columns]
        for values in rows:
            ws.append(_row(ws, values, formats))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_workbook(specs: Sequence[SheetSpec], *, rows: int = 5000) -> bytes:
    """An empty workbook with the headers, column widths, number formats and a
    drop-down list on every vocabulary column (for the first ``rows`` data rows)."""
    wb = Workbook()
    wb.remove(wb.active)
    for spec in specs:
        ws = wb.create_sheet(spec.name)
        ws.freeze_panes = "A2"
        for i, column in enumerate(spec.columns, start=1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = column.width
            cell = ws.cell(row=1, column=i, value=column.header)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if column.choices:
                validation = DataValidation(
                    type="list",
                    formula1='"' + ",".join(column.choices) + '"',
                    allow_blank=not column.required,
                    showErrorMessage=True,
                    errorTitle="无效的值",
                    error=f"{column.header}应为：{'、'.join(column.choices)}",
                )
                validation.add(f"{letter}2:{letter}{rows + 1}")
                ws.add_data_validation(validation)
            fmt = column.number_format
            if fmt:
                ws.column_dimensions[letter].number_format = fmt
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- marking errors in the user's own file ------------------------------------------------


def _is_our_mark(cell) -> bool:
    fill = cell.fill
    return bool(
        fill is not None
        and fill.fill_type == "solid"
        and fill.start_color is not None
        and fill.start_color.rgb == MARK_COLOR
    )


def marked_copy(
    data: bytes, errors: Iterable[CellError], *, header_rows: dict[str, int] | None = None
) -> bytes | None:
    """The uploaded workbook with every bad cell filled red and commented, and a 错误
    column at the end of each affected sheet saying what is wrong with each row.

    Marks left from an earlier check (the user fixed a marked copy and uploaded it
    again) are cleared first. ``header_rows`` gives each sheet's header row when it is
    not the first (the 错误 column is headed there). An error on a cell inside a merged
    range marks the range's top-left cell. None when there is nothing to mark or the
    file can't be opened as .xlsx at all (.xls and .csv uploads get the list only).
    """
    located = [e for e in errors if e.sheet and e.row is not None]
    if not located:
        return None
    try:
        wb = load_workbook(io.BytesIO(data))
    except Exception:
        return None
    by_sheet: dict[str, list[CellError]] = defaultdict(list)
    for e in located:
        by_sheet[e.sheet].append(e)
    for ws in wb.worksheets:
        _clear_marks(ws)
    for sheet_name, sheet_errors in by_sheet.items():
        if sheet_name not in wb.sheetnames:
            continue
        ws = wb[sheet_name]
        header_row = (header_rows or {}).get(sheet_name, 1)
        error_col = _error_column(ws, header_row)
        anchors = _merge_anchors(ws)
        by_cell: dict[tuple[int, int], list[str]] = defaultdict(list)
        by_row: dict[int, list[str]] = defaultdict(list)
        for e in sorted(sheet_errors, key=lambda e: e.sort_key):
            if e.col is not None:
                by_cell[(e.row, e.col)].append(e.message)
            by_row[e.row].append(f"{e.column}: {e.message}" if e.column else e.message)
        for (row, col), messages in by_cell.items():
            row, col = anchors.get((row, col), (row, col))
            cell = ws.cell(row=row, column=col)
            cell.fill = MARK_FILL
            comment = Comment("\n".join(messages), MARK_AUTHOR)
            comment.width = 300
            comment.height = 40 + 20 * len(messages)
            cell.comment = comment
        header = ws.cell(row=header_row, column=error_col, value=ERROR_HEADER)
        header.font = ERROR_HEADER_FONT
        header.fill = MARK_FILL
        header.comment = (
            Comment("表头：\n" + "\n".join(by_row.pop(header_row)), MARK_AUTHOR)
            if header_row in by_row
            else None
        )
        ws.column_dimensions[get_column_letter(error_col)].width = 60
        for row, messages in by_row.items():
            row = anchors.get((row, error_col), (row, error_col))[0]
            cell = ws.cell(row=row, column=error_col, value="；".join(messages))
            cell.font = Font(color="FF9C0006")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _clear_marks(ws) -> None:
    """Undo `marked_copy` on a sheet: our comments, their fills, the 错误 column's texts."""
    error_col = None
    for row in ws.iter_rows(max_row=min(ws.max_row, 30)):
        for cell in row:
            if cell.value == ERROR_HEADER:
                error_col = cell.column
    if error_col is None:  # every marked copy has the column: this sheet was never marked
        return
    for row in ws.iter_rows():
        for cell in row:
            if cell.column == error_col and cell.value != ERROR_HEADER:
                if not isinstance(cell, MergedCell):
                    cell.value = None
            elif cell.comment is not None and cell.comment.author == MARK_AUTHOR:
                cell.comment = None
                if _is_our_mark(cell):
                    cell.fill = PatternFill(fill_type=None)


def _error_column(ws, header_row: int = 1) -> int:
    """The 错误 column of a sheet: the existing one, or a new one after the last."""
    for cell in ws[header_row]:
        if cell.value is not None and str(cell.value).strip() == ERROR_HEADER:
            return cell.column
    return ws.max_column + 1


def _merge_anchors(ws) -> dict[tuple[int, int], tuple[int, int]]:
    """(row, col) of every cell inside a merged range other than its top-left cell,
    mapped to that top-left cell (which alone can hold a value, a fill or a comment)."""
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for merged in ws.merged_cells.ranges:
        top = (merged.min_row, merged.min_col)
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                if (row, col) != top:
                    out[(row, col)] = top
    return out


def marked_cells(data: bytes) -> dict[str, dict[str, str]]:
    """{sheet: {coordinate: comment}} of the cells `marked_copy` filled red (the 错误
    column's header excepted)."""
    wb = load_workbook(io.BytesIO(data))
    out: dict[str, dict[str, str]] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if _is_our_mark(cell) and cell.value != ERROR_HEADER:
                    comment = cell.comment.text if cell.comment else ""
                    out.setdefault(ws.title, {})[cell.coordinate] = comment
    return out


def report_workbook(
    title: str,
    headers: Sequence[tuple[str, int]],
    rows: Iterable[Sequence[object]],
    *,
    note: str = "",
) -> bytes:
    """A report to read and print (not to re-import): one sheet with a title row, an
    optional note, bold headers with fixed widths (header, width), frozen header.

    Written in write-only mode: ``rows`` may be a generator over a queryset's
    ``.iterator()``, and the rows are not kept in memory as cells."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for i, (_, width) in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    start = 3 if note else 2  # the header row
    ws.freeze_panes = f"A{start + 1}"
    if title.startswith(FORMULA_PREFIXES):
        heading = _text_cell(ws, title)
    else:
        heading = WriteOnlyCell(ws, value=title)
    heading.font = Font(bold=True, size=14)
    ws.append([heading])
    if note:
        ws.append(_row(ws, [note]))
    header_cells = []
    for header, _ in headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        ws.append(_row(ws, row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
