"""Uploaded spreadsheets as a uniform, streaming grid of cell values, one per sheet.

`open_book(data, filename)` goes by what the bytes are, never by the name: .xlsx/.xlsm
(openpyxl), .xls and WPS .et (xlrd) or text (.csv in UTF-8 or GBK). Anything else raises
`WorkbookUnreadable`, whose Chinese text says what the file is and what to do. A
`SheetGrid` knows its merged ranges and hidden rows up front and streams
``(row number, values)``; finding the header and parsing values is the importer's job.

Values: None, str, int, float, bool, datetime.datetime, datetime.time. Empty strings and
error cells (#N/A...) are None; trailing Nones are dropped. .xlsx numbers are int or float
as stored, .xls numbers always float; durations ([h]:mm) stay numbers (days). East Asian
built-in date formats (ids 27-36, 50-58: zh-CN Excel/WPS), unknown to openpyxl, are dates.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PureWindowsPath
from typing import IO, Any, Self, TypeAlias

import openpyxl
import xlrd
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser

CellValue: TypeAlias = str | int | float | bool | dt.datetime | dt.time | None
Row: TypeAlias = tuple[CellValue, ...]

_SAVE_AS = "请在 Excel/WPS 中打开后另存为 .xlsx 再上传"
_UPLOAD = "请上传 .xlsx、.xls 或 .csv 文件"
MSG_EMPTY = "文件是空的，请检查是否选错了文件"
MSG_UNKNOWN = f"无法识别的文件格式，{_UPLOAD}"
MSG_PDF = f"这是 PDF 文件，不是表格，{_UPLOAD}"
MSG_IMAGE = f"这是图片文件，不是表格，{_UPLOAD}"
MSG_ARCHIVE = "这是压缩包，不是表格，请解压后上传其中的 .xlsx、.xls 或 .csv 文件"
MSG_ODS = "这是 OpenDocument 表格（.ods），请在 WPS/Excel/LibreOffice 中另存为 .xlsx 后上传"
MSG_ODF = f"这是 OpenDocument 文档，不是表格，{_UPLOAD}"
MSG_WORD = f"这是 Word 文档，不是表格，{_UPLOAD}"
MSG_PPT = f"这是 PowerPoint 演示文稿，不是表格，{_UPLOAD}"
MSG_XLSB = "这是 Excel 二进制工作簿（.xlsb），请在 Excel 中另存为 .xlsx 后上传"
MSG_ENCRYPTED = "文件已加密（设置了打开密码），请在 Excel/WPS 中取消密码后另存为 .xlsx 再上传"
MSG_BAD_XLSX = f"文件已损坏，无法作为 .xlsx 读取，{_SAVE_AS}"
MSG_BAD_XLS = f"无法读取这个 .xls 文件（可能已损坏或版本过旧），{_SAVE_AS}"
MSG_HTML = f"这是网页（HTML）格式的文件，并不是真正的 Excel 表格，{_SAVE_AS}"
MSG_XML = f"这是 XML 格式的文件（如 Excel 2003 XML 表格），{_SAVE_AS}"
MSG_UTF16 = (
    "这是 UTF-16（Unicode 文本）编码的文件，请在 Excel/WPS 中另存为 .xlsx 或“CSV UTF-8”后上传"
)
MSG_DAMAGED_SHEET = "工作表“{}”已损坏，无法读取，" + _SAVE_AS  # .format(sheet name)


class WorkbookUnreadable(ValueError):
    """The upload can't be read as a table; str(exc) says (in Chinese) what it is and what to do."""


@dataclass(frozen=True)
class MergedRange:
    """A merged block of cells, 1-based and inclusive."""

    min_row: int
    min_col: int
    max_row: int
    max_col: int


