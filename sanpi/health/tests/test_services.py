"""Evaluating projects against their monthly reports, overrides that hold until the facts
change, and the thresholds the city office tunes."""

from __future__ import annotations

import datetime as dt

import pytest

from sanpi.core.errors import NotFound, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.health import services
from sanpi.health.models import HealthOverride, HealthSettings, HealthState
from sanpi.health.rules import Rule
from sanpi.health.tests.factories import TODAY, at_stage, report
from sanpi.projects.models import Project, ProjectEvent
from sanpi.projects.services import project_advance_stage

D = dt.date


def _health(project) -> str:
    return Project.objects.get(pk=project.pk).health


# --- each rule, on the database -----------------------------------------------------------


def test_signed_180_days_ago_is_normal_181_lagging_with_the_rule_said(world):
    p = at_stage(world.project_a, stage="signed", signed=TODAY - dt.timedelta(days=180))
    assert services.evaluate_project(p, today=TODAY).health == "normal"
    assert not ProjectEvent.objects.filter(project=p, kind="health").exists()
    state = HealthState.objects.get(project=p)
    assert (state.health, state.rule, state.reason, state.since) == (
        "normal",
        "",
        "未触发预警规则",
        TODAY,
    )

    p = at_stage(world.project_a, stage="signed", signed=TODAY - dt.timedelta(days=181))
    verdict = services.evaluate_project(p, today=TODAY)
    assert (verdict.health, verdict.rule) == ("lagging", Rule.SIGNED_IDLE)
    assert _health(p) == "lagging"
    event = ProjectEvent.objects.get(project=p, kind="health")
    assert (event.value, event.date, event.recorded_by) == ("lagging", TODAY, None)
    assert event.evidence == "【签约未开工】2025-12-21签约，超过180天（2026-06-19）仍未开工"
    row = AuditLog.objects.filter(object_type="projects.project", object_id=str(p.pk)).latest("id")
    assert row.username == "system:health" and row.user is None
    assert (row.before, row.after) == ({"health": "normal"}, {"health": "lagging"})
    assert row.message == f"推进状态改为“进度滞后”（2026-06-20）{event.evidence}"
    state = HealthState.objects.get(project=p)
    assert (state.health, state.rule) == ("lagging", "signed_idle")


def test_three_months_with_no_or_zero_investment_stall_a_project(world):
    p = at_stage(world.project_a)  # started 1 January 2026; through May
    report(p, 2026, 1, 500)
    report(p, 2026, 2, 300)
    report(p, 2026, 3, 0)  # zero
    # April: none; May: reported but not accepted, so not counted.
    report(p, 2026, 5, 900, status="submitted")
    verdict = services.evaluate_project(p, today=TODAY)
    assert (verdict.health, verdict.rule) == ("stalled", Rule.NO_INVESTMENT)
    assert verdict.reason == "自2026年3月起连续3个月未报完成投资（满3个月判为停滞）"
    assert _health(p) == "stalled"


def test_two_months_without_after_one_with_investment_is_normal(world):
    p = at_stage(world.project_a)
    report(p, 2026, 1, 0)
    report(p, 2026, 2, 0)
    report(p, 2026, 3, 120)  # one month with investment breaks the run
    report(p, 2026, 4, 0)
    report(p, 2026, 5, "-20")  # a correction below zero is no investment
    assert services.evaluate_project(p, today=TODAY).health == "normal"


def test_the_previous_month_counts_once_due_or_accepted(world):
    p = at_stage(world.project_a)
    for month in (1, 2):
        report(p, 2026, month, 100)
    # 3 June: May's report is not due yet (deadline 5 June): March, April only.
    assert services.evaluate_project(p, today=D(2026, 6, 3)).health == "normal"
    # May reported (zero) and accepted early: counted.
    report(p, 2026, 5, 0)
    assert services.evaluate_project(p, today=D(2026, 6, 3)).health == "stalled"


