"""One spreadsheet cell → the value the clerk meant, or a refusal that says how to fix it.

Pure (stdlib only). Cells arrive as openpyxl/xlrd/csv hand them over: None, str, int, float,
bool, datetime, date, time, Decimal. Never return a value other than the one meant: what is
clear is accepted (`Noted` says what was normalised, for the import preview); what is
ambiguous raises `CellValueError` quoting what was read and saying what to write instead.
The common cases (int, float, plain ASCII number, date) are checked first: this runs per cell.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext


class CellValueError(ValueError):
    """A cell that can't be used; str(exc) is the Chinese reason shown to the clerk."""


@dataclass(frozen=True, slots=True)
class Noted:
    """A parsed value plus a short Chinese note saying what was normalised."""

    value: object
    note: str


def unwrap(out: object) -> object:
    """The value of a parser's result (a `Noted` or the bare value)."""
    return out.value if out.__class__ is Noted else out


YES, NO = "是", "否"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
EMPTY = "不能为空"
EXAMPLE_DATE = "2021-05-06"
MIN_YEAR, MAX_YEAR = 1900, 2100

# Every Unicode space (the largest is U+3000) plus the invisible ones str.strip() keeps.
_SPACES = (
    "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\u200b\u200c\u200d\u2060\ufeff"
)
_DROP_SPACES = dict.fromkeys(map(ord, _SPACES))
# Full-width ASCII → ASCII only: NFKC would also turn "²" or "①" into digits.
_HALF = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}

EMPTY_MARKERS: frozenset[str] = frozenset(
    {"", "-", "--", "---", "－", "—", "——", "–", "―", "/", "／", "\\", "＼", "无", "暂无"}
)


def clean(value: str) -> str:
    """The text without any kind of whitespace (incl. zero-width) at either end."""
    return value.strip(_SPACES)


def is_empty(value: object) -> bool:
    """None, whitespace only, or a text clerks use for "nothing here" ("—", "/", "无"…)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    s = value.strip(_SPACES)
    if len(s) > 4:
        return False
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s).strip(_SPACES)
    return s in EMPTY_MARKERS


@functools.lru_cache(maxsize=65536)  # imports ask for the same names again and again
def match_key(value: str) -> str:
    """The key two spellings of one name share: NFKC, no whitespace at all, casefolded."""
    key = value.translate(_DROP_SPACES)
    if key.isascii():
        return key.lower()
    for _ in range(8):  # NFKC and casefold can feed each other; settles in a step or two
        new = unicodedata.normalize("NFKC", key).casefold().translate(_DROP_SPACES)
        if new == key:
            break
        key = new
    return key


def _half(s: str) -> str:
    return s if s.isascii() else s.translate(_HALF)


def _as_text(value: object) -> str:
    """What the cell shows, as text (for text columns and for messages)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip(_SPACES)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int) and abs(value) >= 10**30:
        return f"{Decimal(value):.6E}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        r = repr(value)  # Excel keeps (and shows) 15 significant digits:
        return format(value, ".15g") if len(Decimal(r).as_tuple().digits) > 15 else r
    if isinstance(value, Decimal) and _integral(value):
        return str(int(value)) if abs(value) < 10**15 else str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(" ", "seconds" if value.second else "minutes")
    if isinstance(value, dt.time):
        return value.isoformat("seconds" if value.second else "minutes")
    return str(value)


def _integral(x: int | float | Decimal) -> bool:
    if isinstance(x, int):
        return True
    if isinstance(x, Decimal):
        return x.is_finite() and x == x.to_integral_value()
    return x.is_integer()


def _kind(value: object) -> str | None:
    """The name of a cell type that is not what a number column wants."""
    if isinstance(value, bool):
        return f"逻辑值{'TRUE' if value else 'FALSE'}"
    if isinstance(value, dt.date):
        return "日期"
    if isinstance(value, dt.time):
        return "时间"
    return None