@dataclass(eq=False, repr=False)
class SheetGrid:
    """One sheet: its layout facts up front, its rows streamed by `rows()`."""

    name: str
    kind: str  # "xlsx" | "xls" | "csv"
    merged: list[MergedRange] = field(default_factory=list)
    hidden_rows: frozenset[int] = frozenset()  # hidden by the user or by an autofilter
    estimated_rows: int = 0  # xlsx: the last row number; xls: nrows; csv: lines; 0: unknown
    state: str = "visible"  # the sheet tab itself: "visible" | "hidden" | "veryHidden"

    def rows(self) -> Iterator[tuple[int, Row]]:
        """(1-based row number, values) for each row the file has, in order; index 0 = A.

        Rows absent from the file are not yielded. Each call re-reads from the start.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} {self.name!r}>"


class Book:
    """The sheets of one upload. Use as a context manager or call `close()`."""

    encoding: str = ""  # csv: "UTF-8" | "UTF-8（带BOM）" | "GBK/GB18030"; else ""

    def __init__(self, kind: str, sheet_names: list[str]) -> None:
        self.kind = kind
        self.sheet_names = sheet_names

    def sheet(self, name: str) -> SheetGrid:
        """The named sheet (KeyError if there is none)."""
        raise NotImplementedError

    def close(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _trim(values: list[CellValue]) -> Row:
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return tuple(values) if end == len(values) else tuple(values[:end])


# ---------------------------------------------------------------------------- sniffing

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAMS = ("EncryptedPackage", "EncryptionInfo")  # an encrypted .xlsx in OLE2
_MAGIC: dict[str, tuple[bytes, ...]] = {
    MSG_PDF: (b"%PDF",),
    MSG_IMAGE: (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*"),
    MSG_ARCHIVE: (b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b"),
    MSG_UTF16: (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE),
}


def open_book(data: bytes, filename: str = "") -> Book:
    """Open an upload by what its bytes are; raise WorkbookUnreadable when it's no table."""
    if not isinstance(data, bytes):
        data = bytes(data)
    if not data or data.isspace():
        raise WorkbookUnreadable(MSG_EMPTY)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _open_zip(data)
    if data.startswith(_OLE2):
        if any(name.encode("utf-16-le") in data for name in _ENCRYPTION_STREAMS):
            raise WorkbookUnreadable(MSG_ENCRYPTED)
        return _XlsBook(data)
    for message, magics in _MAGIC.items():
        if data.startswith(magics):
            raise WorkbookUnreadable(message)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        raise WorkbookUnreadable(MSG_IMAGE)
    return _CsvBook(data, filename)


# A zip bomb: a few megabytes that unpack to gigabytes. Real workbooks of 100,000 rows
# unpack to some tens of megabytes, compressed 5 to 20 times.
MAX_RATIO = 100  # a member this many times its compressed size…
RATIO_FLOOR = 10 * 1024 * 1024  # …and larger than this is refused


def _check_sizes(zf: zipfile.ZipFile) -> None:
    """Refuse on the sizes the zip declares, before anything is unpacked (the zip reader
    never unpacks a member beyond its declared size)."""
    from django.conf import settings

    limit_mb = settings.SANPI_UPLOAD_MAX_UNPACKED_MB
    members = zf.infolist()
    total = sum(info.file_size for info in members)
    if total > limit_mb * 1024 * 1024:
        raise WorkbookUnreadable(
            f"文件解压后有{total / 1024 / 1024:,.1f}MB，超过{limit_mb:,}MB的上限，"
            "不是正常的表格，未导入：请检查文件，或拆分后分别导入"
        )
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise WorkbookUnreadable(
                f"文件中“{info.filename[:60]}”的压缩比异常（{ratio:,.0f}倍），"
                "可能是恶意构造的文件，未导入"
            )


def _open_zip(data: bytes) -> Book:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _check_sizes(zf)
            names = {n.lower() for n in zf.namelist()}
            mimetype = zf.read("mimetype")[:200] if "mimetype" in names else b""
    except WorkbookUnreadable:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, CRC errors, truncated data...
        raise WorkbookUnreadable(MSG_BAD_XLSX) from exc
    if b"opendocument.spreadsheet" in mimetype:
        raise WorkbookUnreadable(MSG_ODS)
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise WorkbookUnreadable(MSG_ODF)
    if "xl/workbook.bin" in names:
        raise WorkbookUnreadable(MSG_XLSB)
    if any(n.startswith("xl/") for n in names):
        return _XlsxBook(data)
    if any(n.startswith("word/") for n in names):
        raise WorkbookUnreadable(MSG_WORD)
    if any(n.startswith("ppt/") for n in names):
        raise WorkbookUnreadable(MSG_PPT)
    raise WorkbookUnreadable(MSG_ARCHIVE)


