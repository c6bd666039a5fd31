"""The official calendar in the database: seeded from the package, read through
official_calendar(), changed by audited services with a confirm step for moved deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template

from sanpi.core import calendar, calendar_seed
from sanpi.core.apps import sync_calendar
from sanpi.core.calendar import (
    ConfirmationRequired,
    calendar_day_remove,
    calendar_days_set,
    calendar_year_set,
    coverage_warnings,
    official_calendar,
    workdays_add,
    workdays_between,
)
from sanpi.core.errors import NotFound, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog, CalendarDay, CalendarYear
from sanpi.core.workdays import WorkdayAnswer

# Only the deadline sources a test registers itself, not those of the installed apps.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("deadline_sources")]
D = dt.date
LAST = max(calendar_seed.package_schedule())  # 2026 with chinesecalendar 1.11


# --- the rules on real dates, from the seeded database ---------------------------------------


def test_the_migration_seeded_every_package_year():
    years = CalendarYear.objects.filter(covered=True, source="package")
    assert set(years.values_list("year", flat=True)) == set(range(2004, LAST + 1))
    assert years.get(year=2021).basis.startswith("chinesecalendar ")
    national_day = CalendarDay.objects.filter(date__range=(D(2021, 10, 1), D(2021, 10, 7)))
    assert {d.name for d in national_day} == {"国庆节"}
    assert CalendarDay.objects.get(date=D(2021, 9, 26)).get_kind_display() == "调休上班"


def test_national_day_2021_and_its_adjusted_sunday():
    cal = official_calendar()
    assert cal.is_working_day(D(2021, 9, 26))  # Sunday, 调休
    assert not any(cal.is_working_day(D(2021, 10, d)) for d in range(1, 8))
    assert cal.is_working_day(D(2021, 10, 9))  # Saturday, 调休
    answer = workdays_add(D(2021, 9, 30), 1)
    assert answer.value == D(2021, 10, 8) and not answer.provisional
    assert workdays_add(D(2021, 9, 24), 1).value == D(2021, 9, 26)
    assert workdays_between(D(2021, 9, 30), D(2021, 10, 8)).value == 1


def test_spring_festival_week_low_risk_fast_track():
    # 13 working days from Friday 2021-02-05 across 春节 (02-11..17 off, 02-07 and 02-20 on).
    answer = workdays_add(D(2021, 2, 5), 13)
    assert answer.value == D(2021, 3, 1)
    assert workdays_between(D(2021, 2, 5), D(2021, 3, 1)).value == 13


def test_adjusted_weekend_2023_labour_day():
    # 劳动节 2023: 04-29..05-03 off; Sunday 04-23 and Saturday 05-06 on.
    cal = official_calendar()
    assert cal.is_working_day(D(2023, 4, 23)) and cal.is_working_day(D(2023, 5, 6))
    assert not cal.is_working_day(D(2023, 5, 2))
    assert workdays_add(D(2023, 4, 28), 1).value == D(2023, 5, 4)


def test_year_boundary():
    answer = workdays_add(D(2021, 12, 31), 1)  # 2022-01-01..03 元旦
    assert answer.value == D(2022, 1, 4) and not answer.provisional
    assert workdays_between(D(2021, 12, 30), D(2022, 1, 4)).value == 2


def test_uncovered_year_is_weekends_only_and_provisional():
    after = LAST + 1
    answer = workdays_add(D(LAST, 12, 30), 10)
    assert answer.provisional and answer.uncovered_years == (after,)
    assert answer.note() == f"{after}年节假日安排未录入，按周末推算"
    inside = workdays_add(D(after, 3, 2), 10)
    assert (inside.value - D(after, 3, 2)).days == 14 and inside.provisional
    assert workdays_between(D(after, 1, 1), D(after, 1, 31)).provisional


def test_bad_input_is_refused_in_chinese():
    with pytest.raises(ValidationFailed, match="不能为负数"):
        workdays_add(D(2021, 1, 1), -1)
    with pytest.raises(ValidationFailed, match="不能超过"):
        workdays_add(D(2021, 1, 1), calendar.MAX_WORKDAYS + 1)
    with pytest.raises(ValidationFailed, match="1900年至2200年"):
        workdays_add(D(9999, 1, 1), 1)
    with pytest.raises(ValidationFailed, match="格式不对"):
        calendar.parse_date("2021/09/26")
    with pytest.raises(ValidationFailed, match="不是有效的日期"):
        calendar.parse_date("2021-02-29")
    with pytest.raises(ValidationFailed, match="须为整数"):
        calendar.parse_count("三")
    assert calendar.parse_date(" 2021-09-26 ") == D(2021, 9, 26)


# --- seeding and re-seeding -----------------------------------------------------------------


def test_sync_adds_missing_years_and_keeps_administrator_edits(world):
    city = world.user("city_office")
    calendar_days_set(by=city, start=D(2026, 10, 9), kind="holiday", name="更正")
    CalendarDay.objects.filter(date__year=2026, source="package").delete()
    CalendarYear.objects.filter(year=2026).delete()
    CalendarYear.objects.filter(year=2025).update(covered=False, source="admin")

    assert sync_calendar(None, verbosity=0) is None
    assert CalendarYear.objects.get(year=2026).covered
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).source == "package"
    kept = CalendarDay.objects.get(date=D(2026, 10, 9))
    assert (kept.name, kept.source) == ("更正", "admin")  # never overwritten
    assert not CalendarYear.objects.get(year=2025).covered  # an administrator's decision stays
    # Nothing left to do: a second sync writes nothing.
    assert calendar_seed.sync_from_package(CalendarDay, CalendarYear) == []
    assert not official_calendar().is_working_day(D(2026, 10, 1))


def test_package_schedule_lists_whole_holiday_periods():
    schedule = calendar_seed.package_schedule()
    assert schedule[2021][D(2021, 10, 2)] == ("holiday", "国庆节")  # a Saturday inside the week
    assert schedule[2021][D(2021, 9, 26)] == ("workday", "国庆节")
    assert all(
        kind == "holiday" or day.weekday() >= 5
        for days in schedule.values()
        for day, (kind, _) in days.items()
    )


# --- editing: at once, audited, permissions ---------------------------------------------------


def test_an_administrator_correction_is_seen_at_once_and_audited(world):
    admin = world.user("admin")
    assert official_calendar().is_working_day(D(2021, 10, 8))
    calendar_days_set(by=admin, start=D(2021, 10, 8), kind="holiday", name="国庆节（更正）")
    assert not official_calendar().is_working_day(D(2021, 10, 8))
    assert workdays_add(D(2021, 9, 30), 1).value == D(2021, 10, 9)
    row = AuditLog.objects.get(object_type="core.calendarday", object_id="2021-10-08")
    assert (row.action, row.user, row.before) == ("create", admin, None)
    assert row.after["kind"] == "holiday" and row.after["source"] == "admin"

    calendar_day_remove(by=admin, day=D(2021, 10, 8))
    assert official_calendar().is_working_day(D(2021, 10, 8))
    deleted = AuditLog.objects.get(object_id="2021-10-08", action="delete")
    assert deleted.before["name"] == "国庆节（更正）" and deleted.after is None


def test_correcting_a_package_day_updates_it(world):
    city = world.user("city_office")
    calendar_days_set(by=city, start=D(2021, 10, 9), kind="workday", name="国庆节调休")
    day = CalendarDay.objects.get(date=D(2021, 10, 9))
    assert (day.name, day.source) == ("国庆节调休", "admin")
    row = AuditLog.objects.get(object_id="2021-10-09")
    assert row.action == "update" and row.before["name"] == "国庆节"
    with pytest.raises(ValidationFailed, match="没有需要保存的修改"):
        calendar_days_set(by=city, start=D(2021, 10, 9), kind="workday", name="国庆节调休")


def test_entering_next_years_schedule(world, on_day):
    """The State Council publishes next year's schedule: enter it, mark the year covered."""
    after = LAST + 1
    city = world.user("city_office")
    on_day(D(LAST, 11, 2))
    assert len(coverage_warnings(city)) == 1
    days = calendar_days_set(
        by=city, start=D(after, 10, 1), end=D(after, 10, 7), kind="holiday", name="国庆节"
    )
    assert len(days) == 7
    assert AuditLog.objects.filter(object_type="core.calendarday", action="create").count() == 7
    answer = workdays_add(D(after, 9, 30), 1)
    assert answer.value == D(after, 10, 8) and answer.provisional  # entered, not yet covered
    year = calendar_year_set(by=city, year=after, covered=True, basis="国办发明电〔示例〕")
    assert year.covered and year.source == "admin"
    answer = workdays_add(D(after, 9, 30), 1)
    assert answer.value == D(after, 10, 8) and not answer.provisional
    assert coverage_warnings(city) == []
    row = AuditLog.objects.get(object_type="core.calendaryear", object_id=str(after))
    assert row.after["covered"] is True and row.after["basis"] == "国办发明电〔示例〕"
    # and back: an administrator may withdraw it
    calendar_year_set(by=city, year=after, covered=False)
    assert workdays_add(D(after, 9, 30), 1).provisional


