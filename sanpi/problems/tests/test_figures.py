"""The problems' figures worked by hand on six problems with chosen times in May 2025
(labour day off 1–5 May, Dragon Boat 31 May–2 June: the official calendar counts).

County A (project A, zone A), assigned to zone A's department unless said otherwise:

* P1 raised 30 Apr, solved 6 May (due 9 May: on time), closed 7 May: 2 working days;
* P2 raised 6 May, solved 20 May (due 15 May: late), closed 21 May: 11 working days;
* P3 raised 12 May, in progress, red: open and overdue;
* P5 raised 20 May, withdrawn before assignment (未交办);

county B (project B, its own department):

* P6 raised 8 May, rejected once on 10 May, solved 9 May (due 19 May), closed 12 May:
  2 working days;

and P4 (county A) raised 3 June, solved 4 June (due 12 June), closed 5 June: 2 working
days, outside May but inside 2025.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sanpi.accounts.tests.factories import UserFactory
from sanpi.core.errors import ValidationFailed
from sanpi.problems import services
from sanpi.problems.figures import Period, figures, period_of
from sanpi.problems.models import Problem, ProblemEvent
from sanpi.problems.tests.factories import make_problem
from sanpi.regions.models import Department

pytestmark = pytest.mark.django_db

MAY = Period(2025, 5)


def at(text: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(text))


def _set(problem: Problem, *, solved=None, due=None, closed=None, light="green") -> Problem:
    fields = {"light": light}
    if solved:
        fields["solved_at"] = at(solved)
    if due:
        fields["solve_due"] = at(due)
    if closed:
        fields["closed_at"] = at(closed)
        ProblemEvent.objects.filter(problem=problem, move="confirm").update(at=at(closed))
    Problem.objects.filter(pk=problem.pk).update(**fields)
    return Problem.objects.get(pk=problem.pk)


@pytest.fixture
def six(world):
    dept_b = Department.objects.create(
        name="孝义市行政审批局", kind="approval", level="county", county=world.county_b
    )
    person_b = UserFactory(role="department", department=dept_b)
    on_b = {"project": world.project_b, "department": dept_b, "person": person_b}
    p = {}
    p[1] = _set(
        make_problem(world, state="closed", raised_at=at("2025-04-30 10:00")),
        solved="2025-05-06 17:00", due="2025-05-09 23:59:59", closed="2025-05-07 09:00",
    )  # fmt: skip
    p[2] = _set(
        make_problem(world, state="closed", raised_at=at("2025-05-06 09:00")),
        solved="2025-05-20 10:00", due="2025-05-15 23:59:59", closed="2025-05-21 10:00",
    )  # fmt: skip
    p[3] = _set(make_problem(world, state="in_progress", raised_at=at("2025-05-12 09:00")),
                light="red")  # fmt: skip
    p[4] = _set(
        make_problem(world, state="closed", raised_at=at("2025-06-03 09:00")),
        solved="2025-06-04 10:00", due="2025-06-12 23:59:59", closed="2025-06-05 16:00",
    )  # fmt: skip
    p[5] = make_problem(world, state="withdrawn", raised_at=at("2025-05-20 09:00"))
    p[6] = _set(
        make_problem(world, state="closed", raised_at=at("2025-05-08 09:00"), **on_b),
        solved="2025-05-09 10:00", due="2025-05-19 23:59:59", closed="2025-05-12 11:00",
    )  # fmt: skip
    ProblemEvent.objects.create(
        problem=p[6], move="reject", from_state="solved", to_state="in_progress",
        at=at("2025-05-10 10:00"),
    )  # fmt: skip
    # Withdrawn "now" (2026): its end is outside 2025 and it is never a closure.
    p["dept_b"] = dept_b
    return p


def _row(rows, name):
    (row,) = [r for r in rows if r.name == name]
    return row


def _figures(row) -> tuple:
    return (
        row.raised,
        row.closed,
        str(row.on_time_rate),
        row.median_text,
        row.overdue,
        str(row.satisfaction),
    )


def test_the_city_figures_for_may_by_hand(world, six):
    f = figures(user=world.user("city_office"), period=MAY)
    # raised P2 P3 P5 P6; closed P1 P2 P6 (P1, P6 on time); days 2, 11, 2; P3 overdue;
    # confirmed P1 P2 P6, rejected P6 once.
    assert _figures(f.total) == (4, 3, "66.7%（2/3）", "2", 1, "75.0%（3/4）")
    a = _row(f.by_county, "离石区")
    assert _figures(a) == (3, 2, "50.0%（1/2）", "6.5", 1, "100.0%（2/2）")
    assert a.query == "county=141102"
    b = _row(f.by_county, "孝义市")
    assert _figures(b) == (1, 1, "100.0%（1/1）", "2", 0, "50.0%（1/2）")
    assert _figures(_row(f.by_zone, "吕梁经济技术开发区")) == _figures(a)
    assert _figures(_row(f.by_zone, "孝义经济开发区")) == _figures(b)
    # Per responsible unit: P5 was never assigned.
    names = [r.name for r in f.by_unit]
    assert names == ["吕梁经开区行政审批局", "孝义市行政审批局", "未交办"]
    dept_a = _row(f.by_unit, "吕梁经开区行政审批局")
    assert _figures(dept_a) == (2, 2, "50.0%（1/2）", "6.5", 1, "100.0%（2/2）")
    assert dept_a.query == f"unit=department:{world.department_a.pk}"
    assert _figures(_row(f.by_unit, "未交办")) == (1, 0, "—（0/0）", "—", 0, "—（0/0）")
    assert _figures(_row(f.by_unit, "孝义市行政审批局")) == _figures(b)


def test_a_whole_year(world, six):
    f = figures(user=world.user("city_office"), period=period_of(2025))
    # + P1 raised 30 Apr and P4 raised, solved on time and closed in June: days 2 2 2 11.
    assert _figures(f.total) == (6, 4, "75.0%（3/4）", "2", 1, "80.0%（4/5）")
    assert f.period.label == "2025年"


def test_nothing_outside_the_period_counts(world, six):
    f = figures(user=world.user("city_office"), period=Period(2025, 3))
    # Only the snapshot of open overdue problems does not follow the period.
    assert _figures(f.total) == (0, 0, "—（0/0）", "—", 1, "—（0/0）")


def test_per_leader_the_projects_liaised_in_the_period(world, six):
    city = world.user("city_office")
    first = world.user("leader")
    other = UserFactory(role="leader", full_name="李副市长")
    late = UserFactory(role="leader", full_name="赵副市长")
    # Two liaisons of one leader on project A in May: its problems count once.
    services.liaison_set(by=city, leader=first, project=world.project_a,
                         since=dt.date(2025, 5, 1), until=dt.date(2025, 5, 10))  # fmt: skip
    services.liaison_set(by=city, leader=first, project=world.project_a,
                         since=dt.date(2025, 5, 20))  # fmt: skip
    # Ended before May: no row. From the last day of May: project B's figures.
    services.liaison_set(by=city, leader=other, project=world.project_b,
                         since=dt.date(2024, 1, 1), until=dt.date(2025, 4, 30))  # fmt: skip
    services.liaison_set(by=city, leader=late, project=world.project_b,
                         since=dt.date(2025, 5, 31))  # fmt: skip
    f = figures(user=city, period=MAY)
    assert [r.name for r in f.by_leader] == [str(first), "赵副市长"]
    assert _figures(f.by_leader[0]) == (3, 2, "50.0%（1/2）", "6.5", 1, "100.0%（2/2）")
    assert _figures(f.by_leader[1]) == (1, 1, "100.0%（1/1）", "2", 0, "50.0%（1/2）")
    # The county officer sees the leaders of the county's projects only.
    f = figures(user=world.user("county"), period=MAY)
    assert [r.name for r in f.by_leader] == [str(first)]


def test_each_user_counts_within_their_scope(world, six):
    f = figures(user=world.user("county"), period=MAY)
    assert _figures(f.total) == (3, 2, "50.0%（1/2）", "6.5", 1, "100.0%（2/2）")
    assert [r.name for r in f.by_county] == ["离石区"]
    assert [r.name for r in f.by_unit] == ["吕梁经开区行政审批局", "未交办"]
    # The department sees what is assigned to it: P1, P2, P3 (not P5, never assigned).
    f = figures(user=world.user("department"), period=MAY)
    assert _figures(f.total) == (2, 2, "50.0%（1/2）", "6.5", 1, "100.0%（2/2）")
    assert [r.name for r in f.by_unit] == ["吕梁经开区行政审批局"]
    f = figures(user=world.user("enterprise"), period=MAY)
    assert _figures(f.total)[:2] == (3, 2)


def test_the_queries_do_not_grow_with_the_problems(world, six, django_assert_max_num_queries):
    city = world.user("city_office")
    services.liaison_set(by=city, leader=world.user("leader"), project=world.project_a,
                         since=dt.date(2025, 5, 1))  # fmt: skip
    figures(user=city, period=MAY)  # the calendar is built and cached
    with django_assert_max_num_queries(20) as few:
        figures(user=city, period=MAY)
    for _ in range(3):
        make_problem(world, state="closed", raised_at=at("2025-05-13 09:00"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        figures(user=city, period=MAY)


@pytest.mark.parametrize(
    ("year", "month", "message"),
    [
        (2030, 1, "2030年1月尚未开始"),
        (2026, 13, "月份“13”无效"),
        (1800, None, "年份须在"),
        (2027, None, "2027年尚未开始"),
    ],
)
def test_a_period_that_has_not_begun_or_is_no_month_is_refused(year, month, message):
    with pytest.raises(ValidationFailed) as exc:
        period_of(year, month, today=dt.date(2026, 12, 1))
    assert message in exc.value.message


def test_a_period_in_words_and_bounds():
    assert Period(2025, 12).last_day == dt.date(2025, 12, 31)
    assert Period(2025, 2).last_day == dt.date(2025, 2, 28)
    assert Period(2025).first_day == dt.date(2025, 1, 1) and Period(2025).label == "2025年"
    assert Period(2025, 5).label == "2025年5月"
    assert timezone.localtime(Period(2025, 5).start).hour == 0
