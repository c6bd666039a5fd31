"""Monthly reports through their life: filed, submitted, returned, accepted, locked by
the month's closing, reopened; and what each bad input or stale form gets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from sanpi.core.errors import Conflict, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.dispatch import selectors, services
from sanpi.dispatch.models import MonthlyReport
from sanpi.notifications.models import Notification
from sanpi.projects.models import Project

YEAR, MONTH = 2026, 10  # a past month on 2026-12-01 (the suite's "today" is real time)


def data(**over):
    base = {
        "investment_wan": Decimal("1200.00"),
        "progress_percent": 35,
        "progress_text": "主体结构施工",
        "output_wan": None,
        "tax_wan": None,
        "jobs": 120,
        "problems": "",
    }
    return {**base, **over}


@pytest.fixture
def started(world):
    """Project A, started in 2026, total investment 10,000 万元."""
    Project.objects.filter(pk=world.project_a.pk).update(
        stage="started",
        signed_date=dt.date(2026, 1, 5),
        started_date=dt.date(2026, 3, 1),
        total_investment_wan=Decimal("10000.00"),
    )
    world.project_a.refresh_from_db()
    return world.project_a


def test_filed_submitted_returned_resubmitted_accepted(world, started):
    ent, county = world.user("enterprise"), world.user("county")
    draft = services.report_save(by=ent, project=started, year=YEAR, month=MONTH, data=data())
    assert (draft.status, draft.version) == ("draft", 1)
    sent = services.report_save(
        by=ent, project=started, year=YEAR, month=MONTH, data=data(), submit=True, version=1
    )
    assert (sent.status, sent.version) == ("submitted", 2)
    back = services.report_review(by=county, report=sent, accept=False, reason="投资额与发票不符")
    assert (back.status, back.return_reason) == ("returned", "投资额与发票不符")
    note = Notification.objects.get(recipient=ent)
    assert note.title == f"月报被退回：{started.name}2026年10月" and "投资额与发票不符" in note.text
    again = services.report_save(
        by=ent,
        project=started,
        year=YEAR,
        month=MONTH,
        data=data(investment_wan=Decimal("1100")),
        submit=True,
        version=back.version,
    )
    assert again.return_reason == ""
    done = services.report_review(by=county, report=again, accept=True)
    assert done.status == "accepted" and done.reviewed_by == county
    assert selectors.cumulative_investment(started, year=YEAR, month=MONTH) == Decimal("1100")
    messages = list(
        AuditLog.objects.filter(object_type="dispatch.monthlyreport")
        .order_by("pk")
        .values_list("message", flat=True)
    )
    assert messages == [
        "保存2026年10月月报",
        "报送2026年10月月报",
        "退回2026年10月月报",
        "报送2026年10月月报",
        "审核通过2026年10月月报",
    ]


def test_the_cumulative_figure_may_not_pass_the_total(world, started):
    ent, county = world.user("enterprise"), world.user("county")
    r9 = services.report_save(
        by=ent,
        project=started,
        year=YEAR,
        month=9,
        data=data(investment_wan=Decimal("9500")),
        submit=True,
    )
    services.report_review(by=county, report=r9, accept=True)
    with pytest.raises(ValidationFailed) as exc:
        services.report_save(
            by=ent,
            project=started,
            year=YEAR,
            month=MONTH,
            data=data(investment_wan=Decimal("600")),
        )
    assert exc.value.fields["investment_wan"] == [
        "本月完成投资600.00万元后累计为10,100.00万元，超过项目总投资10,000.00万元："
        "请核对金额和单位（万元）"
    ]
    assert not MonthlyReport.objects.filter(month=MONTH).exists()


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"investment_wan": None}, "investment_wan", "请填写本月完成投资（没有投资填0）"),
        ({"progress_percent": None}, "progress_percent", "请填写形象进度（0至100）"),
        ({"progress_percent": 101}, "progress_percent", "形象进度应为0至100"),
        ({"output_wan": Decimal("5")}, "output_wan", "项目尚未投产，不填本月产值"),
        ({"jobs": -1}, "jobs", "用工人数不能为负数"),
    ],
)
def test_bad_values_are_refused_with_the_field_and_reason(world, started, over, field, message):
    with pytest.raises(ValidationFailed) as exc:
        services.report_save(
            by=world.user("enterprise"), project=started, year=YEAR, month=MONTH, data=data(**over)
        )
    assert exc.value.fields[field] == [message]
    assert not MonthlyReport.objects.exists()


def test_months_and_projects_that_take_no_report(world, started):
    ent = world.user("enterprise")
    with pytest.raises(ValidationFailed, match="2027年1月还没到，不能预先填报"):
        services.report_save(by=ent, project=started, year=2027, month=1, data=data())
    reserve = world.project_b
    with pytest.raises(PermissionDenied):  # not the enterprise's project
        services.report_save(by=ent, project=reserve, year=YEAR, month=MONTH, data=data())
    with pytest.raises(ValidationFailed, match="项目处于“储备”阶段，不需要填报月报"):
        services.report_save(
            by=world.user("city_office"), project=reserve, year=YEAR, month=MONTH, data=data()
        )


def test_a_stale_form_gets_a_conflict(world, started):
    ent, zone = world.user("enterprise"), world.user("zone")
    services.report_save(by=ent, project=started, year=YEAR, month=MONTH, data=data(), version=0)
    # The zone officer opened the page before the enterprise saved (version 0).
    with pytest.raises(Conflict, match="该月报已被他人修改，请刷新后重试"):
        services.report_save(
            by=zone, project=started, year=YEAR, month=MONTH, data=data(), version=0
        )


def test_review_refusals(world, started):
    ent, county = world.user("enterprise"), world.user("county")
    draft = services.report_save(by=ent, project=started, year=YEAR, month=MONTH, data=data())
    with pytest.raises(ValidationFailed, match="只有已报送的月报可以审核通过"):
        services.report_review(by=county, report=draft, accept=True)
    sent = services.report_save(
        by=ent, project=started, year=YEAR, month=MONTH, data=data(), submit=True
    )
    with pytest.raises(ValidationFailed, match="退回时请写明原因，填报人会看到"):
        services.report_review(by=county, report=sent, accept=False, reason="  ")
    with pytest.raises(PermissionDenied):
        services.report_review(by=ent, report=sent, accept=True)
    with pytest.raises(PermissionDenied):  # the zone files, the county reviews
        services.report_review(by=world.user("zone"), report=sent, accept=True)


def test_closing_locks_the_month_and_the_city_reopens_one_report(world, started):
    ent, county, city = world.user("enterprise"), world.user("county"), world.user("city_office")
    sent = services.report_save(
        by=ent, project=started, year=YEAR, month=MONTH, data=data(), submit=True
    )
    accepted = services.report_review(by=county, report=sent, accept=True)
    with pytest.raises(PermissionDenied):
        services.month_close(by=county, year=YEAR, month=MONTH)
    services.month_close(by=city, year=YEAR, month=MONTH)
    with pytest.raises(ValidationFailed, match="2026年10月已关账，月报已锁定"):
        services.report_save(by=ent, project=started, year=YEAR, month=MONTH, data=data())
    with pytest.raises(ValidationFailed, match="重新打开月报时请写明原因"):
        services.report_reopen(by=city, report=accepted, reason="")
    reopened = services.report_reopen(by=city, report=accepted, reason="统计局核减")
    assert reopened.status == "returned"
    fixed = services.report_save(
        by=ent,
        project=started,
        year=YEAR,
        month=MONTH,
        data=data(investment_wan=Decimal("1000")),
        submit=True,
    )
    assert fixed.status == "submitted"
    assert AuditLog.objects.filter(message="重新打开2026年10月月报").exists()
    assert AuditLog.objects.filter(message="2026年10月关账").exists()
    with pytest.raises(ValidationFailed, match="尚未结束，不能关账"):
        services.month_close(by=city, year=2026, month=12)


def test_month_rows_say_who_has_reported(world, started):
    ent = world.user("enterprise")
    rows = selectors.month_rows(user=world.user("city_office"), year=YEAR, month=MONTH)
    assert [(p.pk, p.report_status) for p in rows] == [(started.pk, "missing")]
    services.report_save(by=ent, project=started, year=YEAR, month=MONTH, data=data(), submit=True)
    counts = selectors.month_counts(user=world.user("county"), year=YEAR, month=MONTH)
    assert counts == {"missing": 0, "draft": 0, "submitted": 1, "accepted": 0, "returned": 0}
    # Not signed by the month's end: owes nothing for it.
    assert list(selectors.month_rows(user=world.user("city_office"), year=2025, month=12)) == []
    # Each sees its own: the enterprise and the zone project A; county B's officer nothing.
    for role in ("enterprise", "zone"):
        rows = selectors.month_rows(user=world.user(role), year=YEAR, month=MONTH)
        assert [p.pk for p in rows] == [started.pk]
    from sanpi.accounts.tests.factories import UserFactory

    county_b = UserFactory(username="county_b", role="county", county=world.county_b)
    assert list(selectors.month_rows(user=county_b, year=YEAR, month=MONTH)) == []


def test_a_month_that_has_not_begun_is_refused_for_every_caller(db):
    """The service refuses it (the web, the API and the jobs all come through it)."""
    with pytest.raises(ValidationFailed) as exc:
        services.month_get(2027, 1)
    assert exc.value.fields == {"month": ["2027年1月还没到，不能预先填报"]}
    with pytest.raises(ValidationFailed, match="月份应为1至12"):
        services.month_get(2026, 13)


def test_annual_plan_set_by_the_county(world, started):
    county = world.user("county")
    plan = services.plan_set(by=county, project=started, year=2026, amount=Decimal("4000"))
    assert plan.planned_investment_wan == Decimal("4000")
    with pytest.raises(ValidationFailed, match="超过项目总投资"):
        services.plan_set(by=county, project=started, year=2026, amount=Decimal("10000.01"))
    with pytest.raises(PermissionDenied):
        services.plan_set(
            by=world.user("enterprise"), project=started, year=2026, amount=Decimal(1)
        )
    assert len(mail.outbox) == 0


def test_an_accepted_month_has_the_health_rules_judge_the_project_again(world, started):
    """Accepting a month is a new fact: the health rules run at once (a lagging project
    whose report shows investment again may recover; here: the verdict is recorded)."""
    from sanpi.health.models import HealthState

    ent, county = world.user("enterprise"), world.user("county")
    sent = services.report_save(
        by=ent, project=started, year=YEAR, month=MONTH, data=data(), submit=True
    )
    assert not HealthState.objects.filter(project=started).exists()
    services.report_review(by=county, report=sent, accept=True)
    assert HealthState.objects.filter(project=started).exists()
