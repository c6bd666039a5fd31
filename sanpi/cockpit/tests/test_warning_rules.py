"""The early warning's points are data the city office changes: checked, audited, refused
on a stale form, and the scores follow at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from sanpi.cockpit import facts, rules, services
from sanpi.cockpit.models import StartRisk, WarningSettings
from sanpi.core.errors import Conflict, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.core.tests.parallel import parallel, signed_in
from sanpi.projects.services import project_advance_stage
from sanpi.projects.tests.factories import ProjectFactory

URL = reverse("cockpit:warning_rules")
DEFAULTS = {r.key: r.points for r in rules.START_RISK_RULES}


def test_points_are_checked_as_pure_rules():
    assert rules.points_errors({"months_6": 30, "no_investment": 0}) == {}
    errors = rules.points_errors({"months_6": 101, "nope": 5, "months_12": "x", "county_low": -1})
    assert errors == {
        "months_6": "“签约已满6个月仍未开工”的分值须在0至100之间，实为101",
        "nope": "没有“nope”这条预警规则",
        "months_12": "“签约已满12个月仍未开工”的分值须为整数",
        "county_low": "“所在县(市、区)开工率低于50%”的分值须在0至100之间，实为-1",
    }
    changed = rules.with_points({"months_6": 30, "no_investment": 0})
    signs = rules.Signs(months=7, no_investment=1)
    assert rules.start_risk(signs).score == 20 + 15
    risk = rules.start_risk(signs, changed)
    assert risk.score == 30  # the new points; a rule at 0 is off and gives no reason
    assert risk.reasons == ["签约已满6个月仍未开工（已7个月，+30分）"]


def test_the_city_office_changes_the_points_audited(world):
    city = world.user("city_office")
    assert services.warning_points_set(by=city, points={"months_6": 30}, version=0)
    row = WarningSettings.objects.get()
    assert (row.points, row.version, row.updated_by) == ({"months_6": 30}, 1, city)
    assert services.warning_rules()[0].points == 30
    log = AuditLog.objects.get(object_type="cockpit.warningsettings")
    assert log.before == {"points": {}} and log.after == {"points": {"months_6": 30}}
    assert "此前为默认值" in log.message
    # Nothing new: no write, no audit row.
    assert not services.warning_points_set(by=city, points={"months_6": 30}, version=1)
    # Back to the default: nothing stored for it.
    assert services.warning_points_set(by=city, points={"months_6": 20}, version=1)
    assert WarningSettings.objects.get().points == {}


def test_a_stale_form_and_bad_points_are_refused_and_nothing_is_written(world):
    city = world.user("city_office")
    services.warning_points_set(by=city, points={"months_6": 30}, version=0)
    with pytest.raises(Conflict) as info:
        services.warning_points_set(by=city, points={"months_6": 40}, version=0)
    assert "已被他人修改" in info.value.message
    with pytest.raises(ValidationFailed) as info:
        services.warning_points_set(by=city, points={"months_6": 400}, version=1)
    assert info.value.fields == {
        "months_6": ["“签约已满6个月仍未开工”的分值须在0至100之间，实为400"]
    }
    assert WarningSettings.objects.get().points == {"months_6": 30}
    for role in ("county", "leader", "enterprise", "department"):
        with pytest.raises(PermissionDenied):
            services.warning_points_set(by=world.user(role), points={"months_6": 1}, version=1)


def test_the_page_shows_the_rules_and_saving_rescores_at_once(world, login):
    project = ProjectFactory(
        enterprise=world.enterprise_a, county=world.county_a, zone=world.zone_a
    )
    project_advance_stage(
        by=world.user("city_office"), project=project, to_stage="signed",
        date=dt.date.today() - dt.timedelta(days=400),
    )  # fmt: skip
    facts.refresh()
    facts.refresh_start_risks()
    before = StartRisk.objects.get(project=project).score
    assert before >= DEFAULTS["months_6"] + DEFAULTS["months_12"]

    html = login(world.user("leader")).get(URL).content.decode()
    assert "签约已满12个月仍未开工" in html and "+20" in html and "保存并重新评分" not in html

    client = login(world.user("city_office"))
    html = client.get(URL).content.decode()
    assert "保存并重新评分" in html and 'name="months_12"' in html
    form = {**DEFAULTS, "version": 0, "months_12": 50}
    response = client.post(URL, form)
    assert response.status_code == 302 and "/jobs/" in response["Location"]
    after = StartRisk.objects.get(project=project)
    assert after.score == before + 30  # rescored by the queued job
    assert any("+50分" in reason for reason in after.reasons)
    board = client.get(reverse("cockpit:board")).content.decode()
    assert "签约已满12个月仍未开工 +50" in board

    # Bad input: the form says which field and why, in Chinese; nothing changes.
    response = client.post(URL, {**form, "version": 1, "months_6": "101"})
    assert response.status_code == 200
    assert "确保该值小于或等于100" in response.content.decode()
    response = client.post(URL, {**form, "version": 0, "months_6": "5"})
    assert response.status_code == 200 and "已被他人修改" in response.content.decode()
    assert WarningSettings.objects.get().points == {"months_12": 50}
    # Others may read but not change.
    assert login(world.user("county")).post(URL, form).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_from_the_same_form_one_wins(transactional_db):
    from sanpi.accounts.tests.factories import UserFactory

    a, b = (UserFactory(username=f"city_{i}", role="city_office") for i in range(2))
    ca, cb = signed_in(a), signed_in(b)
    form = {**DEFAULTS, "version": 0}
    responses = parallel(
        lambda: ca.post(URL, {**form, "months_6": 31}),
        lambda: cb.post(URL, {**form, "months_6": 32}),
    )
    assert sorted(r.status_code for r in responses) == [200, 302]
    loser = next(r for r in responses if r.status_code == 200)
    assert "已被他人修改" in loser.content.decode()
    row = WarningSettings.objects.get()
    assert row.version == 1 and row.points["months_6"] in (31, 32)
    assert AuditLog.objects.filter(object_type="cockpit.warningsettings").count() == 1