# ---------------------------------------------------------------------------- .xlsx

# Built-in number formats that zh-CN (and ja/ko/zh-TW) Excel and WPS write for dates and
# times without defining them in styles.xml; openpyxl doesn't know them.
_EAST_ASIAN_DATE_IDS = frozenset(range(27, 37)) | frozenset(range(50, 59))
_CHUNK = 1 << 18
_ROW_NAME = re.compile(rb"row(?=[\s/>])")  # a literal first: the regex engine skips ahead fast
_MERGE_NAME = re.compile(rb"mergeCell(?=[\s/>])")
_NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_ATTR_R = re.compile(rb"""\sr\s*=\s*["']\s*(\d+)""")
_ATTR_HIDDEN = re.compile(rb"""\shidden\s*=\s*["']\s*(?:1|true)\s*["']""", re.IGNORECASE)
_ATTR_REF = re.compile(rb"""\sref\s*=\s*["']([^"']*)["']""")


def _date_styles(wb: Any) -> frozenset[int]:
    """Indexes of cell styles whose numbers are dates or times (not durations). Custom
    formats were renumbered to >= 164 on load, so ids 27-36 and 50-58 are built-ins."""
    cjk = {i for i, xf in enumerate(wb._cell_styles) if xf.numFmtId in _EAST_ASIAN_DATE_IDS}
    return frozenset((set(wb._date_formats) - set(wb._timedelta_formats)) | cjk)


def _start_tags(name: re.Pattern[bytes], buf: bytes, end: int) -> Iterator[bytes]:
    """The attribute text of each start tag <name ...> or <prefix:name ...> in buf[:end]."""
    for match in name.finditer(buf, 0, end):
        i = match.start() - 1
        if i >= 0 and buf[i] == 0x3A:  # ":" ends a namespace prefix
            i -= 1
            while i >= 0 and buf[i] in _NAME_BYTES:
                i -= 1
        if i >= 0 and buf[i] == 0x3C:  # "<"
            close = buf.find(b">", match.end(), end)
            if close >= 0:
                yield buf[match.end() - 1 : close]


def _prescan(src: IO[bytes]) -> tuple[list[MergedRange], set[int], int]:
    """Merged ranges, hidden rows and the last row number, from the raw sheet XML.

    Reads in chunks; the part after a chunk's last "<" (maybe a cut tag) is carried over
    to the next one. Markup can't hold a literal "<", so all before it is complete.
    """
    merged: list[MergedRange] = []
    hidden: set[int] = set()
    row = last = 0
    carry = b""
    while True:
        chunk = src.read(_CHUNK)
        buf = carry + chunk if carry else chunk
        cut = buf.rfind(b"<") if chunk else len(buf)
        if cut < 0:
            cut = len(buf)
        for attrs in _start_tags(_ROW_NAME, buf, cut):
            number = _ATTR_R.search(attrs)
            row = int(number.group(1)) if number else row + 1
            last = max(last, row)
            if _ATTR_HIDDEN.search(attrs):
                hidden.add(row)
        for attrs in _start_tags(_MERGE_NAME, buf, cut):
            ref = _ATTR_REF.search(attrs)
            try:
                min_col, min_row, max_col, max_row = range_boundaries(ref.group(1).decode())
            except (AttributeError, TypeError, ValueError, UnicodeDecodeError):
                continue  # no ref, or not an A1:C3 range
            if None not in (min_col, min_row, max_col, max_row):
                merged.append(MergedRange(min_row, min_col, max_row, max_col))
        carry = buf[cut:]
        if not chunk:
            return merged, hidden, last


def _xlsx_values(cells: list[dict[str, Any]]) -> Row:
    if not cells:
        return ()
    values: list[CellValue] = [None] * max(cell["column"] for cell in cells)
    for cell in cells:
        value = cell["value"]
        if value is None or value == "" or cell["data_type"] == "e":
            continue
        if type(value) is dt.date:  # t="d" cells holding a bare date
            value = dt.datetime.combine(value, dt.time())
        values[cell["column"] - 1] = value
    return _trim(values)


