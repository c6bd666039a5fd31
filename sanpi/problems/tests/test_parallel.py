"""Two people acting on the same problem at the same moment, through real parallel API
requests (threads, each with its own database connection; PostgreSQL locks the row,
SQLite's immediate transactions queue the writers): exactly one succeeds, the other gets
409 and "该问题已被他人处理，请刷新后重试", never two successes."""

from __future__ import annotations

import pytest

from sanpi.accounts.tests.factories import UserFactory
from sanpi.core.tests.api import ApiClient, assert_error
from sanpi.core.tests.parallel import parallel as _parallel
from sanpi.problems import services
from sanpi.problems.models import Policy, Problem, ProblemEvent
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.models import County
from sanpi.regions.rules import COUNTIES
from sanpi.regions.tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db(transaction=True)

STALE = "该问题已被他人处理，请刷新后重试"


@pytest.fixture
def setup(transactional_db):
    """A problem raised on a county's project, and two officers of that county (a
    transactional test starts from empty tables: the seeded counties and policies are
    put back first)."""
    for code, name in COUNTIES:
        County.objects.get_or_create(code=code, defaults={"name": name})
    for code, applies, feedback, solve, name in [
        ("13710", "key", 3, 7, "13710工作制度"),
        ("ordinary", "other", 5, 15, "一般项目"),
    ]:
        Policy.objects.get_or_create(
            code=code,
            version=1,
            defaults={
                "name": name,
                "applies_to": applies,
                "feedback_days": feedback,
                "solve_days": solve,
            },
        )
    county = County.objects.get(code="141102")
    project = ProjectFactory(enterprise=EnterpriseFactory(county=county), county=county)
    one = UserFactory(username="county_one", role="county", county=county)
    two = UserFactory(username="county_two", role="county", county=county)
    problem = services.problem_raise(
        by=one, project=project, description="施工用电迟迟未接入", category="utilities"
    )
    return problem, ApiClient(one), ApiClient(two)


def _outcome(responses) -> tuple:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.content.decode() for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    error = assert_error(loser, 409, "conflict")
    assert error["message"] == STALE
    return next(r for r in responses if r.status_code == 200).json()


def test_two_officers_analysing_the_same_problem_one_wins(setup):
    problem, a, b = setup
    url = f"/problems/{problem.pk}/moves"
    responses = _parallel(
        lambda: a.post(url, {"move": "analyse", "version": 1, "solution": "协调供电公司"}),
        lambda: b.post(url, {"move": "analyse", "version": 1, "solution": "由县发改局牵头"}),
    )
    winner = _outcome(responses)
    stored = Problem.objects.get(pk=problem.pk)
    assert (stored.state, stored.version, stored.solution) == (
        "analysed",
        2,
        winner["five"]["solution"],
    )
    assert ProblemEvent.objects.filter(problem=stored, move="analyse").count() == 1


def test_escalating_and_withdrawing_at_once_one_wins(setup):
    problem, a, b = setup
    url = f"/problems/{problem.pk}/moves"
    responses = _parallel(
        lambda: a.post(url, {"move": "escalate", "version": 1, "text": "需市级协调"}),
        lambda: b.post(url, {"move": "withdraw", "version": 1, "text": "企业已自行解决"}),
    )
    winner = _outcome(responses)
    stored = Problem.objects.get(pk=problem.pk)
    assert stored.state == winner["state"] in ("escalated", "withdrawn")
    assert stored.version == 2
    assert ProblemEvent.objects.filter(problem=stored).count() == 2  # raised, and one move


def test_two_clicks_on_a_report_s_problems_make_one_problem(setup):
    from sanpi.dispatch.models import MonthlyReport

    problem, a, b = setup
    report = MonthlyReport.objects.create(
        project=problem.project,
        year=2025,
        month=9,
        investment_wan=0,
        progress_percent=10,
        problems="施工用水管网未接通",
    )
    url = f"/projects/{report.project_id}/reports/2025/9/problem"
    responses = _parallel(lambda: a.post(url, {}), lambda: b.post(url, {}))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409], [r.content.decode() for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert assert_error(loser, 409, "conflict")["message"] == "该月报的问题已转入问题台账"
    assert Problem.objects.filter(report=report).count() == 1