def test_edits_are_validated(world):
    city = world.user("city_office")
    with pytest.raises(ValidationFailed, match="只能设在周六或周日") as exc:
        calendar_days_set(by=city, start=D(2030, 5, 6), kind="workday", name="x")  # a Monday
    assert "kind" in exc.value.fields
    with pytest.raises(ValidationFailed, match="不能早于"):
        calendar_days_set(by=city, start=D(2030, 5, 6), end=D(2030, 5, 1), kind="holiday", name="x")
    with pytest.raises(ValidationFailed, match="一次最多"):
        calendar_days_set(
            by=city, start=D(2030, 1, 1), end=D(2030, 12, 31), kind="holiday", name="x"
        )
    with pytest.raises(ValidationFailed, match="节日名称"):
        calendar_days_set(by=city, start=D(2030, 5, 6), kind="holiday", name="  ")
    with pytest.raises(ValidationFailed, match="类型"):
        calendar_days_set(by=city, start=D(2030, 5, 6), kind="party", name="x")
    with pytest.raises(ValidationFailed, match="还没有录入任何放假日期"):
        calendar_year_set(by=city, year=2031, covered=True)
    with pytest.raises(ValidationFailed, match="1900年至2200年"):
        calendar_year_set(by=city, year=3000, covered=False)
    with pytest.raises(ValidationFailed, match="没有需要保存的修改"):
        calendar_year_set(by=city, year=2021, covered=True)
    with pytest.raises(NotFound, match="没有2030-05-06的记录"):
        calendar_day_remove(by=city, day=D(2030, 5, 6))
    assert not AuditLog.objects.filter(object_type__startswith="core.calendar").exists()