def test_fifteen_months_without_investment_is_long_stalled(world):
    p = at_stage(world.project_a, signed=D(2024, 6, 1), started=D(2025, 1, 1))
    report(p, 2025, 3, 100)  # then 14 months without, through May 2026
    assert services.evaluate_project(p, today=TODAY).health == "stalled"
    p2 = at_stage(world.project_b, signed=D(2024, 6, 1), started=D(2025, 1, 1))
    report(p2, 2025, 2, 100)  # then 15 months without
    verdict = services.evaluate_project(p2, today=TODAY)
    assert (verdict.health, verdict.rule) == ("zombie", Rule.LONG_STALL)
    assert _health(p2) == "zombie"


def test_more_than_twenty_percent_behind_the_line_is_lagging(world):
    # Started 1 January, to complete 28 October (300 days); on 31 May half the line:
    # 5,000 of 10,000 万元; 20% behind is 4,000.
    p = at_stage(world.project_a, planned=D(2026, 10, 28), total="10000")
    for month in (1, 2, 3, 4):
        report(p, 2026, month, 900)
    may = report(p, 2026, 5, 400)  # 4,000 in all: exactly 20% behind
    assert services.evaluate_project(p, today=TODAY).health == "normal"
    may.investment_wan = may.investment_wan - 1
    may.save()
    verdict = services.evaluate_project(p, today=TODAY)
    assert (verdict.health, verdict.rule) == ("lagging", Rule.BEHIND_LINE)
    assert "累计完成投资3,999.00万元" in verdict.reason and "落后20.0%" in verdict.reason


def test_withdrawn_projects_are_left_alone(world):
    p = at_stage(world.project_a, stage="signed", signed=D(2020, 1, 1), health="withdrawn")
    verdict = services.evaluate_project(p, today=TODAY)
    assert verdict.health == "withdrawn" and _health(p) == "withdrawn"
    assert not ProjectEvent.objects.filter(project=p).exists()


def test_a_recovered_project_goes_back_to_normal(world):
    p = at_stage(world.project_a)
    report(p, 2026, 1, 100)
    assert services.evaluate_project(p, today=TODAY).health == "stalled"
    report(p, 2026, 5, 100)
    assert services.evaluate_project(p, today=TODAY).health == "normal"
    events = list(
        ProjectEvent.objects.filter(project=p, kind="health").values_list("value", flat=True)
    )
    assert events == ["stalled", "normal"]
    assert HealthState.objects.get(project=p).rule == ""


# --- overrides ------------------------------------------------------------------------------


def test_an_override_holds_until_the_facts_change(world):
    county = world.user("county")
    p = at_stage(world.project_a)
    report(p, 2026, 1, 100)
    assert services.evaluate_project(p, today=TODAY).health == "stalled"

    override = services.override_set(
        by=county, project=p, health="normal", reason="已复工，资金到位", today=TODAY
    )
    assert _health(p) == "normal" and override.active and override.created_by == county
    state = HealthState.objects.get(project=p)
    assert (state.rule, state.reason) == ("override", "人工认定：已复工，资金到位")
    event = ProjectEvent.objects.filter(project=p, kind="health").latest("id")
    assert (event.value, event.evidence, event.recorded_by) == (
        "normal",
        "人工认定：已复工，资金到位",
        county,
    )
    logged = AuditLog.objects.get(object_type="health.healthoverride", action="create")
    assert logged.user == county and "已复工，资金到位" in logged.message

    # The rules say stalled, but the override holds: evaluated again, nightly, later.
    assert services.evaluate_project(p, today=TODAY).rule == Rule.OVERRIDE
    services.evaluate_all(today=D(2026, 7, 20))
    assert _health(p) == "normal"

    # A new accepted report (zero, still no investment): the facts changed.
    report(p, 2026, 6, 0)
    verdict = services.evaluate_project(p, today=D(2026, 7, 20))
    assert (verdict.health, verdict.rule) == ("stalled", Rule.NO_INVESTMENT)
    override.refresh_from_db()
    assert override.ended_at is not None and override.ended_reason == services.FACTS_CHANGED
    ended = AuditLog.objects.filter(object_type="health.healthoverride", action="update").get()
    assert ended.username == "system:health" and services.FACTS_CHANGED in ended.message