# --- text ----------------------------------------------------------------------------


def text(max_length: int | None = None) -> Callable[[object], str]:
    """Text as typed, trimmed; numbers and dates as the cell shows them."""

    def parse(value: object) -> str:
        if value.__class__ is str:
            out = value.strip(_SPACES)
        else:
            if isinstance(value, float) and not math.isfinite(value):
                raise CellValueError(f"“{value}”不是有效内容")
            if isinstance(value, float) and value.is_integer() and abs(value) >= 1e15:
                raise CellValueError(
                    f"数字“{value:.15g}”位数过多，Excel只保留15位有效数字，末尾已丢失"
                    "（如身份证号、统一社会信用代码），请把单元格设为文本格式后重新填写"
                )
            out = _as_text(value)
        if max_length is not None and len(out) > max_length:
            raise CellValueError(f"不能超过{max_length}个字符（实为{len(out)}个）")
        return out

    return parse


# --- amounts -------------------------------------------------------------------------

_PLAIN_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?")
_THOUSANDS_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_NUM_UNIT_RE = re.compile(r"([+\-\u2212]?)([0-9.,]*[0-9][0-9.,]*)([^0-9]*|[A-Za-z]+2)")
_SPACED_NUM_RE = re.compile(r"[0-9.,]\s+[0-9.,]")
_SCI_RE = re.compile(r"[+\-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+\-]?[0-9]+")
_APPROX_RE = re.compile(r"约|左右|多|余|以上|以下|上下|不到|不足|大概|近|超过|逾")
_NOT_A_NUMBER = (  # why a text is not a number, in the order they are checked
    (re.compile(r"[%‰]"), "是百分数，本列应填数值"),
    (_APPROX_RE, "不是确切数字，请填写确切数值"),
    (
        re.compile(r"^[0-9]{4}(?:[-/.][0-9]{1,2}[-/.]|年[0-9]{1,2}月)[0-9]{1,2}日?$"),
        "是日期，本列应填数值",
    ),
    (re.compile(r"[0-9][-~～〜—–至到][0-9]"), "是一个范围，请只填写一个确切数值"),
    (re.compile(r"^[¥￥$€£]"), "带有货币符号，请只填写数值"),
)
# unit → (quantity, size in a base unit of that quantity)
_MONEY = {"元": 1, "千元": 10**3, "万": 10**4, "万元": 10**4, "百万元": 10**6, "亿": 10**8}
_AREA = {"亩": 1, "万亩": 10**4, "公顷": 15, "平方公里": 1500, "平方千米": 1500, "km2": 1500}
_SQM = ("平方米", "平米", "㎡", "m2", "m²")  # 1 m² = 0.0015 亩 exactly
_UNITS: dict[str, tuple[str, Decimal]] = {
    **{u: ("money", Decimal(f)) for u, f in (_MONEY | {"亿元": 10**8}).items()},
    **{u: ("area", Decimal(f)) for u, f in _AREA.items()},
    **dict.fromkeys(_SQM, ("area", Decimal("0.0015"))),
}


def _plain(d: Decimal) -> str:
    """A Decimal as a clerk would type it: no exponent, no trailing zeros."""
    return format(d.normalize(), "f") if d else "0"


