"""A bank's own officer: sees only the projects their bank signed with at a 政银企 meeting
(their needs, and only their own bank's signings, credit and loans), records their own
bank's credit and loans on them, and nothing else of the platform."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as W

import pytest
from django.urls import reverse

from sanpi.accounts.services import user_create
from sanpi.core.errors import NotFound, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.finance import selectors, services
from sanpi.finance.models import Credit, Loan

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def banks(world):
    """ICBC signed with project A, ABC with project B, at one meeting; each lent to its
    own project; an officer of ICBC."""
    from sanpi.accounts.tests.factories import UserFactory

    city = world.user("city_office")
    icbc = services.bank_create(by=city, name="中国工商银行吕梁分行")
    abc = services.bank_create(by=city, name="中国农业银行吕梁分行")
    meeting = services.meeting_create(
        by=city, date=D(2026, 3, 20), title="2026年第一季度政银企对接会", banks=[icbc, abc],
        enterprises=[world.enterprise_a, world.enterprise_b],
    )  # fmt: skip
    a, b = world.project_a, world.project_b
    services.need_add(by=city, project=a, amount_wan=W("5000"), purpose="设备购置",
                      term_months=36, recorded_on=D(2026, 3, 1))  # fmt: skip
    services.need_add(by=city, project=b, amount_wan=W("8000"), purpose="厂房建设",
                      term_months=60, recorded_on=D(2026, 3, 2))  # fmt: skip
    services.signing_add(by=city, meeting=meeting, bank=icbc, project=a, amount_wan=W("5000"))
    services.signing_add(by=city, meeting=meeting, bank=abc, project=b, amount_wan=W("8000"))
    # ABC also lent to project A, without a signing: not ICBC's business to see.
    services.loan_add(by=city, project=a, bank=abc, amount_wan=W("700"),
                      disbursed_on=D(2026, 4, 2))  # fmt: skip
    services.loan_add(by=city, project=b, bank=abc, amount_wan=W("900"),
                      disbursed_on=D(2026, 4, 3))  # fmt: skip
    officer = UserFactory(username="icbc_zhao", role="bank", bank=icbc)
    return officer, icbc, abc, meeting


def test_an_officer_sees_only_their_banks_signed_projects_and_own_figures(world, banks):
    officer, icbc, _abc, meeting = banks
    assert list(selectors.project_list(user=officer)) == [world.project_a]
    with pytest.raises(NotFound):
        selectors.project_get(user=officer, pk=world.project_b.pk)
    finance = selectors.project_finance(user=officer, project=world.project_a)
    assert [n.amount_wan for n in finance.needs] == [W("5000.00")]  # the project's need
    assert [s.bank for s in finance.signings] == [icbc]
    assert finance.loans == []  # ABC's loan to the same project is ABC's business
    assert [s.project for s in selectors.signings(user=officer, meeting=meeting)] == [
        world.project_a
    ]
    # The report counts the bank's own loans, and its sentence names the bank.
    report = selectors.loan_report(user=officer, date_from=D(2026, 1, 1), date_to=D(2026, 12, 31))
    assert (report.projects, report.amount_wan) == (0, W("0.00"))
    assert report.sentence(officer.scope_label).endswith(
        "中国工商银行吕梁分行0个项目获得贷款0.00亿元。"
    )
    # The list for the next meeting: its signed project, still unfunded by anyone since.
    assert [p.pk for p in selectors.unfunded(user=officer)] == []  # ABC lent after the need
    services.need_add(by=world.user("city_office"), project=world.project_a,
                      amount_wan=W("300"), purpose="流动资金", term_months=12,
                      recorded_on=D(2026, 5, 1))  # fmt: skip
    assert [p.pk for p in selectors.unfunded(user=officer)] == [world.project_a.pk]


def test_an_officer_records_their_own_banks_credit_and_loans_only(world, banks):
    officer, icbc, abc, _meeting = banks
    credit = services.credit_add(by=officer, project=world.project_a, bank=icbc,
                                 amount_wan=W("5000"), granted_on=D(2026, 4, 1))  # fmt: skip
    loan = services.loan_add(by=officer, project=world.project_a, bank=icbc,
                             amount_wan=W("3000"), disbursed_on=D(2026, 4, 10))  # fmt: skip
    assert (credit.created_by, loan.created_by) == (officer, officer)
    assert AuditLog.objects.filter(user=officer, action="create").count() == 2
    before = (Credit.objects.count(), Loan.objects.count(), AuditLog.objects.count())
    # Another bank's figure on the same project: refused on the bank field, in Chinese.
    with pytest.raises(ValidationFailed) as info:
        services.loan_add(by=officer, project=world.project_a, bank=abc, amount_wan=W("1"),
                          disbursed_on=D(2026, 4, 10))  # fmt: skip
    assert info.value.fields == {
        "bank": ["只能登记本行的授信和放贷，不能代中国农业银行吕梁分行登记"]
    }
    # A project it did not sign with does not exist for it.
    with pytest.raises(NotFound):
        services.credit_add(by=officer, project=world.project_b, bank=icbc, amount_wan=W("1"),
                            granted_on=D(2026, 4, 1))  # fmt: skip
    # Meetings, signings, needs and banks are the city office's (and the ledger's) to record.
    with pytest.raises(PermissionDenied):
        services.need_add(by=officer, project=world.project_a, amount_wan=W("1"), purpose="x",
                          term_months=1, recorded_on=D(2026, 4, 1))  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.bank_create(by=officer, name="自建银行")
    assert (Credit.objects.count(), Loan.objects.count(), AuditLog.objects.count()) == before


def test_the_officers_pages(world, banks, login):
    officer, icbc, abc, meeting = banks
    client = login(officer)
    home = client.get("/").content.decode()
    assert "政银企对接" in home and "项目台账" not in home
    url = reverse("finance:project", args=[world.project_a.pk])
    html = client.get(url).content.decode()
    # Its own bank is the only choice; no link to the ledger's project page.
    assert f'<option value="{icbc.pk}" selected>' in html and f'value="{abc.pk}"' not in html
    assert reverse("projects:detail", args=[world.project_a.pk]) not in html
    assert "登记融资需求" not in html
    response = client.post(url, {"form": "loan", "loan-bank": icbc.pk,
                                 "loan-amount_wan": "1,200", "loan-disbursed_on": "2026-04-10"})  # fmt: skip
    assert response.status_code == 200 and "is-invalid" in response.content.decode()  # "1,200"
    response = client.post(url, {"form": "loan", "loan-bank": icbc.pk,
                                 "loan-amount_wan": "1200", "loan-disbursed_on": "2026-04-10"})  # fmt: skip
    assert response.status_code == 302
    assert Loan.objects.filter(bank=icbc).get().amount_wan == W("1200.00")
    # Another bank, posted by hand: the form refuses the choice, nothing written.
    response = client.post(url, {"form": "loan", "loan-bank": abc.pk,
                                 "loan-amount_wan": "1", "loan-disbursed_on": "2026-04-10"})  # fmt: skip
    assert response.status_code == 200 and Loan.objects.filter(bank=icbc).count() == 1
    assert Loan.objects.count() == 3
    # Project B (signed with ABC): 404, to read and to write.
    other = reverse("finance:project", args=[world.project_b.pk])
    assert client.get(other).status_code == 404
    response = client.post(other, {"form": "loan", "loan-bank": icbc.pk,
                                   "loan-amount_wan": "1", "loan-disbursed_on": "2026-04-10"})  # fmt: skip
    assert response.status_code == 404 and Loan.objects.count() == 3
    # The report: its own loans, no export (the ledger's exports are not the bank's).
    report = client.get(reverse("finance:report"),
                        {"date_from": "2026-01-01", "date_to": "2026-12-31"}).content.decode()  # fmt: skip
    assert "中国工商银行吕梁分行1个项目获得贷款0.12亿元" in report and "导出Excel" not in report
    export = client.get(reverse("finance:report"),
                        {"date_from": "2026-01-01", "date_to": "2026-12-31", "format": "xlsx"})  # fmt: skip
    assert export.status_code == 403
    # The front page's sentence is the bank's, not the city's.
    index = client.get(reverse("finance:index")).content.decode()
    assert "中国工商银行吕梁分行1个项目获得贷款0.12亿元" in index and "全市" not in index
    meeting_html = client.get(reverse("finance:meeting", args=[meeting.pk])).content.decode()
    assert world.project_a.name in meeting_html and world.project_b.name not in meeting_html


def test_a_bank_account_needs_its_bank_and_only_it(world):
    admin = world.user("admin")
    icbc = services.bank_create(by=world.user("city_office"), name="中国工商银行吕梁分行")
    with pytest.raises(ValidationFailed) as info:
        user_create(by=admin, username="b1", password="Zx#4kq!9Lm", role="bank")
    assert info.value.fields == {"bank": ["角色与所属单位不一致：银行账号须选择所属银行"]}
    with pytest.raises(ValidationFailed) as info:
        user_create(by=admin, username="b2", password="Zx#4kq!9Lm", role="county",
                    county=world.county_a, bank=icbc)  # fmt: skip
    assert info.value.fields["bank"][0].startswith(
        "角色与所属单位不一致：县(市、区)账号不能选择所属银行"
    )
    user = user_create(by=admin, username="b3", password="Zx#4kq!9Lm", role="bank", bank=icbc)
    assert (user.scope_dimension, user.scope_value, user.scope_label) == (
        "bank",
        icbc.pk,
        "中国工商银行吕梁分行",
    )


def test_the_exports_refuse_a_bank_officer_in_the_service_not_only_the_page(world, banks):
    """The loans report's .xlsx and the assessment's documents check `export_ledger`
    themselves, so a command or a job calling them gets the rule too."""
    from sanpi.assessment import io as assessment_io
    from sanpi.finance import io as finance_io

    officer, *_ = banks
    report = selectors.loan_report(user=officer, date_from=D(2026, 1, 1), date_to=D(2026, 12, 31))
    before = AuditLog.objects.count()
    with pytest.raises(PermissionDenied):
        finance_io.report_xlsx(by=officer, report=report, place=officer.scope_label)
    for export in (assessment_io.results_xlsx, assessment_io.results_docx,
                   assessment_io.classes_xlsx):  # fmt: skip
        with pytest.raises(PermissionDenied):
            export(by=officer, key="mujun", year=2025)
    assert AuditLog.objects.count() == before