def test_a_stage_move_ends_an_override(world):
    city = world.user("city_office")
    p = at_stage(world.project_a, stage="signed", signed=D(2025, 1, 1))
    assert services.evaluate_project(p, today=TODAY).health == "lagging"
    services.override_set(by=city, project=p, health="normal", reason="正在办理施工许可")
    assert services.evaluate_project(p, today=TODAY).health == "normal"
    project_advance_stage(by=city, project=p, to_stage="started", date=D(2026, 6, 1))
    verdict = services.evaluate_project(p, today=TODAY)
    assert verdict.health == "normal" and verdict.rule == ""  # started: the rules again
    assert not HealthOverride.objects.filter(ended_at__isnull=True).exists()


def test_a_new_override_replaces_the_one_in_force_and_can_be_lifted(world):
    city = world.user("city_office")
    p = at_stage(world.project_a)
    report(p, 2026, 1, 100)
    first = services.override_set(
        by=city, project=p, health="lagging", reason="资金紧张", today=TODAY
    )
    second = services.override_set(
        by=city, project=p, health="normal", reason="已复工", today=TODAY
    )
    first.refresh_from_db()
    assert first.ended_reason == "被新的人工认定取代" and second.active
    assert HealthOverride.objects.filter(project=p, ended_at__isnull=True).count() == 1
    verdict = services.override_clear(by=city, project=p, today=TODAY)
    assert verdict.health == "stalled" and _health(p) == "stalled"
    second.refresh_from_db()
    assert second.ended_reason == f"由{city}取消"
    with pytest.raises(ValidationFailed, match="该项目没有生效的人工认定"):
        services.override_clear(by=city, project=p, today=TODAY)


def test_an_override_needs_a_reason_the_right_and_the_scope(world):
    p = at_stage(world.project_a)
    county = world.user("county")
    with pytest.raises(ValidationFailed) as exc:
        services.override_set(by=county, project=p, health="normal", reason="  ")
    assert exc.value.fields == {"reason": ["请写明人工认定的理由（如：已复工，资金到位）"]}
    with pytest.raises(ValidationFailed, match="请选择推进状态"):
        services.override_set(by=county, project=p, health="sleeping", reason="x")
    with pytest.raises(ValidationFailed, match="理由最多300字"):
        services.override_set(by=county, project=p, health="normal", reason="长" * 301)
    for role in ("leader", "enterprise", "admin"):
        with pytest.raises(PermissionDenied):
            services.override_set(by=world.user(role), project=p, health="normal", reason="x")
    with pytest.raises(NotFound):
        services.override_set(by=county, project=world.project_b, health="normal", reason="x")
    assert not HealthOverride.objects.exists() and not AuditLog.objects.exists()


def test_withdrawing_a_project_ends_its_override(world):
    city = world.user("city_office")
    p = at_stage(world.project_a)
    services.override_set(by=city, project=p, health="normal", reason="已复工", today=TODAY)
    Project.objects.filter(pk=p.pk).update(health="withdrawn")  # through projects:health
    assert services.evaluate_project(p, today=TODAY).health == "withdrawn"
    assert HealthOverride.objects.get().ended_reason == services.WITHDRAWN_ENDS


# --- thresholds -----------------------------------------------------------------------------


def test_thresholds_are_the_defaults_until_the_city_office_changes_them(world):
    assert services.settings_get().thresholds() == services.rules.Thresholds()
    city = world.user("city_office")
    row, changed = services.settings_update(by=city, signed_days=200, counting_from=D(2026, 1, 1))
    assert changed and row.pk == 1 and row.updated_by == city
    logged = AuditLog.objects.get(object_type="health.healthsettings")
    assert logged.before["signed_days"] == 180 and logged.after["signed_days"] == 200
    assert logged.after["counting_from"] == "2026-01-01"
    assert logged.message == "修改推进状态预警规则的阈值（此前为默认值）"
    assert services.settings_update(by=city, signed_days=200)[1] is False
    assert AuditLog.objects.count() == 1

    # The new threshold applies: signed 190 days ago is normal now.
    p = at_stage(world.project_a, stage="signed", signed=TODAY - dt.timedelta(days=190))
    assert services.evaluate_project(p, today=TODAY).health == "normal"