def amount(*, unit: str = "", max_digits: int = 16) -> Callable[[object], Decimal | Noted]:
    """A non-negative amount in the column's ``unit`` with at most two decimals, exact."""
    if not 3 <= max_digits <= 28:
        raise ValueError("max_digits must be between 3 and 28")
    limit = 10 ** (max_digits - 2)
    too_big = f"数值过大（应小于{limit:,}）"
    hint = f"（单位：{unit}）" if unit else ""
    own = {unit, "万"} if unit == "万元" else {unit}

    def finish(d: Decimal, value: object, notes: list[str]) -> Decimal | Noted:
        if d >= limit:
            raise CellValueError(too_big)
        q = d.quantize(CENT)
        if q != d:
            raise CellValueError(f"最多保留两位小数（实为{_as_text(value)}）")
        q = q or ZERO  # no "-0.00"
        return Noted(q, "；".join(notes)) if notes else q

    def from_float(f: float) -> Decimal | Noted:
        if not math.isfinite(f):
            raise CellValueError(f"“{f}”不是数字")
        if f < 0:
            raise CellValueError("不能为负数")
        if f >= limit:
            raise CellValueError(too_big)
        r = repr(f)  # the shortest text that round-trips: what was typed
        d = Decimal(r)
        q = d.quantize(CENT)
        if q == d:
            return q or ZERO
        # Arithmetic residue (0.1+0.2) needs 15+ significant digits; a typed 0.0001 doesn't.
        if abs(d - q) <= Decimal("1e-6") and len(d.as_tuple().digits) >= 15:
            return Noted(q or ZERO, "Excel计算误差已舍入到两位小数")
        raise CellValueError(f"最多保留两位小数（实为{r}）")

    def not_a_number(s: str, t: str) -> CellValueError:
        for regex, why in _NOT_A_NUMBER:
            if regex.search(t):
                return CellValueError(f"“{s}”{why}{hint}")
        return CellValueError(f"“{s}”不是数字")

    def comma_error(s: str, num: str) -> CellValueError:
        plain = num.replace(",", "")
        head = f"“{s}”含义不明"
        if num.count(",") == 1 and "." not in num and num[0] != "," and num[-1] != ",":
            a, b = num.split(",")
            other = _plain(Decimal(plain))
            if len(b) <= 2:
                return CellValueError(f"{head}（是{a}.{b}还是{other}？），请写成 {a}.{b}")
            return CellValueError(f"{head}（是{a}.{b}还是{other}？），请去掉逗号或改用小数点")
        if _NUMBER_RE.fullmatch(plain):
            return CellValueError(
                f"{head}（逗号不是标准的千分位写法），若指{plain}，请写成 {plain}"
            )
        return CellValueError(f"{head}，请去掉逗号，只用小数点")

    def unit_error(d: Decimal, suffix: str, s: str) -> CellValueError:
        known = _UNITS.get(suffix)
        if known is None:
            return not_a_number(s, suffix)
        if not unit:
            return CellValueError(f"“{s}”带有单位“{suffix}”，本列只填数字")
        head = f"单位是{suffix}，本列单位为{unit}"
        col = _UNITS.get(unit)
        if col is None or col[0] != known[0]:
            return CellValueError(f"{head}，请填写以{unit}为单位的数值")
        with localcontext() as ctx:
            ctx.prec = 60
            try:
                x = d * known[1] / col[1]
                exact = x == x.quantize(CENT)
            except InvalidOperation:
                exact = False
        if exact:
            return CellValueError(f"{head}，请换算后填写 {_plain(x)}")
        return CellValueError(f"{head}，请换算为{unit}后填写（最多保留两位小数）")

    def from_text(s: str) -> Decimal | Noted:
        notes: list[str] = []
        t = _half(s)
        if t != s:
            digits = any("０" <= c <= "９" for c in s)
            notes.append("全角数字转为半角" if digits else "全角符号转为半角")
        if _SPACED_NUM_RE.search(t):
            joined = t.translate(_DROP_SPACES)
            raise CellValueError(f"“{s}”数字中间有空格，含义不明，若指{joined}，请写成 {joined}")
        t = t.translate(_DROP_SPACES)
        if _SCI_RE.fullmatch(t):
            d = Decimal(t)
            fix = f" {_plain(d)}" if abs(d.adjusted()) < 20 else "不带E的普通数字"
            raise CellValueError(f"“{s}”是科学计数法，请写成{fix}")
        m = _NUM_UNIT_RE.fullmatch(t)
        if m is None:
            raise not_a_number(s, t)
        sign, num, suffix = m.groups()
        if suffix and ("%" in suffix or "‰" in suffix or _APPROX_RE.search(suffix)):
            raise not_a_number(s, t)
        if "," in num:
            if not _THOUSANDS_RE.fullmatch(num):
                raise comma_error(s, num)
            num = num.replace(",", "")
            notes.append("去掉千分位分隔符")
        if num.count(".") > 1:
            fix = num.replace(".", "")
            raise CellValueError(f"“{s}”有多个小数点，不是有效数字（若指{fix}，请写成 {fix}）")
        d = Decimal(num)
        if sign == "+":
            notes.append("去掉“+”号")
        elif sign and d:
            raise CellValueError("不能为负数")
        if suffix:
            if suffix not in own:
                raise unit_error(d, suffix, s)
            notes.append(f"去掉单位“{suffix}”")
        return finish(d, s, notes)

    def parse(value: object) -> Decimal | Noted:
        if value.__class__ is float:
            return from_float(value)
        if value.__class__ is int and 0 <= value < limit:
            return Decimal(value).quantize(CENT)
        if isinstance(value, str):
            s = value.strip(_SPACES)
            if _PLAIN_RE.fullmatch(s):
                return finish(Decimal(s), s, [])
            if not s:
                raise CellValueError(EMPTY)
            return from_text(s)
        if kind := _kind(value):
            raise CellValueError(f"应为数字，实为{kind}")
        if isinstance(value, float):
            return from_float(float(value))
        if not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
            raise CellValueError(EMPTY if value is None else f"“{_as_text(value)}”不是数字")
        if value < 0:
            raise CellValueError("不能为负数")
        return finish(Decimal(value), value, [])

    return parse