class _XlsxBook(Book):
    def __init__(self, data: bytes) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # bad XML in workbook/styles/strings, missing parts...
            raise WorkbookUnreadable(MSG_BAD_XLSX) from exc
        self._wb = wb
        self._sheets = {ws.title: ws for ws in wb.worksheets if isinstance(ws, ReadOnlyWorksheet)}
        self._dates = _date_styles(wb)
        self._grids: dict[str, _XlsxSheet] = {}
        super().__init__("xlsx", list(self._sheets))

    def sheet(self, name: str) -> SheetGrid:
        if name not in self._grids:
            self._grids[name] = _XlsxSheet(self._wb, self._sheets[name], self._dates)
        return self._grids[name]

    def close(self) -> None:
        self._wb.close()


class _XlsxSheet(SheetGrid):
    def __init__(self, wb: Any, ws: ReadOnlyWorksheet, dates: frozenset[int]) -> None:
        self._archive = wb._archive
        self._path: str = ws._worksheet_path
        self._strings = ws._shared_strings
        self._epoch = wb.epoch
        self._dates = dates
        try:
            with self._archive.open(self._path) as src:
                merged, hidden, last = _prescan(src)
        except Exception as exc:  # a broken zip member
            raise WorkbookUnreadable(MSG_DAMAGED_SHEET.format(ws.title)) from exc
        super().__init__(ws.title, "xlsx", merged, frozenset(hidden), last, ws.sheet_state)

    def rows(self) -> Iterator[tuple[int, Row]]:
        try:
            with self._archive.open(self._path) as src:
                parser = WorkSheetParser(
                    src, self._strings, data_only=True, epoch=self._epoch, date_formats=self._dates
                )
                for number, cells in parser.parse():
                    yield number, _xlsx_values(cells)
        except Exception as exc:  # XML syntax errors, bad shared string indexes, zlib...
            raise WorkbookUnreadable(MSG_DAMAGED_SHEET.format(self.name)) from exc


# ---------------------------------------------------------------------------- .xls


_XLS_STATES = {0: "visible", 1: "hidden", 2: "veryHidden"}


_OLE2_OTHERS = {MSG_WORD: "WordDocument", MSG_PPT: "PowerPoint Document"}  # stream names


def _ole2_message(data: bytes) -> str:
    found = (msg for msg, name in _OLE2_OTHERS.items() if name.encode("utf-16-le") in data)
    return next(found, MSG_BAD_XLS)


