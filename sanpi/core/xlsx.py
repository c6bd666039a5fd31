"""Excel workbooks in and out, with no domain knowledge.

An app describes a sheet as a `SheetSpec`: its name and its `Column`s (key, Chinese
header, parser, width, the values offered in a drop-down). This module

* reads a sheet fast (openpyxl ``read_only=True``, values only), checks the header
  row, parses every cell and collects *every* problem as a `CellError`
  ("第N行 列名: 原因", N the Excel row number) instead of stopping at the first;
* writes workbooks (exports, in write-only mode) and empty templates with
  drop-down lists and column widths;
* produces a copy of an uploaded workbook with the bad cells filled red, a comment on
  each, and an extra 错误 column that says what is wrong with each row.

Cell parsers raise `CellValueError` with a Chinese reason; the reader turns it into a
`CellError` for that cell.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .money import AmountError, parse_wan

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


class CellValueError(ValueError):
    """A cell whose value can't be used; the message is the Chinese reason."""


class WorkbookUnreadable(ValueError):
    """The upload is not a workbook openpyxl can read."""


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
        return f"{lead}第{self.row}行 {self.column}: {self.message}"

    @property
    def sort_key(self) -> tuple:
        return (self.prefix != "", self.prefix, self.row or 0, self.col or 0)