@pytest.mark.parametrize("role", ["leader", "county", "zone", "enterprise", "auditor"])
def test_only_capability_holders_may_edit(world, role):
    user = world.user(role)
    with pytest.raises(PermissionDenied):
        calendar_days_set(by=user, start=D(2030, 5, 6), kind="holiday", name="x")
    with pytest.raises(PermissionDenied):
        calendar_day_remove(by=user, day=D(2021, 10, 4))
    with pytest.raises(PermissionDenied):
        calendar_year_set(by=user, year=2030, covered=False)
    # …but every role may compute.
    assert workdays_add(D(2021, 9, 30), 1).value == D(2021, 10, 8)
    assert CalendarDay.objects.filter(date=D(2021, 10, 4)).exists()


# --- "show which open items move, and ask" ---------------------------------------------------


def test_a_change_that_moves_deadlines_needs_confirmation(world, deadline_sources):
    source = deadline_sources(
        [("甲新材料项目 · 施工许可", D(2021, 9, 30), 1), ("乙项目 · 环评", D(2021, 3, 1), 5)]
    )
    city = world.user("city_office")
    with pytest.raises(ConfirmationRequired) as exc:
        calendar_days_set(by=city, start=D(2021, 10, 8), kind="holiday", name="国庆节")
    error = exc.value
    assert error.status == 409 and error.code == "confirmation_required"
    assert [m.label for m in error.moved] == ["甲新材料项目 · 施工许可"]
    assert "甲新材料项目 · 施工许可：2021-10-08 → 2021-10-09" in error.message
    assert "1项未办结事项" in error.message
    assert error.fields["confirm"] == ["甲新材料项目 · 施工许可：2021-10-08 → 2021-10-09"]
    # Nothing saved, nothing audited, the calendar unchanged.
    assert not CalendarDay.objects.filter(date=D(2021, 10, 8)).exists()
    assert not AuditLog.objects.filter(object_type="core.calendarday").exists()
    assert official_calendar().is_working_day(D(2021, 10, 8))

    calendar_days_set(by=city, start=D(2021, 10, 8), kind="holiday", name="国庆节", confirm=True)
    assert workdays_add(D(2021, 9, 30), 1).value == D(2021, 10, 9)
    row = AuditLog.objects.get(object_type="core.calendarday", object_id="2021-10-08")
    assert "1项未办结事项的期限随之改变" in row.message
    assert source.calls == 2