_MINUS = ("-", "－", "−")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def signed_amount(*, unit: str = "", max_digits: int = 16) -> Callable[[object], Decimal | Noted]:
    """An amount that may be negative (an increase that turned out a decrease), read as
    `amount` reads the number after the minus sign."""
    positive = amount(unit=unit, max_digits=max_digits)

    def parse(value: object) -> Decimal | Noted:
        negative = False
        if isinstance(value, str):
            s = value.strip(_SPACES)
            if s[:1] in _MINUS and s[1:].strip(_SPACES):
                negative, value = True, s[1:].strip(_SPACES)
        elif _is_number(value) and value < 0:
            negative, value = True, -value
        out = positive(value)
        if not negative:
            return out
        if isinstance(out, Noted):
            return Noted(-out.value, out.note)
        return -out

    return parse


def percent(*, maximum: int = 100) -> Callable[[object], Decimal | Noted]:
    """A percentage as its number: 4.35 for 4.35% (“4.35”, “4.35%”, “４．３５％”). A number
    between 0 and 1 without a “%” is refused as ambiguous: it is what Excel stores for a
    cell formatted as a percentage (0.0435 shown as 4.35%), or a fraction typed for 4.35%,
    or a rate below 1%; the clerk says which (“0.5%” is read as 0.5)."""
    number = amount(max_digits=8)

    def parse(value: object) -> Decimal | Noted:
        notes = []
        if isinstance(value, str):
            s = _half(value.strip(_SPACES))
            if s.endswith("%"):
                value = s[:-1].strip()
                notes.append("去掉“%”")
        elif _is_number(value) and 0 < value < 1:
            raise CellValueError(
                f"“{_as_text(value)}”含义不明（是{_as_text(value)}%还是"
                f"{_plain(Decimal(repr(value)) * 100)}%？），请填写百分数的数值，如 4.35"
            )
        out = number(value)
        d = unwrap(out)
        if not notes and 0 < d < 1:  # typed without “%”: a fraction or a tiny percentage?
            raise CellValueError(
                f"“{_plain(d)}”含义不明（是{_plain(d)}%还是{_plain(d * 100)}%？），"
                f"请填写百分数的数值，如 4.35，或写明“{_plain(d)}%”"
            )
        if d > maximum:
            raise CellValueError(f"百分数不能超过{maximum}（实为{_plain(d)}）")
        if isinstance(out, Noted):
            notes.append(out.note)
        return Noted(d, "；".join(notes)) if notes else d

    return parse


