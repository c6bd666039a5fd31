"""The bank scheme's template, import and score through the command line, with messy
files: every error at once, nothing written on error."""

from __future__ import annotations

import io as bytes_io
import json
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from sanpi.assessment import io
from sanpi.assessment.models import SchemeYear, UnitEntry
from sanpi.assessment.schemes import BANK
from sanpi.assessment.tests.test_bank_example import EXPECTED, ROWS
from sanpi.core.imports import ImportRejected
from sanpi.core.models import AuditLog

pytestmark = pytest.mark.django_db
HEADERS = [BANK.unit_label, *(i.name for i in BANK.inputs)]


def _cell(i, v):
    if i.kind == "yesno":
        return "是" if v else "否"
    return v


def _book(rows, *, title_row=True, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "考核数据"
    if title_row:
        ws.append(["2025年度吕梁市银行业金融机构支持地方经济发展考核评价数据表"])
        ws.append([])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = bytes_io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rows():
    return [[name, *(_cell(i, v) for i, v in zip(BANK.inputs, row, strict=True))]
            for name, row in ROWS.items()]  # fmt: skip


def test_import_then_score_equals_the_worked_example(tmp_path, world):
    path = tmp_path / "银行.xlsx"
    path.write_bytes(_book(_rows()))
    call_command("assessment", "import", str(path), "--scheme", "bank", "--year", "2025")
    assert UnitEntry.objects.count() == 5
    out = bytes_io.StringIO()
    call_command("assessment", "score", "--scheme", "bank", "--year", "2025", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["scheme"], data["year"]) == ("bank", 2025)
    got = {u["name"]: (u["rank"], u["total"], u["vetoed"]) for u in data["units"]}
    assert got == {"A银行": (1, "64.00", False), "B银行": (2, "60.13", False),
                   "D银行": (3, "35.07", False), "C银行": (4, "8.51", False),
                   "E银行": (5, "93.50", True)}  # fmt: skip
    b = next(u for u in data["units"] if u["name"] == "B银行")
    assert [i["points"] for i in b["items"][:13]] == [
        str(D(x).quantize(D("0.01"))) for x in EXPECTED["B银行"][0].split()
    ]
    assert b["items"][0] == {"key": "loan_increase", "name": "贷款增量", "value": "10000.00",
                             "best": "40000.00", "points": "5.00", "note": ""}  # fmt: skip
    assert AuditLog.objects.filter(object_type="assessment.import").count() == 1
    # The year keeps its scheme: a stored copy, scored with it.
    assert SchemeYear.objects.get().definition["indicators"][0]["max_points"] == "20"


def test_the_template_round_trips(tmp_path, world):
    path = tmp_path / "t.xlsx"
    call_command("assessment", "template", str(path), "--scheme", "bank", "--year", "2025")
    ws = load_workbook(path).active
    assert [c.value for c in ws[1]][: len(HEADERS)] == HEADERS
    io.import_xlsx(by=world.user("city_office"), key="bank", year=2025, data=_book(_rows()))
    document = io.template(by=world.user("city_office"), key="bank", year=2025)
    again = io.import_xlsx(by=world.user("city_office"), key="bank", year=2025, data=document.data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_messy_cells_are_read_as_meant(world):
    rows = _rows()
    rows[0][1] = "100,000.00"  # thousands separators
    rows[0][2] = "120000万元"  # the column's own unit
    rows[2][10] = "－10"  # a full-width minus: a decrease
    rows[0][16] = "5.00%"
    rows[0][17] = "４．５０"  # full-width digits
    summary = io.import_xlsx(by=world.user("city_office"), key="bank", year=2025, data=_book(rows))
    assert summary.created == 5
    a = UnitEntry.objects.get(unit="A银行").values
    assert (a["loans_last"], a["loans_now"], a["rate_last"], a["rate_now"]) == (
        "100000.00", "120000.00", "5.00", "4.50")  # fmt: skip
    assert UnitEntry.objects.get(unit="C银行").values["credit_n"] == "-10"


def test_bad_rows_are_all_refused_with_row_column_and_why(world):
    rows = _rows()
    rows[0][16] = 0.05  # 5% or 0.05%? refused
    rows[1][19] = 4  # 落实工作部署 at most 3
    rows[2][18] = "可能"  # not 是/否
    rows[3][1] = "1,00"  # a comma that may be a decimal point
    rows.append(["A银行", *rows[0][1:]])  # the same bank twice
    with pytest.raises(ImportRejected) as info:
        io.import_xlsx(by=world.user("city_office"), key="bank", year=2025, data=_book(rows))
    text = "\n".join(str(e) for e in info.value.errors)
    assert "第4行" in text and "上年贷款平均利率(%)" in text and "含义不明" in text
    assert "落实工作部署(0-3)" in text and "最多3分，实为4分" in text
    assert "银企招商(是/否)" in text and "“可能”" in text
    assert "上年末贷款余额(万元)" in text and "“1,00”含义不明" in text
    assert "与第4行是同一单位" in text
    assert UnitEntry.objects.count() == 0 and not SchemeYear.objects.exists()


def test_the_command_line_says_what_is_wrong(tmp_path, world):
    with pytest.raises(CommandError) as info:
        call_command("assessment", "score", "--scheme", "nope", "--year", "2025")
    assert "没有考核方案“nope”" in str(info.value)
    with pytest.raises(CommandError) as info:
        call_command("assessment", "import", str(tmp_path / "missing.xlsx"),
                     "--scheme", "bank", "--year", "2025")  # fmt: skip
    assert "找不到文件" in str(info.value)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(CommandError) as info:
        call_command("assessment", "import", str(bad), "--scheme", "bank", "--year", "2025")
    assert "未写入任何数据" in str(info.value)
    with pytest.raises(CommandError):
        call_command("assessment", "score", "--scheme", "bank", "--year", "1800")


def test_a_locked_year_refuses_an_import(world):
    io.import_xlsx(by=world.user("city_office"), key="bank", year=2025, data=_book(_rows()))
    SchemeYear.objects.update(state=SchemeYear.State.LOCKED)
    from sanpi.core.errors import Conflict

    with pytest.raises(Conflict) as info:
        io.import_xlsx(by=world.user("city_office"), key="bank", year=2025, data=_book(_rows()))
    assert "已锁定，不能再修改数据" in info.value.message
