"""政银企对接: the flow from a meeting to a loan, the report that states the city's figure,
the projects still unfunded, scope and bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as W

import pytest
from django.urls import reverse

from sanpi.core.errors import NotFound, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.finance import selectors, services
from sanpi.finance.models import Loan, Signing

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def flow(world):
    city = world.user("city_office")
    icbc = services.bank_create(by=city, name="中国工商银行吕梁分行", short_name="工行")
    abc = services.bank_create(by=city, name="中国农业银行吕梁分行")
    meeting = services.meeting_create(
        by=city, date=D(2026, 3, 20), title="2026年第一季度政银企对接会", banks=[icbc, abc],
        enterprises=[world.enterprise_a, world.enterprise_b],
    )  # fmt: skip
    return city, icbc, abc, meeting


def test_from_a_meeting_to_a_loan_and_the_report(world, flow):
    city, icbc, abc, meeting = flow
    a, b = world.project_a, world.project_b
    services.need_add(by=city, project=a, amount_wan=W("5000"), purpose="设备购置", term_months=36,
                      recorded_on=D(2026, 3, 1))  # fmt: skip
    services.need_add(by=city, project=b, amount_wan=W("8000"), purpose="厂房建设", term_months=60,
                      recorded_on=D(2026, 3, 2))  # fmt: skip
    services.signing_add(by=city, meeting=meeting, bank=icbc, project=a, amount_wan=W("5000"))
    services.signing_add(by=city, meeting=meeting, bank=abc, project=b, amount_wan=W("8000"))
    assert {p.name for p in selectors.unfunded(user=city, on=meeting.date)} == {a.name, b.name}
    services.credit_add(
        by=city, project=a, bank=icbc, amount_wan=W("5000"), granted_on=D(2026, 4, 1)
    )
    services.loan_add(
        by=city, project=a, bank=icbc, amount_wan=W("3000"), disbursed_on=D(2026, 4, 10)
    )
    services.loan_add(
        by=city, project=a, bank=icbc, amount_wan=W("2000"), disbursed_on=D(2026, 5, 10)
    )
    services.loan_add(
        by=city, project=b, bank=abc, amount_wan=W("1500.50"), disbursed_on=D(2026, 6, 1)
    )
    services.loan_add(
        by=city, project=b, bank=icbc, amount_wan=W("100"), disbursed_on=D(2025, 12, 1)
    )

    report = selectors.loan_report(user=city, date_from=D(2026, 1, 1), date_to=D(2026, 6, 30))
    # Two projects (A borrowed twice: counted once), 3000 + 2000 + 1500.50 万元.
    assert (report.projects, report.amount_wan) == (2, W("6500.50"))
    assert report.by_bank == [("中国工商银行吕梁分行", 1, W("5000.00")),
                              ("中国农业银行吕梁分行", 1, W("1500.50"))]  # fmt: skip
    assert report.sentence() == "2026年1月1日至2026年6月30日，全市2个项目获得贷款0.65亿元。"
    # Both funded since their needs: none left for the next meeting.
    assert list(selectors.unfunded(user=city)) == []
    assert AuditLog.objects.filter(object_type="finance.loan", action="create").count() == 4


def test_a_loan_before_the_need_does_not_fund_it(world, flow):
    city, icbc, _abc, _meeting = flow
    a = world.project_a
    services.loan_add(
        by=city, project=a, bank=icbc, amount_wan=W("100"), disbursed_on=D(2026, 1, 5)
    )
    services.need_add(by=city, project=a, amount_wan=W("900"), purpose="流动资金", term_months=12,
                      recorded_on=D(2026, 2, 1))  # fmt: skip
    (listed,) = selectors.unfunded(user=city)
    assert listed == a and listed.need_wan == W("900.00")


def test_the_unfunded_list_sums_only_the_needs_still_open(world, flow):
    """A need met by a later loan no longer counts in the amount wanted: 500 met in
    February, 900 and 300 asked for after it → 1,200, not 1,700."""
    city, icbc, _abc, _meeting = flow
    a = world.project_a
    for amount, day in ((W("500"), D(2026, 1, 10)), (W("900"), D(2026, 3, 1)),
                        (W("300"), D(2026, 3, 5))):  # fmt: skip
        services.need_add(by=city, project=a, amount_wan=amount, purpose="流动资金",
                          term_months=12, recorded_on=day)  # fmt: skip
    services.loan_add(by=city, project=a, bank=icbc, amount_wan=W("500"),
                      disbursed_on=D(2026, 2, 1))  # fmt: skip
    (listed,) = selectors.unfunded(user=city)
    assert listed.need_wan == W("1200.00")
    # A meeting's list: the needs recorded by its day and still open now (none here).
    assert list(selectors.unfunded(user=city, on=D(2026, 1, 20))) == []


def test_scope(world, flow):
    city, icbc, _abc, meeting = flow
    services.loan_add(by=city, project=world.project_a, bank=icbc, amount_wan=W("10"),
                      disbursed_on=D(2026, 4, 1))  # fmt: skip
    services.loan_add(by=city, project=world.project_b, bank=icbc, amount_wan=W("20"),
                      disbursed_on=D(2026, 4, 1))  # fmt: skip
    county = world.user("county")  # county A: project A only
    report = selectors.loan_report(user=county, date_from=D(2026, 1, 1), date_to=D(2026, 12, 31))
    assert (report.projects, report.amount_wan) == (1, W("10.00"))
    with pytest.raises(PermissionDenied):  # the county records no credit or loans
        services.loan_add(by=county, project=world.project_a, bank=icbc, amount_wan=W("1"),
                          disbursed_on=D(2026, 4, 1))  # fmt: skip
    with pytest.raises(NotFound):  # a need on a project outside the county
        services.need_add(by=county, project=world.project_b, amount_wan=W("1"), purpose="x",
                          term_months=1, recorded_on=D(2026, 4, 1))  # fmt: skip


@pytest.mark.parametrize(
    ("call", "field", "message"),
    [
        (lambda c, b, m, p: services.loan_add(by=c, project=p, bank=b, amount_wan=W("0"),
                                              disbursed_on=D(2026, 1, 1)), "amount_wan", "放贷金额须大于0"),
        (lambda c, b, m, p: services.loan_add(by=c, project=p, bank=b, amount_wan=W("1"),
                                              disbursed_on=D(2099, 1, 1)), "disbursed_on", "放贷日期（2099-01-01）晚于今天，不能预先登记"),
        (lambda c, b, m, p: services.credit_add(by=c, project=p, bank=b, amount_wan=W("-5"),
                                                granted_on=D(2026, 1, 1)), "amount_wan", "授信金额须大于0"),
        (lambda c, b, m, p: services.meeting_create(by=c, date=D(2026, 1, 1), title="x", banks=[]),
         "banks", "请选择参会银行"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(world, flow, call, field, message):
    city, icbc, _abc, meeting = flow
    before = (Loan.objects.count(), AuditLog.objects.count())
    with pytest.raises(ValidationFailed) as info:
        call(city, icbc, meeting, world.project_a)
    assert info.value.fields == {field: [message]}
    assert (Loan.objects.count(), AuditLog.objects.count()) == before


def test_a_signing_needs_an_attending_bank_and_happens_once(world, flow):
    city, icbc, _abc, meeting = flow
    other = services.bank_create(by=city, name="晋商银行吕梁分行")
    with pytest.raises(ValidationFailed) as info:
        services.signing_add(by=city, meeting=meeting, bank=other, project=world.project_a,
                             amount_wan=W("1"))  # fmt: skip
    assert "晋商银行吕梁分行未参加" in info.value.message
    services.signing_add(
        by=city, meeting=meeting, bank=icbc, project=world.project_a, amount_wan=W("1")
    )
    with pytest.raises(ValidationFailed) as info:
        services.signing_add(by=city, meeting=meeting, bank=icbc, project=world.project_a,
                             amount_wan=W("2"))  # fmt: skip
    assert info.value.message == "该银行已在本次对接会上与该项目签约"
    # Only the projects of enterprises that attended: enforced by the service, so the
    # page, the API and the demo all get it.
    small = services.meeting_create(by=city, date=D(2026, 4, 1), title="小型对接会",
                                    banks=[icbc], enterprises=[world.enterprise_a])  # fmt: skip
    with pytest.raises(ValidationFailed) as info:
        services.signing_add(by=city, meeting=small, bank=icbc, project=world.project_b,
                             amount_wan=W("1"))  # fmt: skip
    assert info.value.fields == {
        "project": [f"{world.enterprise_b.name}未参加{small}，其项目不能在该会上签约"]
    }
    assert Signing.objects.count() == 1


def test_the_pages(world, flow, login):
    city, icbc, _abc, meeting = flow
    client = login(city)
    html = client.get(reverse("finance:meeting", args=[meeting.pk])).content.decode()
    assert "2026年第一季度政银企对接会" in html and "中国工商银行吕梁分行" in html
    response = client.post(reverse("finance:meeting", args=[meeting.pk]),
                           {"bank": icbc.pk, "project": world.project_a.pk, "amount_wan": "abc"})  # fmt: skip
    assert response.status_code == 200 and "输入一个数字" in response.content.decode()
    url = reverse("finance:project", args=[world.project_a.pk])
    response = client.post(url, {"form": "loan", "loan-bank": icbc.pk, "loan-amount_wan": "300",
                                 "loan-disbursed_on": "2026-04-01"})  # fmt: skip
    assert response.status_code == 302 and Loan.objects.get().amount_wan == W("300.00")
    html = client.get(
        reverse("finance:report"), {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    )
    assert "全市1个项目获得贷款0.03亿元" in html.content.decode()
    bad = client.get(
        reverse("finance:report"), {"date_from": "2026-12-31", "date_to": "2026-01-01"}
    )
    assert bad.status_code == 200 and "结束日期早于开始日期" in bad.content.decode()
    export = client.get(reverse("finance:report"),
                        {"date_from": "2026-01-01", "date_to": "2026-12-31", "format": "xlsx"})  # fmt: skip
    assert export["Content-Disposition"].startswith("attachment")
    # Out of scope: the county officer's project B page is 404; they cannot record loans.
    county = login(world.user("county"))
    assert county.get(reverse("finance:project", args=[world.project_b.pk])).status_code == 404
    index = county.get(reverse("finance:index")).content.decode()  # the county's sentence
    assert f"，{world.county_a}1个项目获得贷款0.03亿元" in index and "全市" not in index
    response = county.post(url, {"form": "loan", "loan-bank": icbc.pk, "loan-amount_wan": "1",
                                 "loan-disbursed_on": "2026-04-01"})  # fmt: skip
    assert response.status_code == 403 and Loan.objects.count() == 1


def test_the_banks_evaluation_template_takes_the_matching_figures(world, flow):
    """政银企签约项目户数 and 授信项目户数 of the bank scheme come from these records."""
    from openpyxl import load_workbook

    from sanpi.assessment import io
    from sanpi.assessment.schemes import BANK

    city, icbc, abc, meeting = flow
    services.signing_add(
        by=city, meeting=meeting, bank=icbc, project=world.project_a, amount_wan=W(1)
    )
    services.signing_add(
        by=city, meeting=meeting, bank=icbc, project=world.project_b, amount_wan=W(1)
    )
    services.signing_add(
        by=city, meeting=meeting, bank=abc, project=world.project_b, amount_wan=W(1)
    )
    services.credit_add(by=city, project=world.project_a, bank=icbc, amount_wan=W(5),
                        granted_on=D(2026, 4, 1))  # fmt: skip
    # Credit from a bank that did not sign with the project, or in another year: not counted.
    services.credit_add(by=city, project=world.project_a, bank=abc, amount_wan=W(5),
                        granted_on=D(2026, 4, 1))  # fmt: skip
    services.credit_add(by=city, project=world.project_b, bank=icbc, amount_wan=W(5),
                        granted_on=D(2025, 4, 1))  # fmt: skip
    assert selectors.bank_matching(2026) == {
        "中国工商银行吕梁分行": {"signed_projects": 2, "credited_projects": 1},
        "中国农业银行吕梁分行": {"signed_projects": 1, "credited_projects": 0},
    }
    document = io.template(by=city, key="bank", year=2026)
    sheet = load_workbook(__import__("io").BytesIO(document.data)).active
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    columns = [i.key for i in BANK.inputs]
    signed, credited = 1 + columns.index("signed_projects"), 1 + columns.index("credited_projects")
    assert (rows["中国工商银行吕梁分行"][signed], rows["中国工商银行吕梁分行"][credited]) == (2, 1)
    assert (rows["中国农业银行吕梁分行"][signed], rows["中国农业银行吕梁分行"][credited]) == (1, 0)