# --- integers ------------------------------------------------------------------------

_INT_RE = re.compile(r"([+\-]?[0-9]{1,20})(?:\.0*)?")


def integer(minimum: int, maximum: int) -> Callable[[object], int]:
    """A whole number in [minimum, maximum]."""

    def parse(value: object) -> int:
        if value.__class__ is int:
            n = value
        elif isinstance(value, str):
            s = value.strip(_SPACES)
            m = _INT_RE.fullmatch(_half(s).translate(_DROP_SPACES))
            if m is None:
                raise CellValueError(f"“{s}”不是整数" if s else EMPTY)
            n = int(m.group(1))
        elif kind := _kind(value):
            raise CellValueError(f"应为整数，实为{kind}")
        elif isinstance(value, int | float | Decimal):
            shown = _as_text(value)
            if not _integral(value):
                raise CellValueError(f"“{shown}”不是整数")
            if abs(value) > 10**18:
                raise CellValueError(f"应在{minimum}到{maximum}之间，实为{shown}")
            n = int(value)
        else:
            raise CellValueError(EMPTY if value is None else f"“{value}”不是整数")
        if not minimum <= n <= maximum:
            raise CellValueError(f"应在{minimum}到{maximum}之间，实为{_as_text(n)}")
        return n

    return parse


# --- dates ---------------------------------------------------------------------------

_ISO_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_RE = re.compile(
    r"(?:\s+|T|(?<=[日号]))([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,6})?)?\Z"
)
_YMD_RE = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_CN_RE = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})[日号]?")
_COMPACT_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_YM_RE = re.compile(r"([0-9]{4})(?:[-/.]|年)([0-9]{1,2})月?|([0-9]{4})([0-9]{2})")
_YY_RE = re.compile(
    r"[0-9]{2}([-/.])[0-9]{1,2}\1[0-9]{1,2}|[0-9]{2}年[0-9]{1,2}月[0-9]{1,2}[日号]?"
)
_DMY_RE = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4})")
_SERIAL_LIMIT = 73416  # Excel serial of 2101-01-01


