"""Project and activity services: rules, scope, audit, atomicity."""

import datetime as dt
from decimal import Decimal

import pytest

from sanpi.accounts.actors import cli_actor
from sanpi.core.errors import NotFound, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.projects import services
from sanpi.projects.models import ActivityEntry, Project, ProjectEvent
from sanpi.projects.services import (
    activity_add_project,
    project_advance_stage,
    project_create,
    project_set_health,
    project_update,
)
from sanpi.projects.tests.factories import ActivityFactory

D = dt.date


def test_stage_moves_forward_with_date_event_and_audit(world):
    user = world.user("county")
    p = world.project_a
    project_advance_stage(
        by=user, project=p, to_stage="signed", date=D(2021, 3, 22), evidence="合同"
    )
    p.refresh_from_db()
    assert (p.stage, p.signed_date) == ("signed", D(2021, 3, 22))
    event = ProjectEvent.objects.get(project=p)
    assert (event.value, event.evidence, event.recorded_by) == ("signed", "合同", user)
    row = AuditLog.objects.get(object_id=str(p.pk), action="stage")
    assert row.before["stage"] == "reserve" and row.after["stage"] == "signed"
    assert row.user == user


def test_stage_cannot_go_back_or_skip_or_predate(world):
    user = world.user("city_office")
    p = world.project_a
    with pytest.raises(ValidationFailed, match="请先登记签约日期"):
        project_advance_stage(by=user, project=p, to_stage="started", date=D(2021, 3, 22))
    project_advance_stage(by=user, project=p, to_stage="signed", date=D(2021, 3, 22))
    with pytest.raises(ValidationFailed, match="阶段只能向前推进"):
        project_advance_stage(by=user, project=p, to_stage="signed", date=D(2021, 4, 1))
    with pytest.raises(ValidationFailed, match="开工日期2021-03-01早于签约日期2021-03-22"):
        project_advance_stage(by=user, project=p, to_stage="started", date=D(2021, 3, 1))
    p.refresh_from_db()
    assert p.stage == "signed" and p.started_date is None


def test_out_of_scope_and_read_only_users_cannot_write(world):
    for role in ("county", "zone"):
        with pytest.raises(NotFound):
            project_advance_stage(
                by=world.user(role), project=world.project_b, to_stage="signed", date=D(2021, 1, 1)
            )
    for role in ("leader", "enterprise", "admin", "auditor"):
        with pytest.raises(PermissionDenied):
            project_update(by=world.user(role), project=world.project_a, name="改名")
    assert Project.objects.get(pk=world.project_a.pk).name == "甲新材料项目"


def test_county_user_cannot_move_project_out_of_county(world):
    with pytest.raises(NotFound):
        project_update(
            by=world.user("county"), project=world.project_a, county=world.county_b, zone=None
        )
    assert Project.objects.get(pk=world.project_a.pk).county == world.county_a


def test_zone_must_lie_in_the_county(world):
    with pytest.raises(ValidationFailed) as exc:
        project_update(by=world.user("city_office"), project=world.project_a, zone=world.zone_b)
    assert exc.value.fields == {"zone": ["开发区“孝义经济开发区”不在离石区"]}


def test_create_past_reserve_records_every_stage(world):
    p = project_create(
        by=world.user("city_office"),
        stage="started",
        name="新项目",
        enterprise=world.enterprise_a,
        county=world.county_a,
        industry="new_tech",
        construction_kind="new",
        total_investment_wan=Decimal("1234.56"),
        signed_date=D(2021, 1, 5),
        started_date=D(2021, 2, 1),
    )
    assert [e.value for e in p.events.all()] == ["signed", "started"]
    assert p.total_investment_wan == Decimal("1234.56")
    assert AuditLog.objects.filter(object_id=str(p.pk), action="create").count() == 1


