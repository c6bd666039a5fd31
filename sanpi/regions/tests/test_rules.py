from sanpi.regions.rules import COUNTIES, credit_code_check_char, credit_code_error
from sanpi.regions.tests.factories import make_credit_code


def test_known_valid_credit_code():
    # A code as printed on a business licence: its 18th character is the GB 32100-2015 check.
    assert credit_code_check_char("91110000100017643") == "K"
    assert credit_code_error("91110000100017643K") is None


def test_credit_code_errors_say_why():
    good = make_credit_code(42)
    assert credit_code_error(good) is None
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    assert credit_code_error(wrong_check) == f"校验位错误（第18位应为{good[17]}）"
    assert credit_code_error(good[:17]) == "应为18位，实为17位"
    assert credit_code_error(good[:16] + "I" + good[17]) == "含非法字符“I”"


def test_thirteen_counties_with_gb2260_codes():
    assert len(COUNTIES) == 13
    assert dict(COUNTIES)["141181"] == "孝义市"
    assert all(code.startswith("1411") for code, _ in COUNTIES)
