"""The working-day calendar page: reading, the calculator, editing with the confirm step,
the November warning on the home page, and bad input answered in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from sanpi.core import calendar_seed
from sanpi.core.calendar import official_calendar
from sanpi.core.models import AuditLog, CalendarDay, CalendarYear

# Only the deadline sources a test registers itself, not those of the installed apps.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("deadline_sources")]
D = dt.date
LAST = max(calendar_seed.package_schedule())
URL = "/calendar/"
KEEPERS = ("city_office", "admin")
OTHERS = ("leader", "county", "zone", "enterprise", "auditor")


def test_the_page_lives_at_calendar():
    assert reverse("core:calendar") == URL
    assert reverse("core:audit_log") == "/audit/"


def test_a_year_lists_its_holidays_and_adjusted_days(world, login, on_day):
    on_day(D(2021, 6, 1))
    html = login(world.user("county")).get(URL, {"year": 2021}).content.decode()
    table = html[
        html.index('id="calendar-days"') : html.index("</table>", html.index('id="calendar-days"'))
    ]
    assert "2021-09-26" in table and "星期日" in table and "调休上班" in table
    assert "2021-10-01" in table and "国庆节" in table
    assert "已录入" in html
    assert "录入或更正节假日" not in html  # no edit forms without the capability
    assert "删除" not in table


def test_an_uncovered_year_says_so(world, login):
    html = login(world.user("leader")).get(URL, {"year": LAST + 1}).content.decode()
    assert f"{LAST + 1}年节假日安排未录入，按周末推算" in html
    assert f"{LAST + 1}年暂无节假日记录" in html


@pytest.mark.parametrize("role", KEEPERS + OTHERS)
def test_every_role_may_compute(world, login, role):
    client = login(world.user(role))
    html = client.get(URL, {"add-date": "2021-09-30", "add-n": "1"}).content.decode()
    assert "之后第 1 个工作日：<strong>2021-10-08</strong>" in html
    html = client.get(URL, {"between-a": "2021-09-30", "between-b": "2021-10-08"}).content.decode()
    assert "共 <strong>1</strong> 个工作日" in html


def test_the_calculator_marks_provisional_answers(world, login):
    client = login(world.user("enterprise"))
    html = client.get(URL, {"add-date": f"{LAST}-12-30", "add-n": "10"}).content.decode()
    result = html[html.index('id="calc-add-result"') :]
    assert f"（{LAST + 1}年节假日安排未录入，按周末推算）" in result[: result.index("</div>")]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"add-date": "2021-02-30", "add-n": "1"}, "有效的日期"),
        ({"add-date": "不是日期", "add-n": "1"}, "有效的日期"),
        ({"add-date": "2021-09-30", "add-n": "-1"}, "0"),
        ({"add-date": "2021-09-30", "add-n": "abc"}, "整数"),
        ({"add-date": "9999-01-01", "add-n": "1"}, "1900年至2200年"),
        ({"between-a": "1800-01-01", "between-b": "2021-01-01"}, "1900年至2200年"),
        ({"year": "abc"}, "年份“abc”无效"),
        ({"year": "99999"}, "年份“99999”无效"),
    ],
)
def test_bad_input_is_answered_in_chinese(world, login, params, message):
    response = login(world.user("county")).get(URL, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "is-invalid" in html or "alert-danger" in html


def test_navigation_link_for_those_who_keep_the_calendar(world, login):
    for role in KEEPERS:
        html = login(world.user(role)).get("/").content.decode()
        nav = html[html.index('aria-label="主导航"') : html.index("</nav>")]
        assert f'href="{URL}">工作日历</a>' in nav
    for role in OTHERS:
        html = login(world.user(role)).get("/").content.decode()
        nav = html[html.index('aria-label="主导航"') : html.index("</nav>")]
        assert "工作日历" not in nav


# --- editing ----------------------------------------------------------------------------------


def test_the_city_office_enters_a_holiday_period(world, login):
    client = login(world.user("city_office"))
    response = client.post(
        reverse("core:calendar_days_set"),
        {"start": "2030-10-01", "end": "2030-10-07", "kind": "holiday", "name": "国庆节"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?year=2030"
    assert CalendarDay.objects.filter(date__year=2030, source="admin").count() == 7
    assert AuditLog.objects.filter(object_type="core.calendarday", source="web").count() == 7
    html = client.get(response["Location"]).content.decode()
    assert "已保存：2030-10-01 至 2030-10-07 放假（国庆节）" in html
    assert not official_calendar().is_working_day(D(2030, 10, 1))


def test_the_administrator_marks_a_year_covered_and_removes_a_day(world, login):
    client = login(world.user("admin"))
    client.post(
        reverse("core:calendar_days_set"),
        {"start": "2030-01-01", "kind": "holiday", "name": "元旦"},
    )
    response = client.post(
        reverse("core:calendar_year_set"),
        {"year": "2030", "covered": "1", "basis": "国务院办公厅通知"},
    )
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2030).covered
    response = client.post(reverse("core:calendar_day_remove"), {"date": "2030-01-01"})
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(date=D(2030, 1, 1)).exists()
    assert AuditLog.objects.filter(object_id="2030-01-01", action="delete", source="web").exists()


def test_form_errors_are_shown_next_to_the_form(world, login):
    client = login(world.user("city_office"))
    response = client.post(
        reverse("core:calendar_days_set"),
        {"start": "2030-05-06", "kind": "workday", "name": "调休"},  # a Monday
    )
    html = response.content.decode()
    assert response.status_code == 200 and "只能设在周六或周日" in html
    response = client.post(reverse("core:calendar_days_set"), {"start": "不是日期", "kind": "x"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    response = client.post(reverse("core:calendar_year_set"), {"year": "2031", "covered": "1"})
    assert "还没有录入任何放假日期" in response.content.decode()
    response = client.post(reverse("core:calendar_day_remove"), {"date": "2030-05-06"})
    assert "没有2030-05-06的记录" in response.content.decode()
    response = client.post(reverse("core:calendar_day_remove"), {"date": "x"})
    assert "请选择要删除的日期" in response.content.decode()
    assert not AuditLog.objects.filter(object_type__startswith="core.calendar").exists()


@pytest.mark.parametrize("role", OTHERS)
def test_others_may_not_edit(world, login, role):
    client = login(world.user(role))
    for name, data in [
        ("core:calendar_days_set", {"start": "2030-05-06", "kind": "holiday", "name": "x"}),
        ("core:calendar_day_remove", {"date": "2021-10-04"}),
        ("core:calendar_year_set", {"year": "2030", "covered": "0"}),
    ]:
        assert client.post(reverse(name), data).status_code == 403
    assert client.get(reverse("core:calendar_days_set")).status_code == 405
    assert CalendarDay.objects.filter(date=D(2021, 10, 4)).exists()


def test_the_confirm_step_lists_the_moved_deadlines(world, login, deadline_sources):
    deadline_sources([("甲新材料项目 · 施工许可", D(2021, 9, 30), 1)])
    client = login(world.user("city_office"))
    data = {"start": "2021-10-08", "kind": "holiday", "name": "国庆节"}
    response = client.post(reverse("core:calendar_days_set"), data)
    assert response.status_code == 200
    html = response.content.decode()
    box = html[html.index('id="calendar-confirm"') :]
    assert "此修改会改变 1 项未办结事项的期限" in box
    assert "甲新材料项目 · 施工许可" in box and "2021-10-08" in box and "2021-10-09" in box
    assert 'name="confirm" value="on"' in box and 'name="name" value="国庆节"' in box
    assert not CalendarDay.objects.filter(date=D(2021, 10, 8)).exists()

    response = client.post(reverse("core:calendar_days_set"), {**data, "confirm": "on"})
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=D(2021, 10, 8)).kind == "holiday"

    # Removing it again moves the deadline back: asked again.
    response = client.post(reverse("core:calendar_day_remove"), {"date": "2021-10-08"})
    assert "2021-10-09" in response.content.decode() and 'id="calendar-confirm"' in (
        response.content.decode()
    )
    assert CalendarDay.objects.filter(date=D(2021, 10, 8)).exists()
    response = client.post(
        reverse("core:calendar_day_remove"), {"date": "2021-10-08", "confirm": "on"}
    )
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(date=D(2021, 10, 8)).exists()


# --- the warning ------------------------------------------------------------------------------


def test_home_page_warns_keepers_from_1_november(world, login, on_day):
    warning = f"{LAST + 1}年节假日安排未录入"
    on_day(D(LAST, 10, 31))
    assert warning not in login(world.user("city_office")).get("/").content.decode()
    on_day(D(LAST, 11, 1))
    for role in KEEPERS:  # the city office's cockpit and the administrator's portal
        html = login(world.user(role)).get("/").content.decode()
        assert warning in html and f'href="{URL}"' in html
        assert warning in login(world.user(role)).get(URL).content.decode()
    for role in OTHERS:
        assert warning not in login(world.user(role)).get("/").content.decode()


def test_page_query_count_is_fixed(world, login, django_assert_max_num_queries):
    client = login(world.user("city_office"))
    client.get(URL)  # the calendar built once
    # session (read, save), user, years, day counts, the year's days; the calendar is cached
    with django_assert_max_num_queries(9):  # 9: with the bell's unread count
        response = client.get(
            URL, {"year": 2021, "add-date": "2021-09-30", "add-n": "1", "between-a": "2021-09-30"}
        )
    assert response.status_code == 200
