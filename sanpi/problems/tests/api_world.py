"""The problems' objects the shared API suites address (core/tests/test_api_robustness.py):
made once per test, found again on every later call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sanpi.accounts.models import User
from sanpi.problems import services
from sanpi.problems.models import Liaison, Policy, Problem
from sanpi.problems.tests.factories import make_problem

MARK = "接口测试的施工用电问题"


@dataclass
class ApiWorld:
    problem: Problem  # project A's, in progress (assigned to zone A's department)
    leader: User  # the world's leader
    liaison: Liaison  # the leader's liaison of project A since 2021-01-05
    policy: Policy  # the current ordinary policy

    def path(self, path: str) -> str:
        """``path`` with its ``{id}`` filled in with the object it addresses."""
        target = {
            "/problem-policies": self.policy,
            "/liaisons": self.liaison,
            "/leaders": self.leader,
        }.get("/" + path.split("/")[1], self.problem)
        return path.replace("{id}", str(target.pk))


def api_world(world) -> ApiWorld:
    problem = Problem.objects.filter(description=MARK).first()
    if problem is None:
        problem = make_problem(world, state="in_progress", description=MARK)
    leader = world.user("leader")
    liaison = Liaison.objects.filter(leader=leader, project=world.project_a).first()
    if liaison is None:
        liaison = services.liaison_set(
            by=world.user("city_office"),
            leader=leader,
            project=world.project_a,
            since=dt.date(2021, 1, 5),
        )
    policy = Policy.objects.get(code="ordinary", current=True)
    return ApiWorld(problem=problem, leader=leader, liaison=liaison, policy=policy)