def _valid(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def date(value: object) -> dt.date | Noted:
    """A calendar date: an Excel date, or text in one of the clear written forms."""
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise CellValueError(f"日期{day}的年份不在{MIN_YEAR}到{MAX_YEAR}之间，请核对")
        return day
    if isinstance(value, str):
        return _date_from_text(value)
    if isinstance(value, dt.time):
        raise CellValueError("只有时间，没有日期")
    if isinstance(value, bool):
        raise CellValueError(f"应为日期，实为逻辑值{'TRUE' if value else 'FALSE'}")
    if isinstance(value, int | float | Decimal):
        return _date_from_number(value)
    raise CellValueError(EMPTY if value is None else f"“{value}”不是日期")


def _date_from_number(x: int | float | Decimal) -> Noted:
    shown = _as_text(x)
    if not (x.is_finite() if isinstance(x, Decimal) else isinstance(x, int) or math.isfinite(x)):
        raise CellValueError(f"“{shown}”不是日期，请写成 {EXAMPLE_DATE} 这样的日期")
    if MIN_YEAR * 10**4 <= x < (MAX_YEAR + 1) * 10**4 and x == int(x):
        n = int(x)
        day = _valid(n // 10**4, n // 100 % 100, n % 100)
        if day is None:
            raise CellValueError(f"“{shown}”不是有效日期")
        return Noted(day, "按文字日期读取")
    # Not serial 60 (Excel's fake 1900-02-29), nor what looks like a year (2021.5: 1905-07-13).
    if 1 <= x < _SERIAL_LIMIT and not 60 <= x < 61 and not MIN_YEAR <= x < MAX_YEAR + 1:
        days = int(x)
        day = dt.date(1899, 12, 31 if days < 60 else 30) + dt.timedelta(days)
        raise CellValueError(
            f"“{shown}”是数字而不是日期（若指{day}，请把单元格设为日期格式，或写成 {day}）"
        )
    raise CellValueError(f"“{shown}”是数字而不是日期，请写成 {EXAMPLE_DATE} 这样的日期")


def _date_from_text(raw: str) -> dt.date | Noted:
    s = raw.strip(_SPACES)
    if _ISO_RE.fullmatch(s):
        return _text_date(s, int(s[:4]), int(s[5:7]), int(s[8:]), plain=True)
    if not s:
        raise CellValueError(EMPTY)
    t = _half(s)
    m = _TIME_RE.search(t)
    if m and int(m[1]) < 24 and int(m[2]) < 60 and int(m[3] or 0) < 60:
        t = t[: m.start()]
    t = t.translate(_DROP_SPACES)
    for regex in (_YMD_RE, _CN_RE, _COMPACT_RE):
        if m := regex.fullmatch(t):
            y, mo, d = (int(g) for g in m.group(1, m.lastindex - 1, m.lastindex))
            return _text_date(s, y, mo, d, plain=False)
    if (m := _YM_RE.fullmatch(t)) and 1 <= int(m[2] or m[4]) <= 12:
        first = f"{m[1] or m[3]}-{int(m[2] or m[4]):02d}-01"
        raise CellValueError(f"“{s}”只有年月，缺少日，请写成完整日期，如 {first}")
    if _YY_RE.fullmatch(t):
        raise CellValueError(f"“{s}”的年份只有两位，请写四位年份的完整日期，如 {EXAMPLE_DATE}")
    if m := _DMY_RE.fullmatch(t):
        a, b, y = int(m[1]), int(m[3]), int(m[4])
        readings = list(dict.fromkeys(r for r in (_valid(y, a, b), _valid(y, b, a)) if r))
        if len(readings) == 2:
            first, second = readings
            raise CellValueError(
                f"“{s}”含义不明（是{first}还是{second}？），请按 年-月-日 的顺序写成 YYYY-MM-DD"
            )
        if readings:
            raise CellValueError(f"“{s}”的顺序不对，请按 年-月-日 的顺序写成 {readings[0]}")
        raise CellValueError(f"“{s}”不是有效日期")
    raise CellValueError(f"“{s}”不是日期，请写成 {EXAMPLE_DATE} 这样的日期")


def _text_date(s: str, y: int, m: int, d: int, *, plain: bool) -> dt.date | Noted:
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise CellValueError(f"“{s}”的年份不在{MIN_YEAR}到{MAX_YEAR}之间，请核对")
    day = _valid(y, m, d)
    if day is None:
        raise CellValueError(f"“{s}”不是有效日期")
    return day if plain else Noted(day, "按文字日期读取")


# --- "三个一批" batches --------------------------------------------------------------

_BATCH_RE = re.compile(r"([0-9]{4})[-/.\u2010-\u2015\u2212]([0-9]{1,2})")
_BATCH_CN_RE = re.compile(
    r"([0-9]{4})(?:年度?第?|第)([0-9]{1,2}|[一二三四五六七八九十]{1,3})[次批期]"
)
_CN_NUM_RE = re.compile(r"([一二三四五六七八九])?(十)?([一二三四五六七八九])?")
_CN_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", start=1)}
_BATCH_FLOAT_RE = re.compile(r"([0-9]{4})\.([0-9]{1,2})")


def _batch_error(s: str) -> CellValueError:
    return CellValueError(f"“{s}”格式不对，应为 年度-批次，如 2021-4（2021年第4次活动）")


def _cn_number(s: str) -> int:
    if s.isascii():
        return int(s)
    m = _CN_NUM_RE.fullmatch(s)
    if m is None or not (m[2] or (m[1] and not m[3])):
        return 0
    if m[2]:
        return _CN_DIGITS.get(m[1], 1) * 10 + _CN_DIGITS.get(m[3], 0)
    return _CN_DIGITS[m[1]]


def batch(value: object) -> tuple[int, int] | Noted:
    """A "三个一批" activity key (year, sequence number 1..99), written 2021-4."""
    if isinstance(value, str):
        s = value.strip(_SPACES)
        if not s:
            raise CellValueError(EMPTY)
        t = _half(s).translate(_DROP_SPACES)
        m = _BATCH_RE.fullmatch(t) or _BATCH_CN_RE.fullmatch(t)
        if m is None:
            raise _batch_error(s)
        year, n = int(m[1]), _cn_number(m[2])
        if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= n <= 99):
            raise _batch_error(s)
        if s == f"{year}-{n}":
            return (year, n)
        return Noted((year, n), f"按“{s}”读取为{year}-{n}")
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        midnight = not isinstance(value, dt.datetime) or value.time() == dt.time()
        if day.day == 1 and midnight and MIN_YEAR <= day.year <= MAX_YEAR:
            key = f"{day.year}-{day.month}"
            return Noted((day.year, day.month), f"批次被Excel存成了日期{day}，按{key}读取")
        raise CellValueError(
            f"单元格是日期{_as_text(value)}，不是批次，请把单元格设为文本格式，"
            "写成 年度-批次，如 2021-4（2021年第4次活动）"
        )
    if isinstance(value, float | Decimal):
        shown = _as_text(value)
        m = _BATCH_FLOAT_RE.fullmatch(shown)
        if m and MIN_YEAR <= int(m[1]) <= MAX_YEAR:
            key = f"{m[1]}-{int(m[2])}"
            tail = f"（若指第{int(m[2]) * 10}次，请写成 {m[1]}-{int(m[2]) * 10}）"
            raise CellValueError(f"是数字{shown}，请写成文字 {key}" + tail * (len(m[2]) == 1))
    if value is None:
        raise CellValueError(EMPTY)
    raise _batch_error(_as_text(value))


# --- yes/no and vocabularies ---------------------------------------------------------


def yes_no(value: object) -> bool | Noted:
    """是 → True, 否 → False; Excel's TRUE/FALSE are read the same way (with a note)."""
    if value is True or value is False:
        label = "TRUE" if value else "FALSE"
        return Noted(value, f"逻辑值{label}读作“{YES if value else NO}”")
    s = _as_text(value)
    if s == YES:
        return True
    if s == NO:
        return False
    raise CellValueError(f"应填“{YES}”或“{NO}”，实为“{s}”" if s else EMPTY)


def choice(
    mapping: dict[str, str], what: str = "", *, aliases: dict[str, str] | None = None
) -> Callable[[object], str | Noted]:
    """A value from a vocabulary given by its label ({label: stored value}); returns the
    stored value. Labels match by `match_key`; ``aliases`` name other labels for one."""
    index: dict[str, str] = {}
    for label in [*mapping, *(aliases or {})]:
        key = match_key(label)
        canonical = label if label in mapping else (aliases or {})[label]
        if canonical not in mapping:
            raise ValueError(f"alias {label!r} names unknown label {canonical!r}")
        if index.setdefault(key, canonical) != canonical:
            raise ValueError(f"labels {label!r} and {index[key]!r} share a key")
    labels = "、".join(mapping)
    noun = what or "选项"

    def parse(value: object) -> str | Noted:
        s = _as_text(value)
        if s in mapping:
            return mapping[s]
        label = index.get(match_key(s))
        if label is None:
            raise CellValueError(f"“{s}”不是有效的{noun}（可选：{labels}）" if s else EMPTY)
        return Noted(mapping[label], f"“{s}”读作“{label}”")

    return parse