def test_a_removal_that_moves_deadlines_needs_confirmation(world, deadline_sources):
    deadline_sources([("甲项目 · 规划许可", D(2021, 9, 24), 1)])  # due on the 调休 Sunday
    admin = world.user("admin")
    with pytest.raises(ConfirmationRequired, match="2021-09-26 → 2021-09-27"):
        calendar_day_remove(by=admin, day=D(2021, 9, 26))
    assert CalendarDay.objects.filter(date=D(2021, 9, 26)).exists()
    calendar_day_remove(by=admin, day=D(2021, 9, 26), confirm=True)
    assert not official_calendar().is_working_day(D(2021, 9, 26))


def test_a_change_that_moves_nothing_saves_without_asking(world, deadline_sources):
    source = deadline_sources([("甲项目 · 规划许可", D(2021, 3, 1), 3)])
    calendar_days_set(by=world.user("admin"), start=D(2021, 10, 8), kind="holiday", name="x")
    assert source.calls == 1
    assert CalendarDay.objects.filter(date=D(2021, 10, 8)).exists()


def test_many_moved_deadlines_are_summarised(world, deadline_sources):
    deadline_sources([(f"项目{i} · 施工许可", D(2021, 9, 30), 1) for i in range(25)])
    with pytest.raises(ConfirmationRequired) as exc:
        calendar_days_set(by=world.user("admin"), start=D(2021, 10, 8), kind="holiday", name="x")
    assert "25项未办结事项" in exc.value.message and "等25项" in exc.value.message
    assert len(exc.value.fields["confirm"]) == 25


# --- the cache --------------------------------------------------------------------------------


def test_the_calendar_is_cached_until_it_changes(world, django_assert_num_queries):
    official_calendar()
    with django_assert_num_queries(0):
        assert official_calendar() is official_calendar()
    calendar.calendar_changed()
    with django_assert_num_queries(2):
        official_calendar()


def test_a_lost_cache_rebuilds(world, settings):
    first = official_calendar()
    from django.core.cache import cache

    cache.clear()
    assert official_calendar() is not first


# --- the warning and the provisional note ---------------------------------------------------


def test_warning_from_1_november_for_those_who_keep_the_calendar(world, on_day):
    after = LAST + 1
    on_day(D(LAST, 10, 31))
    assert coverage_warnings(world.user("city_office")) == []
    on_day(D(LAST, 11, 1))
    for role in ("city_office", "admin"):
        (warning,) = coverage_warnings(world.user(role))
        assert warning.startswith(f"{after}年节假日安排未录入，")
    for role in ("leader", "county", "zone", "enterprise", "auditor"):
        assert coverage_warnings(world.user(role)) == []
    # A year that is already under way without a schedule is warned about at once.
    on_day(D(after, 3, 1))
    assert len(coverage_warnings(world.user("admin"))) == 1


def _render(text: str, **context) -> str:
    return Template("{% load calendar_tags %}" + text).render(Context(context))


def test_template_filters_mark_provisional_answers():
    firm = WorkdayAnswer(D(2021, 10, 8), False)
    guess = WorkdayAnswer(D(2027, 3, 16), True, (2027,))
    assert _render("{{ a|workday }}", a=firm) == "2021-10-08"
    assert _render("{{ a|workday }}", a=guess) == "2027-03-16（2027年节假日安排未录入，按周末推算）"
    assert _render("{{ a|workday }}", a=WorkdayAnswer(12, True, (2027, 2028))) == (
        "12（2027年、2028年节假日安排未录入，按周末推算）"
    )
    assert _render("{{ a|provisional_note }}", a=firm) == ""
    assert _render("{{ a|provisional_note }}", a=guess) == "（2027年节假日安排未录入，按周末推算）"
    assert _render("{{ a|workday }}", a=None) == ""


@pytest.mark.django_db(transaction=True)
def test_the_calendar_survives_a_flush():
    """Transactional tests end with a flush; its post_migrate signal seeds the calendar again,
    so later tests (and `sanpi flush`) still count on the official calendar."""
    from django.core.management import call_command
    from django.db import connection

    from sanpi.core.tests.triggers import audit_triggers_suspended

    with audit_triggers_suspended([connection.alias]):
        call_command("flush", interactive=False, verbosity=0)
    assert CalendarYear.objects.filter(covered=True).count() == LAST - 2004 + 1
    assert not official_calendar().is_working_day(D(2021, 10, 1))
