"""A problem through its closed loop, and what each wrong move, wrong actor, missing 到位
or stale form gets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sanpi.core.errors import Conflict, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.notifications.models import Notification
from sanpi.problems import services
from sanpi.problems.models import Problem, ProblemEvent

pytestmark = pytest.mark.django_db


def raise_one(world, **over) -> Problem:
    args = {
        "by": world.user("enterprise"),
        "project": world.project_a,
        "description": "施工用电迟迟未接入",
        "category": "utilities",
    }
    return services.problem_raise(**{**args, **over})


def assign_data(world, **over) -> dict:
    base = {
        "unit_kind": "department",
        "unit_id": world.department_a.pk,
        "leader_name": "王副区长",
        "person_id": world.user("department").pk,
        "solution": "协调供电公司十日内接入",
        "deadline": timezone.localdate() + dt.timedelta(days=10),
    }
    return {**base, **over}


def test_the_whole_loop_from_enterprise_to_closed(world):
    problem = raise_one(world)
    assert (problem.state, problem.source, problem.level) == ("raised", "enterprise", "county")
    assert problem.policy.code == "ordinary"  # project A is not a key project
    county, dept, ent = world.user("county"), world.user("department"), world.user("enterprise")
    assert Notification.objects.filter(recipient=county, kind="problem_action").exists()

    problem = services.problem_move(
        by=county, problem=problem, move="analyse", solution="需供电公司配合", version=1
    )
    problem = services.problem_move(
        by=county, problem=problem, move="assign", version=2, **assign_data(world)
    )
    assert problem.state == "assigned" and problem.person == dept
    assert Notification.objects.filter(recipient=dept, kind="problem_action").exists()
    problem = services.problem_move(by=dept, problem=problem, move="feedback", text="已对接")
    assert problem.state == "in_progress" and problem.first_feedback_at is not None
    problem = services.problem_move(by=dept, problem=problem, move="solve", text="已通电")
    problem = services.problem_move(by=ent, problem=problem, move="reject", text="电压不稳")
    assert (problem.state, problem.satisfied, problem.solved_at) == ("in_progress", False, None)
    problem = services.problem_move(by=dept, problem=problem, move="solve", text="已更换变压器")
    problem = services.problem_move(by=ent, problem=problem, move="confirm")
    assert (problem.state, problem.satisfied) == ("closed", True)
    assert problem.closed_at is not None and not problem.confirmed_on_behalf
    moves = list(ProblemEvent.objects.filter(problem=problem).values_list("move", flat=True))
    assert moves == [
        "raise", "analyse", "assign", "feedback", "solve", "reject", "solve", "confirm"
    ]  # fmt: skip
    assert AuditLog.objects.filter(object_type="problems.problem").count() == 8


def test_assigning_needs_all_five_and_a_known_unit_and_a_future_deadline(world):
    problem = raise_one(world)
    county = world.user("county")
    with pytest.raises(ValidationFailed) as info:
        services.problem_move(
            by=county, problem=problem, move="assign",
            **assign_data(world, leader_name=" ", person_id=None),
        )  # fmt: skip
    assert info.value.message == "交办须五到位，尚缺：责任领导、责任人"
    with pytest.raises(ValidationFailed) as info:
        services.problem_move(
            by=county, problem=problem, move="assign", **assign_data(world, unit_id=99999)
        )
    assert info.value.fields == {"unit": ["没有编号为“99999”的部门"]}
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as info:
        services.problem_move(
            by=county, problem=problem, move="assign", **assign_data(world, deadline=yesterday)
        )
    assert info.value.fields == {"deadline": [f"完成时限（{yesterday:%Y-%m-%d}）不能早于今天"]}
    with pytest.raises(ValidationFailed) as info:
        services.problem_move(
            by=county, problem=problem, move="assign",
            **assign_data(world, person_id=world.user("zone").pk),
        )  # fmt: skip
    assert info.value.fields == {"person": ["责任人应为责任单位的在用账号"]}
    assert Problem.objects.get(pk=problem.pk).state == "raised"


def test_moves_outside_the_table_and_wrong_actors_are_refused(world):
    problem = raise_one(world)
    with pytest.raises(ValidationFailed) as info:
        services.problem_move(by=world.user("enterprise"), problem=problem, move="confirm")
    assert info.value.message == (
        "问题当前为“已提出”，不能确认满意（只有已办结待确认的问题可以确认满意）"
    )
    with pytest.raises(PermissionDenied):
        services.problem_move(by=world.user("enterprise"), problem=problem, move="analyse",
                              solution="x")  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.problem_move(by=world.user("department"), problem=problem, move="feedback",
                              text="x")  # fmt: skip
    with pytest.raises(ValidationFailed):
        services.problem_move(by=world.user("county"), problem=problem, move="fly")


def test_a_stale_version_is_a_conflict(world):
    problem = raise_one(world)
    county = world.user("county")
    services.problem_move(by=county, problem=problem, move="analyse", solution="a", version=1)
    with pytest.raises(Conflict) as info:
        services.problem_move(by=county, problem=problem, move="analyse", solution="b", version=1)
    assert info.value.message == "该问题已被他人处理，请刷新后重试"


def test_escalation_goes_up_one_level_and_then_only_the_city_handles_it(world):
    problem = raise_one(world)
    county, city = world.user("county"), world.user("city_office")
    problem = services.problem_move(by=county, problem=problem, move="escalate", text="需市级协调")
    assert (problem.state, problem.level) == ("escalated", "city")
    with pytest.raises(PermissionDenied) as info:
        services.problem_move(by=county, problem=problem, move="analyse", solution="x")
    assert info.value.message == "市级问题由市项目办研判交办"
    problem = services.problem_move(by=city, problem=problem, move="escalate", text="报省")
    assert problem.level == "province"
    with pytest.raises(ValidationFailed) as info:
        services.problem_move(by=city, problem=problem, move="escalate", text="再报")
    assert info.value.message == "省级问题已是最高层级，不能再提级"


def test_the_county_confirms_on_behalf_only_when_the_enterprise_has_no_account(world):
    problem = raise_one(world, by=world.user("county"))
    county, dept = world.user("county"), world.user("department")
    problem = services.problem_move(by=county, problem=problem, move="assign", **assign_data(world))
    problem = services.problem_move(by=dept, problem=problem, move="feedback", text="办理中")
    problem = services.problem_move(by=dept, problem=problem, move="solve", text="已解决")
    with pytest.raises(PermissionDenied) as info:
        services.problem_move(by=county, problem=problem, move="confirm")
    assert info.value.message == "该企业有系统账号，应由企业本人确认是否满意"
    world.user("enterprise").is_active = False
    world.user("enterprise").save()
    problem = services.problem_move(by=county, problem=problem, move="confirm")
    assert problem.state == "closed" and problem.confirmed_on_behalf
    assert problem.events.last().on_behalf


def test_key_projects_run_under_13710_and_out_of_scope_projects_are_refused(world):
    world.project_a.is_city_key = True
    world.project_a.save()
    assert raise_one(world).policy.code == "13710"
    with pytest.raises(PermissionDenied):
        raise_one(world, project=world.project_b)
    with pytest.raises(ValidationFailed) as info:
        raise_one(world, category="天气")
    assert info.value.fields["category"][0].startswith("“天气”不是有效的问题类别")


def test_a_policy_change_is_a_new_version_and_running_problems_keep_theirs(world):
    problem = raise_one(world)
    old = problem.policy
    new = services.policy_update(by=world.user("city_office"), policy=old, solve_days=10)
    assert (new.version, new.current, new.solve_days) == (2, True, 10)
    problem.refresh_from_db()
    assert problem.policy == old and not Problem.objects.get(pk=problem.pk).policy.current
    with pytest.raises(PermissionDenied):
        services.policy_update(by=world.user("county"), policy=new, solve_days=9)
    with pytest.raises(Conflict):
        services.policy_update(by=world.user("city_office"), policy=old, solve_days=9)


def test_a_problem_raised_earlier_starts_its_timeline_then_and_is_audited_whole(world):
    city = world.user("city_office")
    raised = timezone.now() - dt.timedelta(days=3)
    problem = raise_one(world, by=city, raised_at=raised)
    analysed = services.problem_move(
        by=city, problem=problem, move="analyse", solution="需银行授信", is_complex=True
    )
    # The timeline reads in the order things happened: raised three days ago, then analysed.
    events = list(ProblemEvent.objects.filter(problem=problem).order_by("at", "pk"))
    assert [(e.move, e.at) for e in events] == [("raise", raised), ("analyse", events[1].at)]
    assert events[1].at > raised
    # The audit rows carry what was decided: where it came from, when, under which policy
    # and until when; marking it complex moves its solve clock, and that is audited too.
    created, moved = AuditLog.objects.filter(
        object_type="problems.problem", object_id=str(problem.pk)
    ).order_by("pk")

    def moment(row: dict, key: str) -> dt.datetime:
        return dt.datetime.fromisoformat(row[key])

    assert {k: created.after[k] for k in ("project", "source", "policy")} == {
        "project": world.project_a.pk,
        "source": "city",
        "policy": problem.policy_id,
    }
    assert moment(created.after, "raised_at") == raised
    assert moment(created.after, "solve_due") == problem.solve_due
    assert moment(moved.before, "solve_due") == problem.solve_due
    assert moment(moved.after, "solve_due") == analysed.solve_due != problem.solve_due
    assert "updated_at" not in moved.after


def test_every_role_that_raises_has_a_source_and_the_system_raises_nothing(world):
    from sanpi.accounts.actors import SystemActor
    from sanpi.accounts.roles import ROLE_CAPS, Cap

    raisers = {role for role, caps in ROLE_CAPS.items() if Cap.RAISE_PROBLEMS in caps}
    assert raisers == set(services.SOURCE_OF_ROLE)
    assert raise_one(world, by=world.user("leader")).source == "leader_visit"
    with pytest.raises(PermissionDenied) as info:
        raise_one(world, by=SystemActor(name="cli:root"))
    assert info.value.message == "问题须由具体的人提出（系统操作不能提出问题）"


def test_a_move_answers_with_the_step_it_wrote(world):
    problem = raise_one(world)
    event = services.problem_move_event(
        by=world.user("county"), problem=problem, move="escalate", text="需市级协调"
    )
    assert (event.move, event.from_state, event.to_state) == ("escalate", "raised", "escalated")
    assert event == ProblemEvent.objects.filter(problem=problem).latest("pk")
    assert (event.problem.state, event.problem.level, event.problem.version) == (
        "escalated",
        "city",
        2,
    )


def test_the_overdue_filter_counts_what_the_figures_count(world):
    """只看超期 matches the figures and leader pages: red, or a clock already past due
    though the breach task has not run yet."""
    from sanpi.problems.selectors import ProblemFilter, problem_list

    late = raise_one(world, raised_at=timezone.now() - dt.timedelta(days=40))
    fresh = raise_one(world)
    assert late.light == "green"  # the task has not run
    city = world.user("city_office")
    found = set(problem_list(user=city, filters=ProblemFilter(overdue="1")))
    assert late in found and fresh not in found
