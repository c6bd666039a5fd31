"""Reading a table out of a clerk's workbook, with no domain knowledge.

A ledger kept for years in Excel or WPS does not look like the template: title rows above
the header, a "单位：万元" line, a two-level header (签约 merged over 日期/批次/方式), columns
in another order and under other names, 序号 and 备注 columns, county cells merged over
runs of rows, blank rows, 合计 and 小计 rows, "一、离石区" group headings. This module
understands that layout and hands the importer clean rows; it

* finds the header row (or the two header rows) in the first rows of the sheet;
* maps the file's columns to the spec's `Column`s by name, after normalising width,
  spaces and line breaks, with each column's synonyms (kept as data on the spec) and the
  user's own explicit mapping; a column whose unit differs from the spec's (总投资（亿元）
  for 总投资(万元)) is refused, never converted silently;
* classifies every row: data, blank, 合计/小计, group heading, repeated header, note;
* gives each cell of a merged range the value of its top-left cell;
* parses every mapped cell with the column's parser (`sanpi.core.cells`) and collects
  every problem as a `CellError` with the clerk's own row number and column letter;
* reports what it understood (`TableReport`) so the import preview can show it.

`read_table` lays the table out once (header, mapping) and returns a `Table` whose
`rows()` streams the parsed data rows; it can be iterated more than once (the importer
checks in one pass and writes in a second), so nothing proportional to the file's size
is kept here.
"""

from __future__ import annotations

import difflib
import pickle
import re
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field

from openpyxl.utils import get_column_letter

from . import cells
from .cells import CellValueError, Noted
from .workbooks import SheetGrid, WorkbookUnreadable
from .xlsx import ERROR_HEADER, CellError, Column, ErrorList, SheetSpec

HEADER_SCAN_ROWS = 30  # the header is looked for in this many leading rows
SAMPLE_LIMIT = 20  # skipped rows and hidden rows listed by number in the report
IGNORE = ""  # a user mapping's target that means "ignore this column"

_UNIT_RE = re.compile(r"^(.*?)[(](.+)[)]$")  # on match_key'd text: stem(unit)
_SHEET_UNIT_RE = re.compile(r"单位[:：]\s*(万元|亿元|元|亩|平方米)")
_SUMMARY_RE = re.compile(r"^(.{0,20}?)(合计|小计|总计|共计|累计|总合计)([:：(].*)?$")
_HEADING_RE = re.compile(
    r"^([(]?[一二三四五六七八九十百]+[)、.]|[(]\d+[)]|\d+[、.](?!\d)|第[一二三四五六七八九十\d]+[部类批])"
)
_NUMERAL_RE = re.compile(r"[一二三四五六七八九十]+")
_NOTE_RE = re.compile(r"^(注|说明|备注|填表|填报|制表|审核|联系人|联系电话|负责人|单位负责人)")
_TITLE_RE = re.compile(r"(台账|一览表|汇总表|统计表|情况表|明细表|清单)$")


# --- what was understood -----------------------------------------------------------------------


@dataclass
class ColumnMatch:
    """How one column of the file was understood."""

    col: int  # 1-based position in the file
    header: str  # as the file has it (two header rows joined with "/")
    key: str | None = None  # the spec column it maps to, None: ignored
    how: str = ""  # 同名, 同义词, 两级表头, 按您的指定, or why it is ignored
    refused: str = ""  # the spec column it names with the wrong unit (an error already)

    @property
    def letter(self) -> str:
        return get_column_letter(self.col)


@dataclass
class TableReport:
    """What the reader understood of a sheet, for the import preview (JSON-ready)."""

    sheet: str = ""
    kind: str = ""
    encoding: str = ""
    header_rows: list[int] = field(default_factory=list)
    columns: list[dict] = field(default_factory=list)  # {letter, header, target, how}
    ignored: list[dict] = field(default_factory=list)  # {letter, header, why}
    missing: list[str] = field(default_factory=list)  # optional spec columns not in the file
    data_rows: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    skipped_sample: list[dict] = field(default_factory=list)  # {row, reason, text}
    merged_fills: dict[str, int] = field(default_factory=dict)  # column header -> cells
    hidden_rows: int = 0
    hidden_sample: list[int] = field(default_factory=list)
    normalised: list[dict] = field(default_factory=list)  # {column, note, count, row, raw, value}
    sheet_unit: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


