"""sanpi.core.cells: what a clerk types → the value meant, or a refusal with the fix.

Tables of accepted forms (exact value and exact note) and refused forms (exact message),
then property-based tests. No database, no Django.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanpi.core import cells
from sanpi.core.cells import CellValueError, Noted

WAN = cells.amount(unit="万元")
MU = cells.amount(unit="亩")
PLAIN = cells.amount()
SMALL = cells.amount(max_digits=5)
INDUSTRY = {"新基建": "new_infra", "新技术": "new_tech", "新材料": "new_material"}
CHOICE = cells.choice(INDUSTRY, "产业类别", aliases={"基础设施": "新基建"})
ONE_TO_99 = cells.integer(1, 99)

FULL = {c: c + 0xFEE0 for c in range(0x21, 0x7F)} | {0x20: 0x3000}


def fullwidth(s: str) -> str:
    return s.translate(FULL)


def refusal(parse, value) -> str:
    with pytest.raises(CellValueError) as info:
        parse(value)
    return str(info.value)


def same(out, expected) -> None:
    """Equal, of the same shape (Noted or bare), Decimals with the same exponent."""
    assert out == expected
    assert type(out) is type(expected)
    if isinstance(cells.unwrap(expected), D):
        assert str(cells.unwrap(out)) == str(cells.unwrap(expected))


# --- helpers --------------------------------------------------------------------------


def test_noted_and_unwrap():
    noted = Noted(D("1.00"), "去掉千分位分隔符")
    assert cells.unwrap(noted) == D("1.00")
    assert cells.unwrap(D("1.00")) == D("1.00")
    assert cells.unwrap(None) is None
    with pytest.raises(AttributeError):
        noted.note = "x"  # frozen
    assert issubclass(CellValueError, ValueError)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc", "abc"),
        ("  abc  ", "abc"),
        ("\u3000项目\u3000", "项目"),
        ("\xa0项目\t\n", "项目"),
        ("\u200b\ufeff项目\u200b", "项目"),
        ("新 材料", "新 材料"),
        ("新\u3000材料\n", "新\u3000材料"),
        ("\u3000\xa0\u200b", ""),
        ("", ""),
    ],
)
def test_clean(raw, expected):
    assert cells.clean(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("新材料", "新 材料"),
        ("新材料", "新\u3000材料\xa0"),
        ("新材料", "\u200b新材料"),
        ("总投资(万元)", "总投资（万元）"),
        ("总投资(万元)", "总 投 资\n（万元）"),
        ("ABC公司", "ａｂｃ公司"),
        ("ABC", "abc"),
        ("Straße", "STRASSE"),
    ],
)
def test_match_key_equal(a, b):
    assert cells.match_key(a) == cells.match_key(b)


@pytest.mark.parametrize(("a", "b"), [("新材料", "新技术"), ("总投资(万元)", "总投资(亿元)")])
def test_match_key_different(a, b):
    assert cells.match_key(a) != cells.match_key(b)


def test_match_key_value():
    assert cells.match_key(" 总投资（万元）\u3000") == "总投资(万元)"
    assert cells.match_key("Ａ Ｂ") == "ab"


@pytest.mark.parametrize(
    "value",
    [None, "", "  ", "\u3000", "\xa0\u200b", "-", "--", "—", "——", "－", "/", "／", "\\", "无"]
    + ["\u3000—\xa0", " 无 ", "暂无", "＼", "–"],
)
def test_is_empty(value):
    assert cells.is_empty(value)


@pytest.mark.parametrize(
    "value", [0, 0.0, False, "0", "x", "无锡", "-5", "N/A", dt.date(2021, 1, 1)]
)
def test_is_not_empty(value):
    assert not cells.is_empty(value)


def test_empty_markers():
    assert {"", "—", "——", "-", "--", "－", "/", "／", "无", "\\"} <= cells.EMPTY_MARKERS
    assert "0" not in cells.EMPTY_MARKERS


# --- text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  某某项目\u3000", "某某项目"),
        ("某\n某", "某\n某"),
        (123, "123"),
        (123.0, "123"),
        (-0.0, "0"),
        (1.5, "1.5"),
        (0.1 + 0.2, "0.3"),
        (13812345678.0, "13812345678"),
        (D("12.50"), "12.50"),
        (D("7"), "7"),
        (dt.datetime(2021, 5, 6), "2021-05-06"),
        (dt.datetime(2021, 5, 6, 9, 30), "2021-05-06 09:30"),
        (dt.datetime(2021, 5, 6, 9, 30, 15), "2021-05-06 09:30:15"),
        (dt.date(2021, 5, 6), "2021-05-06"),
        (dt.time(9, 30), "09:30"),
        (True, "TRUE"),
        (None, ""),
    ],
)
def test_text_accepts(value, expected):
    assert cells.text()(value) == expected


def test_text_length():
    assert cells.text(3)(" 一二三 ") == "一二三"
    assert refusal(cells.text(200), "字" * 213) == "不能超过200个字符（实为213个）"
    assert refusal(cells.text(3), 12345) == "不能超过3个字符（实为5个）"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "“nan”不是有效内容"),
        (float("inf"), "“inf”不是有效内容"),
        (
            110101199001011000.0,
            "数字“1.10101199001011e+17”位数过多，Excel只保留15位有效数字，末尾已丢失"
            "（如身份证号、统一社会信用代码），请把单元格设为文本格式后重新填写",
        ),
    ],
)
def test_text_refuses(value, message):
    assert refusal(cells.text(), value) == message


# --- amounts --------------------------------------------------------------------------

RESIDUE = "Excel计算误差已舍入到两位小数"


@pytest.mark.parametrize(
    ("parse", "value", "expected"),
    [
        (WAN, 5400, D("5400.00")),
        (WAN, 0, D("0.00")),
        (WAN, D("12.3"), D("12.30")),
        (WAN, D("5.000"), D("5.00")),
        (WAN, 5400.0, D("5400.00")),
        (WAN, 12.34, D("12.34")),
        (WAN, 0.01, D("0.01")),
        (WAN, -0.0, D("0.00")),
        (WAN, 99999999999999.98, D("99999999999999.98")),
        (WAN, 3.3000000000000003, Noted(D("3.30"), RESIDUE)),
        (WAN, 0.1 + 0.2, Noted(D("0.30"), RESIDUE)),
        (WAN, 0.7 + 0.1, Noted(D("0.80"), RESIDUE)),
        (WAN, 5400 * 1.1, Noted(D("5940.00"), RESIDUE)),
        (WAN, "5400", D("5400.00")),
        (WAN, "5400.5", D("5400.50")),
        (WAN, "  5400.00\u3000", D("5400.00")),
        (WAN, "\xa05400\u200b", D("5400.00")),
        (WAN, "0005400", D("5400.00")),
        (WAN, "5400.", D("5400.00")),
        (WAN, ".5", D("0.50")),
        (WAN, "5400.000", D("5400.00")),
        (WAN, "-0", D("0.00")),
        (WAN, "５４００．００", Noted(D("5400.00"), "全角数字转为半角")),
        (WAN, "1,234.56", Noted(D("1234.56"), "去掉千分位分隔符")),
        (WAN, "12,345", Noted(D("12345.00"), "去掉千分位分隔符")),
        (WAN, "1,234,567", Noted(D("1234567.00"), "去掉千分位分隔符")),
        (WAN, "1，234", Noted(D("1234.00"), "全角符号转为半角；去掉千分位分隔符")),
        (WAN, "5400万元", Noted(D("5400.00"), "去掉单位“万元”")),
        (WAN, "5400 万元", Noted(D("5400.00"), "去掉单位“万元”")),
        (WAN, "5400\u3000万元", Noted(D("5400.00"), "去掉单位“万元”")),
        (WAN, "5400万", Noted(D("5400.00"), "去掉单位“万”")),
        (WAN, "+5", Noted(D("5.00"), "去掉“+”号")),
        (
            WAN,
            "１，２３４．５万元",
            Noted(D("1234.50"), "全角数字转为半角；去掉千分位分隔符；去掉单位“万元”"),
        ),
        (MU, "12.5亩", Noted(D("12.50"), "去掉单位“亩”")),
        (MU, 12.5, D("12.50")),
        (PLAIN, "7", D("7.00")),
        (SMALL, 999.99, D("999.99")),
    ],
)
def test_amount_accepts(parse, value, expected):
    same(parse(value), expected)


TOO_BIG = "数值过大（应小于100,000,000,000,000）"


@pytest.mark.parametrize(
    ("parse", "value", "message"),
    [
        # numbers that are not two-decimal amounts
        (WAN, 3.14159, "最多保留两位小数（实为3.14159）"),
        (WAN, 1e-07, "最多保留两位小数（实为1e-07）"),
        (WAN, 5400.001, "最多保留两位小数（实为5400.001）"),
        (WAN, 1234567890123.4502, "最多保留两位小数（实为1234567890123.4502）"),
        (WAN, "3.14159", "最多保留两位小数（实为3.14159）"),
        (WAN, "3.141", "最多保留两位小数（实为3.141）"),
        (WAN, D("5.001"), "最多保留两位小数（实为5.001）"),
        (WAN, -5, "不能为负数"),
        (WAN, -0.5, "不能为负数"),
        (WAN, "-5", "不能为负数"),
        (WAN, "－5", "不能为负数"),
        (WAN, "−5", "不能为负数"),
        (WAN, "-1.2亿元", "不能为负数"),
        (WAN, D("-1"), "不能为负数"),
        (WAN, 10**14, TOO_BIG),
        (WAN, 1e14, TOO_BIG),
        (WAN, "100000000000000", TOO_BIG),
        (WAN, "100,000,000,000,000", TOO_BIG),
        (SMALL, 1000, "数值过大（应小于1,000）"),
        (WAN, float("nan"), "“nan”不是数字"),
        (WAN, float("inf"), "“inf”不是数字"),
        (WAN, D("NaN"), "“NaN”不是数字"),
        # other kinds of cell
        (WAN, True, "应为数字，实为逻辑值TRUE"),
        (WAN, False, "应为数字，实为逻辑值FALSE"),
        (WAN, dt.date(2021, 5, 6), "应为数字，实为日期"),
        (WAN, dt.datetime(2021, 5, 6), "应为数字，实为日期"),
        (WAN, dt.time(9, 30), "应为数字，实为时间"),
        (WAN, None, "不能为空"),
        (WAN, "  ", "不能为空"),
        # other units: never converted silently
        (WAN, "1.2亿元", "单位是亿元，本列单位为万元，请换算后填写 12000"),
        (WAN, "1.2亿", "单位是亿，本列单位为万元，请换算后填写 12000"),
        (WAN, "54000000元", "单位是元，本列单位为万元，请换算后填写 5400"),
        (WAN, "54,000,000元", "单位是元，本列单位为万元，请换算后填写 5400"),
        (WAN, "123元", "单位是元，本列单位为万元，请换算为万元后填写（最多保留两位小数）"),
        (WAN, "5000千元", "单位是千元，本列单位为万元，请换算后填写 500"),
        (WAN, "12亩", "单位是亩，本列单位为万元，请填写以万元为单位的数值"),
        (MU, "1公顷", "单位是公顷，本列单位为亩，请换算后填写 15"),
        (MU, "100平方米", "单位是平方米，本列单位为亩，请换算后填写 0.15"),
        (MU, "100m2", "单位是m2，本列单位为亩，请换算后填写 0.15"),
        (MU, "1㎡", "单位是㎡，本列单位为亩，请换算为亩后填写（最多保留两位小数）"),
        (MU, "5400万元", "单位是万元，本列单位为亩，请填写以亩为单位的数值"),
        (MU, "12万", "单位是万，本列单位为亩，请填写以亩为单位的数值"),
        (PLAIN, "5400万元", "“5400万元”带有单位“万元”，本列只填数字"),
        (WAN, "500美元", "“500美元”不是数字"),
        # not exact numbers
        (WAN, "50%", "“50%”是百分数，本列应填数值（单位：万元）"),
        (WAN, "50％", "“50％”是百分数，本列应填数值（单位：万元）"),
        (PLAIN, "5‰", "“5‰”是百分数，本列应填数值"),
        (WAN, "1.2E+3", "“1.2E+3”是科学计数法，请写成 1200"),
        (WAN, "1.2e3", "“1.2e3”是科学计数法，请写成 1200"),
        (WAN, "5E-1", "“5E-1”是科学计数法，请写成 0.5"),
        (WAN, "1e99", "“1e99”是科学计数法，请写成不带E的普通数字"),
        (WAN, "约500", "“约500”不是确切数字，请填写确切数值（单位：万元）"),
        (WAN, "500左右", "“500左右”不是确切数字，请填写确切数值（单位：万元）"),
        (WAN, "500多万元", "“500多万元”不是确切数字，请填写确切数值（单位：万元）"),
        (WAN, "500余", "“500余”不是确切数字，请填写确切数值（单位：万元）"),
        (WAN, "500-600", "“500-600”是一个范围，请只填写一个确切数值（单位：万元）"),
        (WAN, "500~600", "“500~600”是一个范围，请只填写一个确切数值（单位：万元）"),
        (WAN, "500至600万元", "“500至600万元”是一个范围，请只填写一个确切数值（单位：万元）"),
        (WAN, "2021-05-06", "“2021-05-06”是日期，本列应填数值（单位：万元）"),
        (WAN, "￥5400", "“￥5400”带有货币符号，请只填写数值（单位：万元）"),
        (WAN, "三千", "“三千”不是数字"),
        (WAN, "abc", "“abc”不是数字"),
        (WAN, "—", "“—”不是数字"),
        (WAN, "nan", "“nan”不是数字"),
        (WAN, "Infinity", "“Infinity”不是数字"),
        (WAN, "5400。00", "“5400。00”不是数字"),
        (WAN, "5400²", "“5400²”不是数字"),
        (WAN, "①", "“①”不是数字"),
        (WAN, "٥٤٠٠", "“٥٤٠٠”不是数字"),
        (WAN, "--5", "“--5”不是数字"),
        # spaces and commas that could mean two things
        (WAN, "1 234", "“1 234”数字中间有空格，含义不明，若指1234，请写成 1234"),
        (WAN, "1\xa0234", "“1\xa0234”数字中间有空格，含义不明，若指1234，请写成 1234"),
        (WAN, "1, 234", "“1, 234”数字中间有空格，含义不明，若指1,234，请写成 1,234"),
        (WAN, "12,5", "“12,5”含义不明（是12.5还是125？），请写成 12.5"),
        (WAN, "12,50", "“12,50”含义不明（是12.50还是1250？），请写成 12.50"),
        (WAN, "12，5", "“12，5”含义不明（是12.5还是125？），请写成 12.5"),
        (
            WAN,
            "12,3456",
            "“12,3456”含义不明（是12.3456还是123456？），请去掉逗号或改用小数点",
        ),
        (
            WAN,
            "1234,567",
            "“1234,567”含义不明（是1234.567还是1234567？），请去掉逗号或改用小数点",
        ),
        (
            WAN,
            "1,23,456",
            "“1,23,456”含义不明（逗号不是标准的千分位写法），若指123456，请写成 123456",
        ),
        (
            WAN,
            "12,34.5",
            "“12,34.5”含义不明（逗号不是标准的千分位写法），若指1234.5，请写成 1234.5",
        ),
        (WAN, "1,234,5", "“1,234,5”含义不明（逗号不是标准的千分位写法），若指12345，请写成 12345"),
        (WAN, "5400,", "“5400,”含义不明（逗号不是标准的千分位写法），若指5400，请写成 5400"),
        (WAN, ",", "“,”不是数字"),
        (WAN, "1.234.567", "“1.234.567”有多个小数点，不是有效数字（若指1234567，请写成 1234567）"),
    ],
)
def test_amount_refuses(parse, value, message):
    assert refusal(parse, value) == message


def test_amount_max_digits_is_checked():
    with pytest.raises(ValueError):
        cells.amount(max_digits=40)


# --- integers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), (1, 1), (99, 99), (5.0, 5), (D("5"), 5), ("5", 5), (" 5 ", 5), ("５", 5)]
    + [("３.０", 3), ("3.00", 3), ("+7", 7)],
)
def test_integer_accepts(value, expected):
    out = ONE_TO_99(value)
    assert out == expected
    assert type(out) is int


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3.5", "“3.5”不是整数"),
        (3.5, "“3.5”不是整数"),
        (D("3.5"), "“3.5”不是整数"),
        ("三", "“三”不是整数"),
        ("1,234", "“1,234”不是整数"),
        (120, "应在1到99之间，实为120"),
        ("120", "应在1到99之间，实为120"),
        (0, "应在1到99之间，实为0"),
        ("-1", "应在1到99之间，实为-1"),
        (1e300, "应在1到99之间，实为1e+300"),
        (float("nan"), "“nan”不是整数"),
        (float("-inf"), "“-inf”不是整数"),
        (True, "应为整数，实为逻辑值TRUE"),
        (dt.date(2021, 1, 1), "应为整数，实为日期"),
        (dt.time(1, 0), "应为整数，实为时间"),
        (None, "不能为空"),
        ("", "不能为空"),
    ],
)
def test_integer_refuses(value, message):
    assert refusal(ONE_TO_99, value) == message


# --- dates ----------------------------------------------------------------------------

MAY6 = dt.date(2021, 5, 6)
TEXT_DATE = Noted(MAY6, "按文字日期读取")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (MAY6, MAY6),
        (dt.datetime(2021, 5, 6), MAY6),
        (dt.datetime(2021, 5, 6, 17, 45), MAY6),
        ("2021-05-06", MAY6),
        (" 2021-05-06\u3000", MAY6),
        ("2021-5-6", TEXT_DATE),
        ("2021/5/6", TEXT_DATE),
        ("2021/05/06", TEXT_DATE),
        ("2021.5.6", TEXT_DATE),
        ("2021年5月6日", TEXT_DATE),
        ("2021年05月06日", TEXT_DATE),
        ("2021 年 5 月 6 日", TEXT_DATE),
        ("2021年5月6号", TEXT_DATE),
        ("2021年5月6", TEXT_DATE),
        ("20210506", TEXT_DATE),
        ("2021-05-06 00:00:00", TEXT_DATE),
        ("2021-05-06 14:30", TEXT_DATE),
        ("2021-05-06T14:30:00.123", TEXT_DATE),
        ("2021年5月6日 14:30", TEXT_DATE),
        ("２０２１－０５－０６", TEXT_DATE),
        ("２０２１年５月６日", TEXT_DATE),
        (20210506, TEXT_DATE),
        (20210506.0, TEXT_DATE),
        (D("20210506"), TEXT_DATE),
        ("1900-01-01", dt.date(1900, 1, 1)),
        ("2100-12-31", dt.date(2100, 12, 31)),
        ("2024-02-29", dt.date(2024, 2, 29)),
    ],
)
def test_date_accepts(value, expected):
    same(cells.date(value), expected)


ASK = "请写成 2021-05-06 这样的日期"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (dt.time(9, 30), "只有时间，没有日期"),
        (True, "应为日期，实为逻辑值TRUE"),
        (None, "不能为空"),
        ("", "不能为空"),
        (dt.date(1899, 12, 31), "日期1899-12-31的年份不在1900到2100之间，请核对"),
        (dt.datetime(2101, 1, 1), "日期2101-01-01的年份不在1900到2100之间，请核对"),
        # Excel serials the clerk sees as plain numbers
        (
            44322,
            "“44322”是数字而不是日期（若指2021-05-06，请把单元格设为日期格式，或写成 2021-05-06）",
        ),
        (
            44322.0,
            "“44322”是数字而不是日期（若指2021-05-06，请把单元格设为日期格式，或写成 2021-05-06）",
        ),
        (
            44322.75,
            "“44322.75”是数字而不是日期（若指2021-05-06，请把单元格设为日期格式，或写成 2021-05-06）",
        ),
        (1, "“1”是数字而不是日期（若指1900-01-01，请把单元格设为日期格式，或写成 1900-01-01）"),
        (61, "“61”是数字而不是日期（若指1900-03-01，请把单元格设为日期格式，或写成 1900-03-01）"),
        (60, f"“60”是数字而不是日期，{ASK}"),
        (0, f"“0”是数字而不是日期，{ASK}"),
        (-5, f"“-5”是数字而不是日期，{ASK}"),
        (2021, f"“2021”是数字而不是日期，{ASK}"),
        (2021.05, f"“2021.05”是数字而不是日期，{ASK}"),
        (
            1899,
            "“1899”是数字而不是日期（若指1905-03-13，请把单元格设为日期格式，或写成 1905-03-13）",
        ),
        (999999, f"“999999”是数字而不是日期，{ASK}"),
        (20211301, "“20211301”不是有效日期"),
        (20210230, "“20210230”不是有效日期"),
        (float("nan"), f"“nan”不是日期，{ASK}"),
        (float("inf"), f"“inf”不是日期，{ASK}"),
        # year and month only: never assume the first
        ("2021.05", "“2021.05”只有年月，缺少日，请写成完整日期，如 2021-05-01"),
        ("2021-5", "“2021-5”只有年月，缺少日，请写成完整日期，如 2021-05-01"),
        ("2021/12", "“2021/12”只有年月，缺少日，请写成完整日期，如 2021-12-01"),
        ("2021年5月", "“2021年5月”只有年月，缺少日，请写成完整日期，如 2021-05-01"),
        ("202105", "“202105”只有年月，缺少日，请写成完整日期，如 2021-05-01"),
        # two-digit years
        ("21.5.6", "“21.5.6”的年份只有两位，请写四位年份的完整日期，如 2021-05-06"),
        ("21/5/6", "“21/5/6”的年份只有两位，请写四位年份的完整日期，如 2021-05-06"),
        ("21年5月6日", "“21年5月6日”的年份只有两位，请写四位年份的完整日期，如 2021-05-06"),
        # day and month first
        (
            "5/6/2021",
            "“5/6/2021”含义不明（是2021-05-06还是2021-06-05？），请按 年-月-日 的顺序写成 YYYY-MM-DD",
        ),
        (
            "06.05.2021",
            "“06.05.2021”含义不明（是2021-06-05还是2021-05-06？），请按 年-月-日 的顺序写成 YYYY-MM-DD",
        ),
        ("13/5/2021", "“13/5/2021”的顺序不对，请按 年-月-日 的顺序写成 2021-05-13"),
        ("5/5/2021", "“5/5/2021”的顺序不对，请按 年-月-日 的顺序写成 2021-05-05"),
        ("40/40/2021", "“40/40/2021”不是有效日期"),
        # not calendar dates
        ("2021-02-30", "“2021-02-30”不是有效日期"),
        ("2021-13-01", "“2021-13-01”不是有效日期"),
        ("2021-13-45", "“2021-13-45”不是有效日期"),
        ("2021年2月29日", "“2021年2月29日”不是有效日期"),
        ("20210230", "“20210230”不是有效日期"),
        ("1800-01-01", "“1800-01-01”的年份不在1900到2100之间，请核对"),
        ("2101/1/1", "“2101/1/1”的年份不在1900到2100之间，请核对"),
        # anything else
        ("明天", f"“明天”不是日期，{ASK}"),
        ("2021-5/6", f"“2021-5/6”不是日期，{ASK}"),
        ("2021-5-6日", f"“2021-5-6日”不是日期，{ASK}"),
        ("2021-05-06 25:00", f"“2021-05-06 25:00”不是日期，{ASK}"),
        ("2021—05—06", f"“2021—05—06”不是日期，{ASK}"),
        ("２０２１年５月", "“２０２１年５月”只有年月，缺少日，请写成完整日期，如 2021-05-01"),
    ],
)
def test_date_refuses(value, message):
    assert refusal(cells.date, value) == message


# --- batches --------------------------------------------------------------------------


def read_as(text: str, key: str = "2021-4") -> str:
    return f"按“{text}”读取为{key}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-4", (2021, 4)),
        (" 2021-4\u3000", (2021, 4)),
        ("2021-12", (2021, 12)),
        ("2021-04", Noted((2021, 4), read_as("2021-04"))),
        ("2021—4", Noted((2021, 4), read_as("2021—4"))),
        ("2021－4", Noted((2021, 4), read_as("2021－4"))),
        ("2021/4", Noted((2021, 4), read_as("2021/4"))),
        ("2021.4", Noted((2021, 4), read_as("2021.4"))),
        ("2021 - 4", Noted((2021, 4), read_as("2021 - 4"))),
        ("2021年第4次", Noted((2021, 4), read_as("2021年第4次"))),
        ("2021年第四次", Noted((2021, 4), read_as("2021年第四次"))),
        ("2021年第4批", Noted((2021, 4), read_as("2021年第4批"))),
        ("2021年4期", Noted((2021, 4), read_as("2021年4期"))),
        ("2021年第四期", Noted((2021, 4), read_as("2021年第四期"))),
        ("2021年度第4批", Noted((2021, 4), read_as("2021年度第4批"))),
        ("２０２１年第４次", Noted((2021, 4), read_as("２０２１年第４次"))),
        ("2021年第十次", Noted((2021, 10), read_as("2021年第十次", "2021-10"))),
        ("2021年第十一次", Noted((2021, 11), read_as("2021年第十一次", "2021-11"))),
        ("2021年第二十次", Noted((2021, 20), read_as("2021年第二十次", "2021-20"))),
        ("2021年第九十九期", Noted((2021, 99), read_as("2021年第九十九期", "2021-99"))),
        (
            dt.datetime(2021, 4, 1),
            Noted((2021, 4), "批次被Excel存成了日期2021-04-01，按2021-4读取"),
        ),
        (dt.date(2021, 12, 1), Noted((2021, 12), "批次被Excel存成了日期2021-12-01，按2021-12读取")),
    ],
)
def test_batch_accepts(value, expected):
    same(cells.batch(value), expected)


def bad_batch(text: str) -> str:
    return f"“{text}”格式不对，应为 年度-批次，如 2021-4（2021年第4次活动）"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2021.4, "是数字2021.4，请写成文字 2021-4（若指第40次，请写成 2021-40）"),
        (2021.04, "是数字2021.04，请写成文字 2021-4"),
        (2021.12, "是数字2021.12，请写成文字 2021-12"),
        (D("2021.4"), "是数字2021.4，请写成文字 2021-4（若指第40次，请写成 2021-40）"),
        (
            dt.date(2021, 4, 2),
            "单元格是日期2021-04-02，不是批次，请把单元格设为文本格式，"
            "写成 年度-批次，如 2021-4（2021年第4次活动）",
        ),
        (
            dt.datetime(2021, 4, 1, 8, 0),
            "单元格是日期2021-04-01 08:00，不是批次，请把单元格设为文本格式，"
            "写成 年度-批次，如 2021-4（2021年第4次活动）",
        ),
        ("第四批", bad_batch("第四批")),
        ("2021年4", bad_batch("2021年4")),
        ("2021", bad_batch("2021")),
        (2021, bad_batch("2021")),
        ("2021-0", bad_batch("2021-0")),
        ("2021-100", bad_batch("2021-100")),
        ("2021年第一百次", bad_batch("2021年第一百次")),
        ("2021年第四二次", bad_batch("2021年第四二次")),
        ("2021年第零次", bad_batch("2021年第零次")),
        ("1800-4", bad_batch("1800-4")),
        ("21-4", bad_batch("21-4")),
        ("2021-4-1", bad_batch("2021-4-1")),
        (True, bad_batch("TRUE")),
        (dt.time(4, 0), bad_batch("04:00")),
        (float("nan"), bad_batch("nan")),
        (None, "不能为空"),
        ("", "不能为空"),
    ],
)
def test_batch_refuses(value, message):
    assert refusal(cells.batch, value) == message


# --- yes/no and vocabularies ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("是", True),
        ("否", False),
        (" 是\u3000", True),
        (True, Noted(True, "逻辑值TRUE读作“是”")),
        (False, Noted(False, "逻辑值FALSE读作“否”")),
    ],
)
def test_yes_no_accepts(value, expected):
    same(cells.yes_no(value), expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("好的", "应填“是”或“否”，实为“好的”"),
        ("Y", "应填“是”或“否”，实为“Y”"),
        ("√", "应填“是”或“否”，实为“√”"),
        ("×", "应填“是”或“否”，实为“×”"),
        ("是的", "应填“是”或“否”，实为“是的”"),
        (1, "应填“是”或“否”，实为“1”"),
        (None, "不能为空"),
    ],
)
def test_yes_no_refuses(value, message):
    assert refusal(cells.yes_no, value) == message
    assert (cells.YES, cells.NO) == ("是", "否")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("新材料", "new_material"),
        ("新材料 ", "new_material"),
        ("\u3000新材料", "new_material"),
        ("新 材料", Noted("new_material", "“新 材料”读作“新材料”")),
        ("新\n材料", Noted("new_material", "“新\n材料”读作“新材料”")),
        ("基础设施", Noted("new_infra", "“基础设施”读作“新基建”")),
        ("基础 设施", Noted("new_infra", "“基础 设施”读作“新基建”")),
    ],
)
def test_choice_accepts(value, expected):
    same(CHOICE(value), expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("新能源", "“新能源”不是有效的产业类别（可选：新基建、新技术、新材料）"),
        (3, "“3”不是有效的产业类别（可选：新基建、新技术、新材料）"),
        (None, "不能为空"),
    ],
)
def test_choice_refuses(value, message):
    assert refusal(CHOICE, value) == message


def test_choice_defaults_and_bad_setup():
    assert refusal(cells.choice({"甲": "a"}), "乙") == "“乙”不是有效的选项（可选：甲）"
    assert cells.choice({"ABC": "a"})("ａｂｃ") == Noted("a", "“ａｂｃ”读作“ABC”")
    with pytest.raises(ValueError):
        cells.choice({"甲": "a"}, aliases={"乙": "丙"})
    with pytest.raises(ValueError):
        cells.choice({"新材料": "a", "新 材料": "b"})


# --- properties -----------------------------------------------------------------------

FAST = settings(max_examples=150, deadline=None)
SPACES = st.sampled_from([" ", "\u3000", "\xa0", "\t", "\n", "\u200b", "\ufeff", "\u2003"])
two_places = st.decimals(min_value=0, max_value=D(10**14) - D("0.01"), places=2)
THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")


@FAST
@given(two_places, SPACES, SPACES)
def test_amount_text_forms_read_exactly(d, left, right):
    expected = d.quantize(D("0.01"))
    forms = [
        f"{d}",
        f"{d:,}",
        fullwidth(f"{d}"),
        fullwidth(f"{d:,}"),
        f"{d}万元",
        f"{d:,}万",
        f"{left}{d}{right}",
        f"{left}{d:,} 万元{right}",
    ]
    for form in forms:
        out = cells.unwrap(WAN(form))
        assert out == expected and str(out) == str(expected), form


@FAST
@given(st.decimals(min_value=0, max_value=10**9, places=2))
def test_amount_float_round_trips(d):
    out = WAN(float(d))
    assert isinstance(out, D) and out == d and str(out) == f"{d:.2f}"


@FAST
@given(
    st.decimals(min_value=0, max_value=10**9, places=2),
    st.decimals(min_value=0, max_value=10**9, places=2),
)
def test_amount_float_sums_are_the_sum(a, b):
    out = WAN(float(a) + float(b))
    assert cells.unwrap(out) == a + b
    if isinstance(out, Noted):
        assert out.note == RESIDUE


@FAST
@given(st.text(alphabet="0123456789,.", min_size=1), st.sampled_from(["", "万元", "万"]))
def test_amount_commas_only_as_thousands(s, suffix):
    if "," not in s or THOUSANDS.fullmatch(s):
        return
    for form in (s + suffix, fullwidth(s) + suffix, f" {s} "):
        with pytest.raises(CellValueError):
            WAN(form)


@FAST
@given(st.text(alphabet="0123456789.,+-−万元亿亩% \u3000０１５．，约", max_size=12))
def test_amount_never_misreads_text(s):
    """Whatever is accepted is the number its digits and point spell."""
    try:
        out = cells.unwrap(WAN(s))
    except CellValueError:
        return
    digits = re.sub(r"[^0-9.]", "", fullwidth_to_ascii(s))
    assert out == D(digits)
    assert "亿" not in s and "%" not in s and "亩" not in s and "约" not in s


def fullwidth_to_ascii(s: str) -> str:
    return s.translate({c + 0xFEE0: c for c in range(0x21, 0x7F)})


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@FAST
@given(dates)
def test_date_text_forms_read_back(d):
    assert cells.date(d.isoformat()) == d
    assert type(cells.date(d.isoformat())) is dt.date
    forms = [
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}.{d.month}.{d.day}",
        f"{d.year}-{d.month}-{d.day}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}年{d.month:02d}月{d.day:02d}日",
        d.strftime("%Y%m%d"),
        fullwidth(d.isoformat()),
        fullwidth(f"{d.year}年{d.month}月{d.day}日"),
        f"{d.isoformat()} 00:00:00",
    ]
    for form in forms:
        assert cells.date(form) == Noted(d, "按文字日期读取") or form == d.isoformat(), form
    assert cells.date(dt.datetime.combine(d, dt.time(13, 5))) == d
    assert cells.unwrap(cells.date(int(d.strftime("%Y%m%d")))) == d


@FAST
@given(st.text(alphabet="0123456789０５-/.年月日号 :T\u3000", max_size=20))
def test_date_never_misreads_text(s):
    """An accepted text date is spelled by its own digits, year first: no reordering."""
    try:
        day = cells.unwrap(cells.date(s))
    except CellValueError:
        return
    numbers = [int(n) for n in re.findall(r"[0-9]+", fullwidth_to_ascii(s))]
    assert numbers[:3] == [day.year, day.month, day.day] or numbers[0] == int(
        day.strftime("%Y%m%d")
    )


@FAST
@given(st.text())
def test_match_key_is_idempotent(s):
    key = cells.match_key(s)
    assert cells.match_key(key) == key
    assert not any(c.isspace() for c in key)


@FAST
@given(st.text(), st.integers(min_value=0), SPACES)
def test_match_key_ignores_inserted_whitespace(s, at, space):
    at %= len(s) + 1
    assert cells.match_key(s[:at] + space + s[at:]) == cells.match_key(s)


@FAST
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_match_key_ignores_fullwidth(s):
    assert cells.match_key(fullwidth(s)) == cells.match_key(s)


@FAST
@given(st.text())
def test_clean_strips_only_the_ends(s):
    out = cells.clean(s)
    assert out == cells.clean(out)
    assert out in s
    assert cells.clean(f"\u3000\xa0{out}\u200b ") == out


@FAST
@given(st.integers(min_value=1900, max_value=2100), st.integers(min_value=1, max_value=99))
def test_batch_round_trips(year, n):
    assert cells.batch(f"{year}-{n}") == (year, n)
    assert cells.unwrap(cells.batch(f"{year}-{n:02d}")) == (year, n)
    assert cells.unwrap(cells.batch(f"{year}年第{n}次")) == (year, n)
    assert cells.unwrap(cells.batch(fullwidth(f"{year}/{n}"))) == (year, n)


PARSERS = {
    "text": cells.text(),
    "text10": cells.text(10),
    "amount": WAN,
    "amount_mu": MU,
    "amount_plain": PLAIN,
    "integer": ONE_TO_99,
    "date": cells.date,
    "batch": cells.batch,
    "yes_no": cells.yes_no,
    "choice": CHOICE,
}
ANYTHING = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="0123456789.,-/年月日第次万元亿 \u3000０１"),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.decimals(allow_nan=True, allow_infinity=True),
)
EXPECTED_TYPES = {
    "text": str,
    "text10": str,
    "amount": D,
    "amount_mu": D,
    "amount_plain": D,
    "integer": int,
    "date": dt.date,
    "batch": tuple,
    "yes_no": bool,
    "choice": str,
}


@pytest.mark.parametrize("name", PARSERS)
@settings(max_examples=100, deadline=None)
@given(value=ANYTHING)
def test_parsers_return_a_value_or_refuse(name, value):
    try:
        out = PARSERS[name](value)
    except CellValueError as exc:
        assert str(exc)
        return
    value_out = cells.unwrap(out)
    assert isinstance(value_out, EXPECTED_TYPES[name])
    if isinstance(out, Noted):
        assert out.note
    if isinstance(value_out, D):
        assert value_out >= 0 and value_out.as_tuple().exponent == -2
        assert not value_out.is_signed()
    if name == "date":
        assert 1900 <= value_out.year <= 2100
    if isinstance(value, float) and value != value:
        raise AssertionError("NaN accepted")


def test_common_path_returns_bare_values():
    assert WAN(5400) == D("5400.00") and type(WAN(5400)) is D
    assert type(WAN("5400.50")) is D
    assert type(cells.date(MAY6)) is dt.date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("-1,000.5", D("-1000.50")),
        ("－12万元", D("-12.00")),
        ("−3", D("-3.00")),
        (-2.5, D("-2.50")),
        ("5", D("5.00")),
        (0, D("0.00")),
    ],
)
def test_signed_amounts(raw, expected):
    assert cells.unwrap(cells.signed_amount(unit="万元")(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("4.35%", D("4.35")), (4.35, D("4.35")), ("４．３５％", D("4.35")),
     ("0.5%", D("0.50")), (0, D("0.00")), ("12", D("12.00"))],
)  # fmt: skip
def test_percentages(raw, expected):
    assert cells.unwrap(cells.percent()(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (0.0435, "“0.0435”含义不明（是0.0435%还是4.35%？），请填写百分数的数值，如 4.35"),
        ("0.04", "“0.04”含义不明（是0.04%还是4%？）"),
        ("101", "百分数不能超过100（实为101）"),
        ("-1", "不能为负数"),
        ("abc", "“abc”不是数字"),
    ],
)
def test_ambiguous_or_bad_percentages_are_refused(raw, message):
    with pytest.raises(cells.CellValueError) as info:
        cells.percent()(raw)
    assert message in str(info.value)