@dataclass
class ErrorList:
    """Collects problems; rendered sorted by sheet, row and column."""

    items: list[CellError] = field(default_factory=list)

    def add(self, error: CellError) -> None:
        self.items.append(error)

    def file(self, message: str) -> None:
        self.items.append(CellError(message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[CellError]:
        return sorted(self.items, key=lambda e: e.sort_key)

    def lines(self) -> list[str]:
        return [str(e) for e in self.sorted()]


# --- cell parsers ------------------------------------------------------------------------


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def text(max_length: int | None = None) -> Callable[[object], str]:
    def parse(value: object) -> str:
        out = _text(value)
        if max_length is not None and len(out) > max_length:
            raise CellValueError(f"不能超过{max_length}个字符（实为{len(out)}个）")
        return out

    return parse


def amount(max_digits: int = 16) -> Callable[[object], Decimal]:
    """A non-negative amount with at most two decimals (万元, 亩…), exact."""
    limit = Decimal(10) ** (max_digits - 2)

    def parse(value: object) -> Decimal:
        if isinstance(value, dt.datetime | dt.date | dt.time):
            raise CellValueError("应为数字，实为日期")
        try:
            out = parse_wan(value)
        except AmountError as exc:
            raise CellValueError(str(exc)) from None
        if out is not None and out >= limit:
            raise CellValueError(f"数值过大（应小于{limit:,}）")
        return out

    return parse


def integer(minimum: int, maximum: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, bool):
            raise CellValueError("应为整数")
        if isinstance(value, float):
            if not value.is_integer():
                raise CellValueError(f"“{value}”不是整数")
            value = int(value)
        if not isinstance(value, int):
            raw = str(value).strip()
            if not re.fullmatch(r"\d+", raw):
                raise CellValueError(f"“{raw}”不是整数")
            value = int(raw)
        if not minimum <= value <= maximum:
            raise CellValueError(f"应在{minimum}到{maximum}之间，实为{value}")
        return value

    return parse


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def date(value: object) -> dt.date:
    """An Excel date, or text YYYY-MM-DD (also YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = _text(value)
    m = _DATE_RE.match(raw)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise CellValueError(f"“{raw}”不是有效日期") from None
    raise CellValueError(f"“{raw}”不是日期，应为日期或 YYYY-MM-DD 格式的文字")


YES, NO = "是", "否"


def yes_no(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raw = _text(value)
    if raw == YES:
        return True
    if raw == NO:
        return False
    raise CellValueError(f"应填“是”或“否”，实为“{raw}”")


def choice(mapping: dict[str, str], what: str = "") -> Callable[[object], str]:
    """A value from a vocabulary, given by its label; returns the stored value."""
    labels = "、".join(mapping)

    def parse(value: object) -> str:
        raw = _text(value)
        try:
            return mapping[raw]
        except KeyError:
            raise CellValueError(f"“{raw}”不是有效的{what or '选项'}（可选：{labels}）") from None

    return parse


# --- specs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    parse: Callable[[object], object] = text()
    required: bool = False
    width: float = 14
    choices: tuple[str, ...] = ()  # offered as a drop-down list in templates
    number_format: str | None = None
    default: object = None  # the value of an empty cell


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Column, ...]
    prefix: str = ""  # how errors name this sheet ("" for the main sheet)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


@dataclass
class Row:
    """A data row: its Excel row number and its parsed values by column key.

    Cells that failed to parse are missing from ``values`` (their errors are already
    collected); ``raw`` keeps what the cells held.
    """

    number: int
    values: dict[str, object]
    raw: tuple
    failed: set[str] = field(default_factory=set)


# --- reading -----------------------------------------------------------------------------


def open_workbook(data: bytes):
    """Open an upload for fast reading, or raise WorkbookUnreadable."""
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise WorkbookUnreadable(
            "无法读取文件：请上传 Excel 工作簿（.xlsx 格式；不支持 .xls、.csv 或加密的文件）"
        ) from None


def sheet_names(workbook) -> list[str]:
    return list(workbook.sheetnames)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_header(spec: SheetSpec, header: Sequence[object], errors: ErrorList) -> list[int] | None:
    """Compare a header row with the spec. Returns the 0-based column indexes of the
    spec's columns in the sheet, or None (with errors) when the header is wrong.

    A trailing 错误 column (from a marked copy the user fixed and uploaded again) is
    ignored.
    """
    actual = ["" if _is_blank(v) else _text(v) for v in header]
    while actual and actual[-1] == "":
        actual.pop()
    if actual and actual[-1] == ERROR_HEADER:
        actual.pop()
    expected = spec.headers
    if actual == expected:
        return list(range(len(expected)))
    before = len(errors)

    def error(message: str, name: str, col: int | None) -> None:
        errors.add(
            CellError(message, sheet=spec.name, row=1, col=col, column=name, prefix=spec.prefix)
        )

    def where(i: int) -> str:
        return f"第{i + 1}列（{get_column_letter(i + 1)}列）"

    first: dict[str, int] = {}
    for j, name in enumerate(actual):
        if not name:
            error("表头为空，请删除此列或填写模板中的列名", f"{get_column_letter(j + 1)}列", j + 1)
        elif name not in expected:
            error("不是本表的列，请改为模板中的列名或删除此列", name, j + 1)
        elif name in first:
            error(f"列名重复（{where(first[name])}已有此列）", name, j + 1)
        else:
            first[name] = j
    for i, name in enumerate(expected):
        if name not in first:
            error(f"缺少此列（应在{where(i)}）", name, None)
    # Columns out of order: those outside the longest run already in template order.
    present = sorted(first, key=first.get)
    in_order = _longest_increasing([expected.index(n) for n in present])
    for name in present:
        if expected.index(name) not in in_order:
            i, j = expected.index(name), first[name]
            error(f"列的位置不对：应在{where(i)}，实在{where(j)}", name, j + 1)
    if len(errors) == before:
        return [first[name] for name in expected]
    return None


def _longest_increasing(values: list[int]) -> set[int]:
    """The values of one longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []  # index into values of the last element of each run length
    parent: list[int | None] = [None] * len(values)
    for k, value in enumerate(values):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if values[tails[mid]] < value:
                lo = mid + 1
            else:
                hi = mid
        parent[k] = tails[lo - 1] if lo else None
        if lo == len(tails):
            tails.append(k)
        else:
            tails[lo] = k
    out: set[int] = set()
    k = tails[-1] if tails else None
    while k is not None:
        out.add(values[k])
        k = parent[k]
    return out


def read_sheet(
    workbook,
    spec: SheetSpec,
    errors: ErrorList,
    *,
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = 500,
    allow_empty: bool = False,
) -> list[Row] | None:
    """Read and parse a sheet's data rows; None if the sheet is empty or its header wrong
    (an optional sheet, ``allow_empty``, may be blank or have no data rows: []).

    Blank rows are skipped. Every cell problem is added to ``errors``; rows with bad
    cells are still returned (without those cells' values) so that further checks can
    run on the rest of the row.
    """
    try:
        ws = workbook[spec.name]
        estimate = max((ws.max_row or 1) - 1, 0)
        ws.reset_dimensions()  # don't trust the file's dimension tag: read every row there is
    except Exception:  # a damaged sheet part inside an otherwise valid zip
        errors.add(CellError(f"工作表“{spec.name}”已损坏，无法读取", sheet=spec.name))
        return None
    rows_iter = _rows(ws)
    try:
        header = next(rows_iter, None)
        if header is None or all(_is_blank(v) for v in header):
            if allow_empty:
                return []
            errors.add(CellError(f"工作表“{spec.name}”是空的（第1行应为表头）", sheet=spec.name))
            return None
        positions = check_header(spec, header, errors)
        if positions is None:
            return None
        plan = list(zip(positions, spec.columns, strict=True))
        width = max(positions) + 1
        rows: list[Row] = []
        for number, raw in enumerate(rows_iter, start=2):
            row = _parse_row(spec, plan, number, raw, width, errors)
            if row is None:
                continue
            rows.append(row)
            if progress is not None and len(rows) % progress_every == 0:
                # The file's own row count when it has one (0: unknown, e.g. no dimension).
                progress(len(rows), estimate if estimate >= len(rows) else 0)
    except WorkbookUnreadable as exc:
        errors.add(CellError(str(exc), sheet=spec.name))
        return None
    if not rows and not allow_empty:
        errors.add(CellError(f"工作表“{spec.name}”没有数据行", sheet=spec.name))
        return None
    if progress is not None:
        progress(len(rows), len(rows))
    return rows


def _rows(ws):
    """The sheet's rows as value tuples; a damaged sheet part raises WorkbookUnreadable."""
    try:
        yield from ws.iter_rows(values_only=True)
    except Exception:
        raise WorkbookUnreadable(f"工作表“{ws.title}”已损坏，无法读取") from None


def _parse_row(
    spec: SheetSpec,
    plan: list[tuple[int, Column]],
    number: int,
    raw: tuple,
    width: int,
    errors: ErrorList,
) -> Row | None:
    if len(raw) < width:
        raw = raw + (None,) * (width - len(raw))
    values: dict[str, object] = {}
    failed: set[str] = set()
    blank = True
    for index, column in plan:
        value = raw[index]
        if value is None or (value.__class__ is str and not value.strip()):
            values[column.key] = column.default
            continue
        blank = False
        try:
            values[column.key] = column.parse(value)
        except CellValueError as exc:
            failed.add(column.key)
            errors.add(
                CellError(
                    str(exc),
                    sheet=spec.name,
                    row=number,
                    col=index + 1,
                    column=column.header,
                    prefix=spec.prefix,
                )
            )
    if blank:
        return None
    for index, column in plan:
        if column.required and column.key not in failed and _is_blank(values[column.key]):
            failed.add(column.key)
            errors.add(
                CellError(
                    "不能为空",
                    sheet=spec.name,
                    row=number,
                    col=index + 1,
                    column=column.header,
                    prefix=spec.prefix,
                )
            )
    return Row(number, values, raw, failed)


def column_of(spec: SheetSpec, key: str) -> Column:
    for column in spec.columns:
        if column.key == key:
            return column
    raise KeyError(key)


def cell_error(spec: SheetSpec, row: int, key: str, message: str) -> CellError:
    """An error on a data cell of a sheet read with the spec's exact header."""
    for i, column in enumerate(spec.columns):
        if column.key == key:
            return CellError(
                message, sheet=spec.name, row=row, col=i + 1, column=column.header,
                prefix=spec.prefix,
            )  # fmt: skip
    raise KeyError(key)


# --- writing -----------------------------------------------------------------------------


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
        formats = [
            c.number_format or (None if c.parse is not date else DATE_FORMAT) for c in spec.columns
        ]
        formatted = [i for i, f in enumerate(formats) if f]
        for values in rows:
            if formatted:
                values = list(values)
                for i in formatted:
                    if values[i] is not None and values[i] != "":
                        cell = WriteOnlyCell(ws, value=values[i])
                        cell.number_format = formats[i]
                        values[i] = cell
            ws.append(values)
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
            fmt = column.number_format or (DATE_FORMAT if column.parse is date else None)
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


def marked_copy(data: bytes, errors: Iterable[CellError]) -> bytes | None:
    """The uploaded workbook with every bad cell filled red and commented, and a 错误
    column at the end of each affected sheet saying what is wrong with each row.

    Marks left from an earlier check (the user fixed a marked copy and uploaded it
    again) are cleared first. None when there is nothing to mark or the file can't be
    opened at all.
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
        error_col = _error_column(ws)
        by_cell: dict[tuple[int, int], list[str]] = defaultdict(list)
        by_row: dict[int, list[str]] = defaultdict(list)
        for e in sorted(sheet_errors, key=lambda e: e.sort_key):
            if e.col is not None:
                by_cell[(e.row, e.col)].append(e.message)
            by_row[e.row].append(f"{e.column}: {e.message}" if e.column else e.message)
        for (row, col), messages in by_cell.items():
            cell = ws.cell(row=row, column=col)
            cell.fill = MARK_FILL
            comment = Comment("\n".join(messages), MARK_AUTHOR)
            comment.width = 300
            comment.height = 40 + 20 * len(messages)
            cell.comment = comment
        header = ws.cell(row=1, column=error_col, value=ERROR_HEADER)
        header.font = ERROR_HEADER_FONT
        header.fill = MARK_FILL
        header.comment = (
            Comment("表头：\n" + "\n".join(by_row.pop(1)), MARK_AUTHOR) if 1 in by_row else None
        )
        ws.column_dimensions[get_column_letter(error_col)].width = 60
        for row, messages in by_row.items():
            cell = ws.cell(row=row, column=error_col, value="；".join(messages))
            cell.font = Font(color="FF9C0006")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _clear_marks(ws) -> None:
    """Undo `marked_copy` on a sheet: our comments, their fills, the 错误 column's texts."""
    error_col = None
    for cell in ws[1]:
        if cell.value == ERROR_HEADER:
            error_col = cell.column
    if error_col is None:  # every marked copy has the column: this sheet was never marked
        return
    for row in ws.iter_rows():
        for cell in row:
            if cell.column == error_col and cell.row > 1:
                cell.value = None
            elif cell.comment is not None and cell.comment.author == MARK_AUTHOR:
                cell.comment = None
                if _is_our_mark(cell):
                    cell.fill = PatternFill(fill_type=None)


def _error_column(ws) -> int:
    """The 错误 column of a sheet: the existing one, or a new one after the last."""
    for cell in ws[1]:
        if not _is_blank(cell.value) and _text(cell.value) == ERROR_HEADER:
            return cell.column
    return ws.max_column + 1


def marked_cells(data: bytes) -> dict[str, dict[str, str]]:
    """{sheet: {coordinate: comment}} of the cells `marked_copy` filled red (the 错误
    column's header excepted)."""
    wb = load_workbook(io.BytesIO(data))
    out: dict[str, dict[str, str]] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if _is_our_mark(cell) and not (cell.row == 1 and cell.value == ERROR_HEADER):
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
    optional note, bold headers with fixed widths (header, width), frozen header."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    start = 2
    if note:
        ws.append([note])
        start = 3
    ws.append([h for h, _ in headers])
    for i, (_, width) in enumerate(headers, start=1):
        ws.cell(row=start, column=i).font = Font(bold=True)
        ws.cell(row=start, column=i).alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in rows:
        ws.append(list(row))
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