def test_thresholds_refused_for_other_roles_and_bad_values(world):
    for role in ("county", "zone", "leader", "enterprise", "admin", "auditor"):
        with pytest.raises(PermissionDenied):
            services.settings_update(by=world.user(role), signed_days=200)
    city = world.user("city_office")
    with pytest.raises(ValidationFailed) as exc:
        services.settings_update(by=city, stall_months=0, behind_percent=95)
    assert exc.value.fields == {
        "stall_months": ["连续无投资月数应为1至24之间的整数，实为0"],
        "behind_percent": ["投资落后比例应为1至90之间的整数，实为95"],
    }
    with pytest.raises(ValidationFailed, match="起算月份应为某月的1日"):
        services.settings_update(by=city, counting_from=D(2026, 1, 15))
    assert not HealthSettings.objects.exists() and not AuditLog.objects.exists()


# --- the nightly run ------------------------------------------------------------------------


def test_evaluate_all_reads_a_chunk_in_one_query(world, django_assert_max_num_queries):
    from sanpi.projects.tests.factories import ProjectFactory

    def make(n):
        for _ in range(n):
            p = at_stage(ProjectFactory(county=world.county_a))
            report(p, 2026, 1, 100)

    make(3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        summary = services.evaluate_all(today=TODAY)
    assert (summary.evaluated, summary.changed) == (5, 3) and summary.to == {"stalled": 3}
    make(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        summary = services.evaluate_all(today=TODAY)
    assert (summary.evaluated, summary.changed) == (25, 20)
    reads = [q for q in few.captured_queries if "monthly" in q["sql"] and "SELECT" in q["sql"]]
    assert len(reads) == 1  # one chunk, one read

    # Chunks of 10: three reads, the same outcome, nothing left to change.
    Project.objects.filter(stage="started").update(health="normal")
    summary = services.evaluate_all(today=TODAY, chunk=10)
    assert (summary.evaluated, summary.changed) == (25, 23)
    assert Project.objects.filter(health="stalled").count() == 23
    assert services.evaluate_all(today=TODAY).changed == 0


def test_a_status_recorded_by_hand_holds_through_the_nightly_run(world):
    """The ledger's health form and the API record health through `project_set_health`:
    a person's judgement, kept as an override until the facts change, so the nightly
    evaluation does not undo it."""
    from sanpi.projects.services import project_set_health

    county = world.user("county")
    p = at_stage(world.project_a)
    report(p, 2026, 1, 100)
    assert services.evaluate_project(p, today=TODAY).health == "stalled"
    project_set_health(by=county, project=p, health="normal", date=TODAY, evidence="已复工")
    kept = HealthOverride.objects.get(ended_at__isnull=True)
    assert (kept.health, kept.reason, kept.created_by) == ("normal", "已复工", county)
    services.evaluate_all(today=D(2026, 7, 20))
    assert _health(p) == "normal"
    report(p, 2026, 6, 0)  # a new accepted month: the facts changed, the rules again
    assert services.evaluate_project(p, today=D(2026, 7, 20)).health == "stalled"
    # The rules' own change made no override of its own.
    assert not HealthOverride.objects.filter(ended_at__isnull=True).exists()


def test_a_status_recorded_again_by_hand_replaces_the_kept_one_audited(world):
    from sanpi.projects.services import project_set_health

    county = world.user("county")
    p = at_stage(world.project_a)
    project_set_health(by=county, project=p, health="lagging", date=TODAY, evidence="资金紧张")
    first = HealthOverride.objects.get(ended_at__isnull=True)
    project_set_health(by=county, project=p, health="normal", date=TODAY, evidence="  ")
    first.refresh_from_db()
    assert first.ended_reason == "被新的人工登记取代"
    kept = HealthOverride.objects.get(ended_at__isnull=True)
    assert (kept.health, kept.reason) == ("normal", "人工登记")
    ended = AuditLog.objects.get(object_type="health.healthoverride", action="update")
    assert ended.object_id == str(first.pk) and ended.user == county
