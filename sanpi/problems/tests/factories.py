"""Problems for tests, brought to a state through the real services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from sanpi.accounts.tests.factories import UserFactory
from sanpi.problems import services
from sanpi.problems.models import Problem
from sanpi.regions.models import Department

# The moves that bring a new problem to each state, in order.
PATH = {
    "raised": [],
    "analysed": ["analyse"],
    "assigned": ["assign"],
    "in_progress": ["assign", "feedback"],
    "solved": ["assign", "feedback", "solve"],
    "closed": ["assign", "feedback", "solve", "confirm"],
    "escalated": ["escalate"],
    "withdrawn": ["withdraw"],
}


@dataclass
class ProblemsState:
    """Problem A (project A, assigned to zone A's department) and problem B (project B in
    county B, assigned to county B's department): B is outside every scoped user's view."""

    a: Problem
    b: Problem
    dept_b: Department


def assign_data(department: Department, person, **over) -> dict:
    return {
        "unit_kind": "department",
        "unit_id": department.pk,
        "leader_name": "王副县长",
        "person_id": person.pk,
        "solution": "协调办理",
        "deadline": timezone.localdate() + dt.timedelta(days=10),
        **over,
    }


def make_problem(
    world, *, state: str = "raised", project=None, department=None, person=None, **raise_args
) -> Problem:
    """A problem raised by the city office on ``project`` (project A) and moved to
    ``state`` through the services: assigned to ``department`` (zone A's) and its
    ``person`` (the world's department user), confirmed by the project's enterprise (the
    world's enterprise user for project A, a new account of its enterprise for others)."""
    city = world.user("city_office")
    project = project or world.project_a
    department = department or world.department_a
    person = person or world.user("department")
    problem = services.problem_raise(
        by=city,
        project=project,
        description=raise_args.pop("description", f"{project.name}的施工用电问题"),
        category=raise_args.pop("category", "utilities"),
        **raise_args,
    )
    for move in PATH[state]:
        if move == "analyse":
            problem = services.problem_move(by=city, problem=problem, move=move, solution="研判")
        elif move == "assign":
            problem = services.problem_move(
                by=city, problem=problem, move=move, **assign_data(department, person)
            )
        elif move in ("feedback", "solve"):
            problem = services.problem_move(by=person, problem=problem, move=move, text="进展")
        elif move == "confirm":
            problem = services.problem_move(by=_confirmer(world, project), problem=problem,
                                            move=move)  # fmt: skip
        else:
            problem = services.problem_move(by=city, problem=problem, move=move, text="原因")
    return problem


def _confirmer(world, project):
    if project.enterprise_id == world.enterprise_a.id:
        return world.user("enterprise")
    return UserFactory(role="enterprise", enterprise=project.enterprise)


def problems_state(world) -> ProblemsState:
    dept_b = Department.objects.create(
        name="孝义市行政审批局", kind="approval", level="county", county=world.county_b
    )
    person_b = UserFactory(role="department", department=dept_b)
    a = make_problem(world, state="in_progress")
    b = make_problem(
        world, state="in_progress", project=world.project_b, department=dept_b, person=person_b
    )
    return ProblemsState(a=a, b=b, dept_b=dept_b)
