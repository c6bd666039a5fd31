"""Two people acting on the same report at the same moment, through real parallel HTTP
requests (threads, each with its own database connection): one succeeds, the other gets
a clear conflict, never two successes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sanpi.accounts.tests.factories import UserFactory
from sanpi.core.tests.parallel import parallel as _parallel
from sanpi.core.tests.parallel import signed_in
from sanpi.dispatch.models import MonthlyReport
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.models import County
from sanpi.regions.rules import COUNTIES
from sanpi.regions.tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(transactional_db):
    for code, name in COUNTIES:
        County.objects.get_or_create(code=code, defaults={"name": name})
    county = County.objects.get(code="141102")
    enterprise = EnterpriseFactory(county=county)
    project = ProjectFactory(
        enterprise=enterprise,
        county=county,
        stage="started",
        signed_date=dt.date(2026, 1, 5),
        started_date=dt.date(2026, 3, 1),
        total_investment_wan=Decimal("10000"),
    )
    users = [
        UserFactory(username="ent_one", role="enterprise", enterprise=enterprise),
        UserFactory(username="ent_two", role="enterprise", enterprise=enterprise),
        UserFactory(username="county_one", role="county", county=county),
        UserFactory(username="county_two", role="county", county=county),
    ]
    return project, users


def test_two_filers_submitting_the_same_form_one_wins(setup):
    project, (one, two, *_) = setup
    url = f"/dispatch/2026/10/{project.pk}/"
    form = {"investment_wan": "100", "progress_percent": "20", "submit": "1", "version": "0"}
    a, b = signed_in(one), signed_in(two)
    responses = _parallel(lambda: a.post(url, form), lambda: b.post(url, form))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 302], statuses  # one redirect (saved), one page with the error
    loser = next(r for r in responses if r.status_code == 200)
    assert "该月报已被他人修改，请刷新后重试" in loser.content.decode()
    report = MonthlyReport.objects.get()
    assert (report.status, report.version) == ("submitted", 1)


def test_two_reviewers_accepting_and_returning_at_once_one_wins(setup):
    project, (one, _two, reviewer_a, reviewer_b) = setup
    url = f"/dispatch/2026/10/{project.pk}/"
    signed_in(one).post(url, {"investment_wan": "100", "progress_percent": "20", "submit": "1"})
    review = f"{url}review/"
    a, b = signed_in(reviewer_a), signed_in(reviewer_b)
    responses = _parallel(
        lambda: a.post(review, {"accept": "1", "version": "1"}),
        lambda: b.post(review, {"return": "1", "reason": "金额不对", "version": "1"}),
    )
    assert sorted(r.status_code for r in responses) == [200, 302]
    loser = next(r for r in responses if r.status_code == 200)
    assert "该月报已被他人修改，请刷新后重试" in loser.content.decode()
    assert MonthlyReport.objects.get().status in ("accepted", "returned")
    assert MonthlyReport.objects.get().version == 2