class _XlsBook(Book):
    """An OLE2 .xls (or WPS .et). `formatting_info=True` gives merged cells and hidden rows;
    a file it fails on (at open or when a sheet loads) is reopened without it, and then
    those two facts are empty."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._grids: dict[str, _XlsSheet] = {}
        self._book = self._open(formatting_info=True)
        super().__init__("xls", list(self._book.sheet_names()))

    def _open(self, formatting_info: bool) -> Any:
        self._formatting = formatting_info
        try:
            return xlrd.open_workbook(
                file_contents=self._data,
                formatting_info=formatting_info,
                on_demand=True,
                ragged_rows=True,
                ignore_workbook_corruption=True,
                logfile=io.StringIO(),  # xlrd's warnings go to stdout otherwise
            )
        except Exception as exc:
            if "encrypted" in str(exc).lower():  # BIFF FILEPASS: "Workbook is encrypted"
                raise WorkbookUnreadable(MSG_ENCRYPTED) from exc
            if formatting_info:
                return self._open(formatting_info=False)
            raise WorkbookUnreadable(_ole2_message(self._data)) from exc

    def sheet(self, name: str) -> SheetGrid:
        if name not in self._grids:
            if name not in self.sheet_names:
                raise KeyError(name)
            try:
                self._grids[name] = _XlsSheet(self._book.sheet_by_name(name), self._book.datemode)
            except Exception as exc:
                if not self._formatting:
                    raise WorkbookUnreadable(MSG_DAMAGED_SHEET.format(name)) from exc
                self._book.release_resources()
                self._book = self._open(formatting_info=False)
                return self.sheet(name)
        return self._grids[name]

    def close(self) -> None:
        self._book.release_resources()


def _xls_value(ctype: int, value: Any, datemode: int) -> CellValue:
    if ctype == xlrd.XL_CELL_TEXT:
        return value or None
    if ctype == xlrd.XL_CELL_NUMBER:
        return float(value)
    if ctype == xlrd.XL_CELL_DATE:
        try:
            moment = xlrd.xldate_as_datetime(value, datemode)
        except (ValueError, OverflowError):
            return float(value)
        return moment.time() if 0 <= value < 1 else moment
    if ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    return None  # empty, blank, error


class _XlsSheet(SheetGrid):
    def __init__(self, sheet: Any, datemode: int) -> None:
        self._sheet = sheet
        self._datemode = datemode
        # xlrd: (rlo, rhi, clo, chi), 0-based, half-open
        merged = [
            MergedRange(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in sheet.merged_cells
        ]
        hidden = frozenset(r + 1 for r, info in sheet.rowinfo_map.items() if info.hidden)
        state = _XLS_STATES.get(sheet.visibility, "visible")
        super().__init__(sheet.name, "xls", merged, hidden, sheet.nrows, state)

    def rows(self) -> Iterator[tuple[int, Row]]:
        sheet, datemode = self._sheet, self._datemode
        for r in range(sheet.nrows):
            types = sheet.row_types(r)
            if len(types):
                cells = zip(types, sheet.row_values(r), strict=True)
                yield r + 1, _trim([_xls_value(t, v, datemode) for t, v in cells])


# ---------------------------------------------------------------------------- .csv

_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HTML_STARTS = ("<!doctype html", "<html", "<table", "<meta", "<head", "<body", "mime-version:")


def _decode_text(data: bytes) -> tuple[str, str]:
    """The text and a label of its encoding: UTF-8 (with or without BOM), else GB18030."""
    if b"\x00" in data:
        raise WorkbookUnreadable(MSG_UNKNOWN)
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", "UTF-8（带BOM）")]
    else:
        candidates = [("utf-8", "UTF-8"), ("gb18030", "GBK/GB18030")]
    for codec, label in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        sample = text[:65536]
        if len(_CONTROL.findall(sample)) > len(sample) // 100:
            break  # decodes, but it's binary
        return text, label
    raise WorkbookUnreadable(MSG_UNKNOWN)


def _lines(text: str) -> Iterator[str]:
    """Lines with their endings, without building a list of them."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _delimiter(text: str) -> str:
    """Comma, unless the first non-blank line has none but has a tab (or a semicolon)."""
    first = next((line for line in _lines(text) if line.strip()), "")
    return next((d for d in ",\t;" if d in first), ",")


class _CsvBook(Book):
    def __init__(self, data: bytes, filename: str) -> None:
        text, self.encoding = _decode_text(data)
        if not text or text.isspace():
            raise WorkbookUnreadable(MSG_EMPTY)
        head = text[:4096].lstrip().lower()
        if head.startswith(_HTML_STARTS):
            raise WorkbookUnreadable(MSG_HTML)
        if head.startswith("<?xml"):
            raise WorkbookUnreadable(MSG_HTML if "<html" in head else MSG_XML)
        if "\n" not in text and "\r" in text:  # old Mac line endings
            text = text.replace("\r", "\n")
        name = PureWindowsPath(filename).stem or "CSV"
        self._grid = _CsvSheet(name, text, _delimiter(text))
        super().__init__("csv", [name])

    def sheet(self, name: str) -> SheetGrid:
        if name != self._grid.name:
            raise KeyError(name)
        return self._grid


class _CsvSheet(SheetGrid):
    def __init__(self, name: str, text: str, delimiter: str) -> None:
        self._text = text
        self.delimiter = delimiter
        estimate = text.count("\n") + (not text.endswith("\n"))
        super().__init__(name, "csv", estimated_rows=estimate)

    def rows(self) -> Iterator[tuple[int, Row]]:
        """Row n is the n-th record (as Excel numbers them), a quoted newline or not."""
        number = 0
        records = csv.reader(_lines(self._text), delimiter=self.delimiter)
        try:
            for number, record in enumerate(records, 1):
                if record:  # a blank line: no row, but it still counts
                    yield number, _trim([value or None for value in record])
        except csv.Error as exc:
            message = f"CSV 文件第 {number + 1} 行格式有误（{exc}），{_SAVE_AS}"
            raise WorkbookUnreadable(message) from exc
