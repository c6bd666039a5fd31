"""Two (or many) people moving the same project at the same moment, through parallel
requests (threads, each with its own database connection): one succeeds, the others get a
clear refusal or conflict, and the project, its events and its audit rows agree."""

from __future__ import annotations

import datetime as dt

import pytest

from sanpi.accounts.tests.factories import UserFactory
from sanpi.core.models import AuditLog
from sanpi.core.tests.parallel import parallel as _parallel
from sanpi.core.tests.parallel import signed_in as _client
from sanpi.projects.models import ProjectEvent
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.models import County
from sanpi.regions.rules import COUNTIES
from sanpi.regions.tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db(transaction=True)
N = 6


@pytest.fixture
def setup(transactional_db):
    for code, name in COUNTIES:
        County.objects.get_or_create(code=code, defaults={"name": name})
    county = County.objects.get(code="141102")
    project = ProjectFactory(
        enterprise=EnterpriseFactory(county=county), county=county, stage="reserve"
    )
    users = [UserFactory(username=f"county_{i}", role="county", county=county) for i in range(N)]
    return project, users


def test_parallel_stage_moves_advance_the_project_once(setup):
    project, users = setup
    url = f"/projects/{project.pk}/advance/"
    clients = [_client(u) for u in users]
    form = {"to_stage": "signed", "date": "2026-11-02", "evidence": "签约协议"}
    responses = _parallel(*(lambda c=c: c.post(url, form) for c in clients))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (N - 1) + [302], statuses
    for loser in (r for r in responses if r.status_code == 200):
        assert "项目已处于“签约”阶段" in loser.content.decode()
    project.refresh_from_db()
    assert (project.stage, project.signed_date, project.version) == (
        "signed", dt.date(2026, 11, 2), 2,
    )  # fmt: skip
    assert ProjectEvent.objects.filter(project=project, kind="stage").count() == 1
    assert AuditLog.objects.filter(object_id=str(project.pk), action="stage").count() == 1


def test_parallel_edits_from_the_same_version_one_wins_the_other_is_told(setup):
    project, users = setup
    url = f"/projects/{project.pk}/edit/"
    base = {
        "name": project.name,
        "enterprise": project.enterprise_id,
        "county": project.county_id,
        "industry": project.industry,
        "construction_kind": project.construction_kind,
        "total_investment_wan": "5000.00",
        "version": "1",
    }
    a, b = _client(users[0]), _client(users[1])
    responses = _parallel(
        lambda: a.post(url, {**base, "total_investment_wan": "6000.00"}),
        lambda: b.post(url, {**base, "total_investment_wan": "7000.00"}),
    )
    assert sorted(r.status_code for r in responses) == [200, 302]
    loser = next(r for r in responses if r.status_code == 200)
    assert "该项目已被他人修改，请刷新后重试" in loser.content.decode()
    project.refresh_from_db()
    assert project.version == 2
    assert str(project.total_investment_wan) in ("6000.00", "7000.00")
    log = AuditLog.objects.get(object_id=str(project.pk), action="update")
    assert log.before["version"] == 1 and log.after["version"] == 2


def test_parallel_api_stage_moves_with_the_same_if_match_one_wins_others_409(setup):
    from django.test import Client

    from sanpi.accounts.services import api_token_create

    project, users = setup
    tokens = [api_token_create(by=u, name="t")[1] for u in users[:3]]

    def call(token):
        return Client().post(
            f"/api/v1/projects/{project.pk}/stage",
            {"stage": "signed", "date": "2026-11-02"},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'},
        )

    responses = _parallel(*(lambda t=t: call(t) for t in tokens))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409, 409], statuses
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["message"] == "该项目已被他人修改，请刷新后重试"
    assert ProjectEvent.objects.filter(project=project, kind="stage").count() == 1