def test_bad_create_writes_nothing(world):
    before = (Project.objects.count(), AuditLog.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        project_create(
            by=world.user("city_office"),
            stage="started",
            name="坏项目",
            enterprise=world.enterprise_a,
            county=world.county_a,
            industry="new_tech",
            construction_kind="new",
            total_investment_wan=Decimal("-1"),
            signed_date=D(2021, 1, 5),
        )
    assert "started_date" in exc.value.fields
    assert (Project.objects.count(), AuditLog.objects.count()) == before


def test_negative_amount_refused_in_chinese(world):
    with pytest.raises(ValidationFailed) as exc:
        project_update(
            by=world.user("city_office"),
            project=world.project_a,
            total_investment_wan=Decimal("-5"),
        )
    assert "金额、面积和能耗不能为负数" in exc.value.message


def test_health_change_is_an_event(world):
    project_set_health(
        by=world.user("zone"),
        project=world.project_a,
        health="stalled",
        date=D(2026, 9, 30),
        evidence="停工",
    )
    p = Project.objects.get(pk=world.project_a.pk)
    assert p.health == "stalled"
    assert p.events.get().value_label == "停缓建"


def test_adding_to_activity_moves_stage_with_activity_date(world):
    user = world.user("county")
    activity = world.activity
    entry = activity_add_project(
        by=user, activity=activity, project=world.project_a, action="sign", sign_mode="onsite"
    )
    p = Project.objects.get(pk=world.project_a.pk)
    assert (p.stage, p.signed_date) == ("signed", activity.date)
    assert entry.investment_wan == p.total_investment_wan
    assert p.events.get().activity == activity
    with pytest.raises(ValidationFailed, match="不能重复归属"):
        activity_add_project(by=user, activity=activity, project=p, action="sign", sign_mode="sync")


def test_activity_sign_needs_mode_and_scope(world):
    with pytest.raises(ValidationFailed, match="签约方式"):
        activity_add_project(
            by=world.user("city_office"),
            activity=world.activity,
            project=world.project_a,
            action="sign",
        )
    with pytest.raises(NotFound):
        activity_add_project(
            by=world.user("zone"),
            activity=world.activity,
            project=world.project_b,
            action="sign",
            sign_mode="sync",
        )
    with pytest.raises(PermissionDenied):
        activity_add_project(
            by=world.user("leader"),
            activity=world.activity,
            project=world.project_a,
            action="sign",
            sign_mode="sync",
        )
    assert not ActivityEntry.objects.exists()
    assert Project.objects.get(pk=world.project_a.pk).stage == "reserve"


def test_starting_in_activity_when_already_started_is_refused(world):
    user = world.user("city_office")
    p = world.project_a
    project_advance_stage(by=user, project=p, to_stage="signed", date=D(2021, 1, 1))
    project_advance_stage(by=user, project=p, to_stage="started", date=D(2021, 2, 1))
    with pytest.raises(ValidationFailed, match="项目已于2021-02-01开工"):
        activity_add_project(by=user, activity=world.activity, project=p, action="start")


# --- the lifecycle refuses what cannot be true (issue #7) --------------------------------------


def test_no_stage_or_health_date_after_today(world):
    from django.utils import timezone

    from sanpi.core.errors import ValidationFailed

    actor = cli_actor()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as info:
        services.project_advance_stage(
            by=actor, project=world.project_a, to_stage="signed", date=tomorrow
        )
    assert info.value.fields == {"date": [f"签约日期（{tomorrow:%Y-%m-%d}）晚于今天，不能预先登记"]}
    with pytest.raises(ValidationFailed) as info:
        services.project_create(
            by=actor, name="未来项目", enterprise=world.enterprise_a, county=world.county_a,
            industry="new_material", construction_kind="new", total_investment_wan=Decimal(1),
            stage="signed", signed_date=tomorrow,
        )  # fmt: skip
    assert "晚于今天，不能预先登记" in info.value.fields["signed_date"][0]
    with pytest.raises(ValidationFailed) as info:
        services.project_set_health(
            by=actor, project=world.project_a, health="lagging", date=tomorrow
        )
    assert info.value.fields == {"date": [f"日期（{tomorrow:%Y-%m-%d}）晚于今天，不能预先登记"]}
    world.project_a.refresh_from_db()
    assert (world.project_a.stage, world.project_a.health) == ("reserve", "normal")


def test_an_activity_ahead_of_today_cannot_move_a_stage_yet(world):
    from django.utils import timezone

    from sanpi.core.errors import ValidationFailed

    ahead = ActivityFactory(year=timezone.localdate().year + 1, sequence=1)
    with pytest.raises(ValidationFailed, match="晚于今天，不能预先登记"):
        services.activity_add_project(
            by=cli_actor(), activity=ahead, project=world.project_a, action="sign",
            sign_mode="onsite",
        )  # fmt: skip
    assert not ActivityEntry.objects.filter(activity=ahead).exists()


def test_the_same_status_reported_again_with_news_is_kept_in_the_history(world):
    actor = cli_actor()
    p = world.project_a
    services.project_set_health(by=actor, project=p, health="lagging", date=dt.date(2022, 5, 1))
    services.project_set_health(
        by=actor, project=p, health="lagging", date=dt.date(2022, 6, 1), evidence="设备未到货"
    )
    services.project_set_health(by=actor, project=p, health="lagging", date=dt.date(2022, 7, 1))
    events = ProjectEvent.objects.filter(project=p, kind="health").order_by("date")
    assert [(e.date, e.value, e.evidence) for e in events] == [
        (dt.date(2022, 5, 1), "lagging", ""),
        (dt.date(2022, 6, 1), "lagging", "设备未到货"),
    ]


@pytest.mark.parametrize(
    ("wan", "confirm", "outcome"),
    [
        (Decimal("4999999.99"), False, "ok"),
        (Decimal("6000000"), False, "总投资600.00亿元超过常见范围（500.00亿元），请核对单位是否为万元"),
        (Decimal("6000000"), True, "ok"),
        (Decimal("1000000000"), True, "远超任何实际项目"),
    ],
)  # fmt: skip
def test_implausible_amounts_need_a_confirmation_and_impossible_ones_are_refused(
    world, wan, confirm, outcome
):
    from sanpi.core.errors import ValidationFailed

    call = lambda: services.project_update(  # noqa: E731
        by=cli_actor(), project=world.project_a, total_investment_wan=wan, confirm_large=confirm
    )
    if outcome == "ok":
        call()
        world.project_a.refresh_from_db()
        assert world.project_a.total_investment_wan == wan
        return
    with pytest.raises(ValidationFailed) as info:
        call()
    assert outcome in info.value.fields["total_investment_wan"][0]
    world.project_a.refresh_from_db()
    assert world.project_a.total_investment_wan != wan
