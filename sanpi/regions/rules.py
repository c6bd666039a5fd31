"""Region and enterprise rules. Pure: no Django imports."""

from __future__ import annotations

CITY_CODE = "141100"
CITY_NAME = "吕梁市"

# GB/T 2260 codes of 吕梁市's 13 county-level divisions (reference data, seeded by migration).
COUNTIES: tuple[tuple[str, str], ...] = (
    ("141102", "离石区"),
    ("141121", "文水县"),
    ("141122", "交城县"),
    ("141123", "兴县"),
    ("141124", "临县"),
    ("141125", "柳林县"),
    ("141126", "石楼县"),
    ("141127", "岚县"),
    ("141128", "方山县"),
    ("141129", "中阳县"),
    ("141130", "交口县"),
    ("141181", "孝义市"),
    ("141182", "汾阳市"),
)

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet (no I, O, Z, S, V).
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def credit_code_error(code: str) -> str | None:
    """Why `code` is not a valid 统一社会信用代码, or None if it is."""
    if len(code) != 18:
        return f"应为18位，实为{len(code)}位"
    bad = [c for c in code if c not in CREDIT_CODE_CHARS]
    if bad:
        return f"含非法字符“{bad[0]}”"
    if not code[2:8].isdigit():
        return "第3-8位应为行政区划代码"
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return f"校验位错误（第18位应为{expected}）"
    return None


def normalize_credit_code(code: str) -> str:
    return code.strip().upper()