# --- laying the table out ----------------------------------------------------------------------


@dataclass
class Layout:
    header_rows: list[int]
    positions: dict[str, int]  # spec column key -> 0-based index in the file's rows
    matches: list[ColumnMatch]
    first_data_row: int
    header_width: int


def _cell_text(value: object) -> str:
    if cells.is_empty(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return cells.clean(str(value))


class _Names:
    """The spec's column names (header and synonyms) by match key, and by stem for names
    that carry a unit: 总投资(万元) is also known as 总投资 with unit 万元."""

    def __init__(self, spec: SheetSpec, mapping: Mapping[str, str] | None):
        self.by_key: dict[str, tuple[str, str]] = {}  # match key -> (column key, how)
        self.stems: dict[str, tuple[str, str]] = {}  # unitless stem -> (column key, unit)
        for column in spec.columns:
            for i, name in enumerate((column.header, *column.aliases)):
                key = cells.match_key(name)
                self.by_key.setdefault(key, (column.key, "同名" if i == 0 else "同义词"))
                m = _UNIT_RE.match(key)
                if m:
                    self.stems.setdefault(m.group(1), (column.key, m.group(2)))
        by_header = {cells.match_key(c.header): c.key for c in spec.columns}
        self.user: dict[str, str] = {}  # file header match key -> column key or IGNORE
        for source, target in (mapping or {}).items():
            self.user[cells.match_key(source)] = (
                by_header.get(cells.match_key(target), IGNORE) if target else IGNORE
            )
        self.headers = {c.key: c.header for c in spec.columns}

    def lookup(self, text: str, sheet_unit: str) -> tuple[str | None, str]:
        """(column key, how) for a header text; (None, why) when it is not a column."""
        key = cells.match_key(text)
        if not key:
            return None, "表头为空"
        if key in self.user:
            target = self.user[key]
            return (target or None), ("按您的指定" if target else "按您的指定忽略")
        if key in self.by_key:
            return self.by_key[key]
        m = _UNIT_RE.match(key)
        stem, unit = (m.group(1), m.group(2)) if m else (key, "")
        if stem in self.stems:
            column, wanted = self.stems[stem]
            if unit and unit != wanted:
                return None, f"unit:{unit}:{wanted}:{column}"
            if not unit:
                if sheet_unit == wanted:
                    return column, f"按表上注明的“单位：{sheet_unit}”"
                return None, f"nounit:{wanted}:{column}"
        return None, "模板中没有此列"


def _score(texts: list[str], names: _Names, sheet_unit: str) -> int:
    return sum(1 for t in texts if t and names.lookup(t, sheet_unit)[0] is not None)


def _two_level(top: list[str], bottom: list[str], names: _Names, unit: str) -> list[str]:
    """The header of each column from two header rows: the sub-heading under a group
    heading (签约 over 日期 → 签约日期), or the one text a column has."""
    out = []
    for j in range(max(len(top), len(bottom))):
        t = top[j] if j < len(top) else ""
        b = bottom[j] if j < len(bottom) else ""
        if not b or t == b:
            out.append(t)
        elif not t:
            out.append(b)
        else:
            joined = t + b
            if names.lookup(joined, unit)[0] is not None:
                out.append(joined)
            elif names.lookup(b, unit)[0] is not None:
                out.append(b)
            else:
                out.append(f"{t}/{b}")
    return out


def lay_out(
    grid: SheetGrid,
    spec: SheetSpec,
    errors: ErrorList,
    report: TableReport,
    *,
    mapping: Mapping[str, str] | None = None,
) -> Layout | None:
    """Find the header and map the columns; None (with errors) when the sheet is empty or
    a required column can't be found."""
    names = _Names(spec, mapping)
    fills = _MergeFill(grid)
    leading: list[tuple[int, list[str]]] = []
    for number, values in grid.rows():
        if number > HEADER_SCAN_ROWS:
            break
        check_row_size(grid.name, number, values)
        filled, _ = fills.apply(number, values)
        leading.append((number, [_cell_text(v) for v in filled]))
    sheet_unit = ""
    best: tuple[int, int, list[int], list[str]] | None = None  # score, -rows, numbers, texts
    for i, (number, texts) in enumerate(leading):
        single = _score(texts, names, sheet_unit)
        candidates = [(single, [number], texts)]
        if i + 1 < len(leading) and leading[i + 1][0] == number + 1:
            joined = _two_level(texts, leading[i + 1][1], names, sheet_unit)
            candidates.append((_score(joined, names, sheet_unit), [number, number + 1], joined))
        for score, rows, headers in candidates:
            if best is None or score > best[0] or (score == best[0] and len(rows) < -best[1]):
                best = (score, -len(rows), rows, headers)
        if single == 0:  # a title or a "单位：万元" line above the header
            m = _SHEET_UNIT_RE.search(" ".join(texts))
            if m:
                sheet_unit = report.sheet_unit = m.group(1)
    if best is None or not any(t for _, texts in leading for t in texts):
        errors.add(CellError(f"工作表“{grid.name}”是空的", sheet=grid.name, prefix=spec.prefix))
        return None
    score, _, header_rows, headers = best
    header_row = header_rows[-1]
    if score < 1:
        _no_header(grid, spec, errors, leading, names)
        return None
    report.header_rows = header_rows
    matches, positions = _map_columns(grid, spec, errors, headers, header_row, names, sheet_unit)
    if len(header_rows) == 2:
        top = dict(leading)[header_rows[0]]
        for match in matches:
            if match.key and match.header != (top[match.col - 1] if match.col <= len(top) else ""):
                match.how += "（两级表头）"
    for match in matches:
        entry = {"letter": match.letter, "header": match.header, "how": match.how}
        if match.key is None:
            if match.header and match.header != ERROR_HEADER:
                report.ignored.append(entry)
        else:
            report.columns.append({**entry, "target": names.headers[match.key]})
    refused = {m.refused for m in matches if m.refused}
    missing_required = [
        c for c in spec.columns if c.required and c.key not in positions and c.key not in refused
    ]
    for column in missing_required:
        found = [m for m in matches if m.key is None and m.header and m.header != ERROR_HEADER]
        hint = _nearest(column, found)
        errors.add(
            CellError(
                f"找不到此列（表头在第{header_row}行）。{hint}",
                sheet=grid.name,
                row=header_row,
                column=column.header,
                prefix=spec.prefix,
            )
        )
    report.missing = [c.header for c in spec.columns if c.key not in positions and not c.required]
    if (
        missing_required
        or refused
        or any(e.row == header_row for e in errors.items if e.sheet == grid.name)
    ):
        return None
    width = max(positions.values()) + 1 if positions else 0
    return Layout(header_rows, positions, matches, header_row + 1, max(width, len(headers)))


def _map_columns(grid, spec, errors, headers, header_row, names, sheet_unit):
    matches: list[ColumnMatch] = []
    positions: dict[str, int] = {}
    for j, text in enumerate(headers):
        match = ColumnMatch(col=j + 1, header=text)
        matches.append(match)
        if not text or text == ERROR_HEADER:
            continue
        key, how = names.lookup(text, sheet_unit)
        if key is None and how.startswith(("unit:", "nounit:")):
            parts = how.split(":")
            target = names.headers[parts[-1]]
            if parts[0] == "unit":
                message = (
                    f"单位是{parts[1]}，本系统此列为“{target}”（单位{parts[2]}），"
                    f"请换算为{parts[2]}后把列名改为“{target}”"
                )
            else:
                message = (
                    f"列名没有注明单位，请改为“{target}”（或在表头上方注明“单位：{parts[1]}”）"
                )
            errors.add(
                CellError(message, sheet=grid.name, row=header_row, col=j + 1, column=text,
                          prefix=spec.prefix)
            )  # fmt: skip
            match.how = "单位不符" if parts[0] == "unit" else "未注明单位"
            match.refused = parts[-1]
            continue
        if key is None:
            match.how = how
            continue
        if key in positions:
            first = positions[key]
            errors.add(
                CellError(
                    f"与{get_column_letter(first + 1)}列“{headers[first]}”都对应模板的"
                    f"“{names.headers[key]}”，请删除或改名其中一列",
                    sheet=grid.name, row=header_row, col=j + 1, column=text, prefix=spec.prefix,
                )
            )  # fmt: skip
            continue
        match.key = key
        match.how = how
        positions[key] = j
    return matches, positions


def _nearest(column: Column, found: list[ColumnMatch]) -> str:
    if not found:
        return "文件的表头中没有可对应的列"
    names = [m.header for m in found]
    close = difflib.get_close_matches(column.header, names, n=1, cutoff=0.4)
    listed = "、".join(f"{m.letter}列“{m.header}”" for m in found[:12])
    lead = f"是否为{close[0]}？若是，请把列名改为“{column.header}”。" if close else ""
    return f"{lead}文件中未能对应的列：{listed}"


def _no_header(grid, spec, errors, leading, names) -> None:
    """No row looks like the header: say what the first rows hold and the nearest names."""
    nonblank = [(n, [t for t in texts if t]) for n, texts in leading if any(texts)]
    number, texts = max(nonblank, key=lambda item: len(item[1]))
    template = [c.header for c in spec.columns]
    hints = []
    for text in texts[:15]:
        close = difflib.get_close_matches(text, template, n=1, cutoff=0.4)
        hints.append(f"“{text}”" + (f"（最接近“{close[0]}”）" if close else ""))
    errors.add(
        CellError(
            f"在前{HEADER_SCAN_ROWS}行中找不到表头（应含“{'”“'.join(template[:4])}”等列名）。"
            f"第{number}行的内容为：{'、'.join(hints)}。请使用导入模板的列名，或在导入页面指定各列的对应关系",
            sheet=grid.name,
            prefix=spec.prefix,
        )
    )


# --- merged cells ------------------------------------------------------------------------------


class _MergeFill:
    """Gives every cell of a merged range the value of its top-left cell, streaming."""

    def __init__(self, grid: SheetGrid):
        self.by_row: dict[int, list] = {}
        for r in grid.merged:
            if r.max_row == r.min_row and r.max_col == r.min_col:
                continue
            for row in range(r.min_row, r.max_row + 1):
                self.by_row.setdefault(row, []).append(r)
        self.top_left: dict[tuple[int, int], object] = {}

    def apply(self, number: int, values: tuple) -> tuple[tuple, list[int]]:
        """The row with merged values filled in, and the 0-based columns that were filled."""
        ranges = self.by_row.get(number)
        if not ranges:
            return values, []
        out = list(values)
        filled: list[int] = []
        for r in ranges:
            if number == r.min_row:
                value = out[r.min_col - 1] if r.min_col - 1 < len(out) else None
                self.top_left[(r.min_row, r.min_col)] = value
            else:
                value = self.top_left.get((r.min_row, r.min_col))
                if number == r.max_row:
                    self.top_left.pop((r.min_row, r.min_col), None)
            if value is None:
                continue
            if len(out) < r.max_col:
                out.extend([None] * (r.max_col - len(out)))
            for c in range(r.min_col, r.max_col + 1):
                if (number, c) != (r.min_row, r.min_col) and cells.is_empty(out[c - 1]):
                    out[c - 1] = value
                    filled.append(c - 1)
        return tuple(out), filled


# --- rows --------------------------------------------------------------------------------------


@dataclass
class Row:
    """A data row: the clerk's row number and the parsed values by column key.

    Cells that failed to parse are missing from ``values`` (their errors are collected);
    columns the file does not have are missing too (``Table.present`` says which are there).
    """

    number: int
    values: dict[str, object]
    failed: set[str] = field(default_factory=set)
    hidden: bool = False


class Table:
    """A laid-out sheet: `rows()` streams its parsed data rows (and may be called again)."""

    def __init__(self, grid: SheetGrid, spec: SheetSpec, layout: Layout, report: TableReport):
        self.grid, self.spec, self.layout, self.report = grid, spec, layout, report
        self.present = frozenset(layout.positions)
        self.columns = [(layout.positions[c.key], c) for c in spec.columns if c.key in self.present]
        self.header_text = {m.key: m.header for m in layout.matches if m.key}
        self._required = [j for j, c in self.columns if c.required]
        self._key_by_index = {j: key for key, j in layout.positions.items()}
        self._passes = 0

    def error(self, row: int, key: str, message: str) -> CellError:
        """An error on a data cell, located in the clerk's file."""
        index = self.layout.positions.get(key)
        header = self.header_text.get(key) or _header_of(self.spec, key)
        return CellError(
            message, sheet=self.grid.name, row=row, col=None if index is None else index + 1,
            column=header, prefix=self.spec.prefix,
        )  # fmt: skip

    def rows(self, errors: ErrorList | None = None) -> Iterator[Row]:
        """The data rows. Parse errors go to ``errors`` (give it on the checking pass;
        the writing pass, on a file already checked, needs none)."""
        self._passes += 1
        report = self.report if self._passes == 1 else None
        sink = errors if errors is not None else ErrorList()
        layout, fills = self.layout, _MergeFill(self.grid)
        header_keys = {cells.match_key(m.header) for m in layout.matches if m.key}
        hidden = self.grid.hidden_rows
        notes: dict[tuple[str, str], dict] = {}
        merged: Counter[str] = Counter()
        max_rows = max_data_rows()
        try:
            for number, raw in self.grid.rows():
                if sink.truncated:
                    break  # enough errors to send the file back: read no further
                check_row_size(self.grid.name, number, raw)
                values, filled = fills.apply(number, raw)
                if number < layout.first_data_row:
                    continue
                if number - layout.first_data_row >= max_rows:
                    raise WorkbookUnreadable(too_many_rows(self.grid.name, max_rows))
                skip = self._skip_reason(raw, filled, header_keys)
                if skip is not None:
                    if report is not None:
                        _count_skip(report, number, skip, raw)
                    continue
                row = self._parse(number, values, sink, notes if report is not None else None)
                row.hidden = number in hidden
                if report is not None:
                    report.data_rows += 1
                    if row.hidden:
                        report.hidden_rows += 1
                        if len(report.hidden_sample) < SAMPLE_LIMIT:
                            report.hidden_sample.append(number)
                    for j in filled:
                        key = self._key_by_index.get(j)
                        if key is not None:
                            merged[self.header_text[key]] += 1
                yield row
        except WorkbookUnreadable as exc:
            sink.add(CellError(str(exc), sheet=self.grid.name, prefix=self.spec.prefix))
        if report is not None:
            report.merged_fills = dict(merged)
            report.normalised = list(notes.values())

    def _skip_reason(self, raw: tuple, filled: list[int], header_keys: set[str]) -> str | None:
        width = len(raw)
        for j in self._required:  # the common case: every required cell filled, a data row
            value = raw[j] if j < width else None
            if value is None or (value.__class__ is str and cells.is_empty(value)):
                break
        else:
            first = raw[self._required[0]] if self._required else None
            if self._required and not (
                first.__class__ is str and cells.match_key(first) in header_keys
            ):
                return None
        own = [(j, raw[j]) for j, _ in self.columns if j < len(raw) and not cells.is_empty(raw[j])]
        if not own:
            first = next((_cell_text(v) for v in raw if not cells.is_empty(v)), "")
            return _label_reason(cells.match_key(first)) or "空行"
        texts = [_cell_text(v) for _, v in own]
        keyed = [cells.match_key(t) for t in texts]
        if sum(1 for k in keyed if k in header_keys) * 2 >= len(self.columns):
            return "重复的表头行"
        distinct = set(texts)
        first = next(cells.match_key(_cell_text(v)) for v in raw if not cells.is_empty(v))
        # (A row with every required cell filled took the fast path above: data.)
        if _SUMMARY_RE.match(first) or any(_SUMMARY_RE.match(k) for k in keyed[:3]):
            return "合计行"
        if len(distinct) == 1:
            text = cells.match_key(texts[0])
            if _NUMERAL_RE.fullmatch(first):
                return "分组标题行"
            return _label_reason(text) or _label_reason(first)
        return None

    def _parse(self, number: int, values: tuple, errors: ErrorList, notes) -> Row:
        parsed: dict[str, object] = {}
        failed: set[str] = set()
        width = len(values)
        for index, column in self.columns:
            value = values[index] if index < width else None
            if value is None or (value.__class__ is str and cells.is_empty(value)):
                parsed[column.key] = column.default
                if column.required:
                    failed.add(column.key)
                    errors.add(self.error(number, column.key, "不能为空"))
                continue
            try:
                out = column.parse(value)
            except CellValueError as exc:
                failed.add(column.key)
                errors.add(self.error(number, column.key, str(exc)))
                continue
            if out.__class__ is Noted:
                if notes is not None:
                    _note(notes, self.header_text[column.key], out, number, value)
                out = out.value
            parsed[column.key] = out
        return Row(number, parsed, failed)


def _label_reason(text: str) -> str | None:
    """Why a row holding only this text is not data: a group heading, a title or a note."""
    if _HEADING_RE.match(text) or _TITLE_RE.search(text):
        return "分组标题行"
    if _NOTE_RE.match(text):
        return "说明行"
    return None


def _note(notes: dict, header: str, out: Noted, number: int, raw: object) -> None:
    entry = notes.get((header, out.note))
    if entry is None:
        notes[(header, out.note)] = {
            "column": header, "note": out.note, "count": 1, "row": number,
            "raw": _cell_text(raw) if not hasattr(raw, "isoformat") else str(raw),
            "value": _shown(out.value),
        }  # fmt: skip
    else:
        entry["count"] += 1


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return "-".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _count_skip(report: TableReport, number: int, reason: str, raw: tuple) -> None:
    report.skipped[reason] = report.skipped.get(reason, 0) + 1
    if reason != "空行" and len(report.skipped_sample) < SAMPLE_LIMIT:
        text = " ".join(_cell_text(v) for v in raw if not cells.is_empty(v))[:60]
        report.skipped_sample.append({"row": number, "reason": reason, "text": text})


def _header_of(spec: SheetSpec, key: str) -> str:
    for column in spec.columns:
        if column.key == key:
            return column.header
    raise KeyError(key)


MAX_CELL_CHARS = 32767  # Excel's own limit for one cell
MAX_COLUMNS = 16384  # Excel's XFD


def max_data_rows() -> int:
    from django.conf import settings

    return settings.SANPI_IMPORT_MAX_ROWS


def too_many_rows(sheet: str, limit: int) -> str:
    return (
        f"工作表“{sheet}”超过{limit:,}行的上限，未导入：请拆分为几个文件分别导入"
        "（或删除表格下方多余的空行、格式行）"
    )


def check_row_size(sheet: str, number: int, raw: tuple) -> None:
    """A row no spreadsheet program writes (a cell over Excel's 32,767 characters, more
    columns than Excel has) is refused before it is parsed any further."""
    if len(raw) > MAX_COLUMNS:
        raise WorkbookUnreadable(f"工作表“{sheet}”第{number}行超过{MAX_COLUMNS}列，不是正常的表格")
    for value in raw:
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise WorkbookUnreadable(
                f"工作表“{sheet}”第{number}行有一个单元格超过{MAX_CELL_CHARS:,}个字符"
                "（Excel单元格的上限），不是正常的表格，未导入"
            )


def read_table(
    grid: SheetGrid,
    spec: SheetSpec,
    errors: ErrorList,
    *,
    mapping: Mapping[str, str] | None = None,
    report: TableReport | None = None,
) -> Table | None:
    """Lay out a sheet as a table of `spec`; None (with errors) when it can't be."""
    report = report if report is not None else TableReport()
    report.sheet = grid.name
    try:
        layout = lay_out(grid, spec, errors, report, mapping=mapping)
    except WorkbookUnreadable as exc:
        errors.add(CellError(str(exc), sheet=grid.name, prefix=spec.prefix))
        return None
    if layout is None:
        return None
    limit = max_data_rows()
    if grid.estimated_rows - layout.first_data_row >= limit:
        # The file says up front how many rows it has (an .xlsx's last row, an .xls's
        # row count): refuse before reading them.
        errors.add(CellError(too_many_rows(grid.name, limit), sheet=grid.name, prefix=spec.prefix))
        return None
    return Table(grid, spec, layout, report)


def find_sheet(sheet_names: list[str], wanted: str) -> str | None:
    """The sheet a clerk meant by ``wanted``: the same name after trimming and width
    normalisation, or the name with a year or a note added (项目台账（2022年）)."""
    key = cells.match_key(wanted)
    for name in sheet_names:
        if cells.match_key(name) == key:
            return name
    for name in sheet_names:
        if cells.match_key(name).startswith(key):
            return name
    return None


class RowSpool:
    """Rows kept on disk between an import's checking pass and its writing pass, so a big
    file is neither held in memory nor read and parsed twice (a temporary file of pickled
    rows, removed when closed)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the spool)
        self.count = 0

    def add(self, row: Row) -> None:
        pickle.dump(row, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def __iter__(self) -> Iterator[Row]:
        self._file.flush()
        self._file.seek(0)
        for _ in range(self.count):
            yield pickle.load(self._file)
        self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RowSpool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
