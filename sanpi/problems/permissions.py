"""Who may make which move of the closed loop on a problem: one place for the services
(which refuse) and the pages (which offer only the forms a user may use).

* analyse, assign, escalate: the county's (and the zone's) at county level, the city
  office's at every level (`may_handle`);
* feedback, solve: the responsible unit, and the city office (`may_work`);
* confirm, reject: the enterprise; the county on its behalf only when the enterprise has
  no account (`may_confirm`);
* withdraw: whoever raised it, or whoever may handle it (`may_withdraw`).

Raising a problem (`may_raise`) is checked here too, and who belongs to a responsible
unit (`UNIT_ROLES`, `user_in_unit`; `services.unit_users` lists them).
"""

from __future__ import annotations

from sanpi.accounts.models import User
from sanpi.accounts.roles import Cap, Role
from sanpi.core.errors import PermissionDenied
from sanpi.core.scope import in_scope
from sanpi.core.services import require
from sanpi.notifications.services import recipients

from . import rules
from .models import Problem, UnitKind
from .rules import Level, Move

# The role of each kind of responsible unit's users; a department's, county's or zone's
# users are those whose own unit (``department``, ``county``, ``zone``: the kind's name)
# is the problem's ``unit_<kind>``.
UNIT_ROLES = {
    UnitKind.CITY: Role.CITY_OFFICE,
    UnitKind.DEPARTMENT: Role.DEPARTMENT,
    UnitKind.COUNTY: Role.COUNTY,
    UnitKind.ZONE: Role.ZONE,
}


def user_in_unit(user, problem: Problem) -> bool:
    """Whether the user belongs to the problem's responsible unit."""
    kind = problem.unit_kind
    if kind not in UNIT_ROLES or getattr(user, "role", None) != UNIT_ROLES[kind]:
        return False
    return kind == UnitKind.CITY or getattr(user, f"{kind}_id") == getattr(
        problem, f"unit_{kind}_id"
    )


def may_raise(by, project) -> None:
    """Raise a problem: a person (not an operator command) allowed to raise problems,
    of a project in their scope."""
    require(by, Cap.RAISE_PROBLEMS)
    if not isinstance(by, User):
        raise PermissionDenied("问题须由具体的人提出（系统操作不能提出问题）")
    if not in_scope(by, project):
        raise PermissionDenied("只能对权限范围内的项目提出问题")


def may_handle(by, problem: Problem) -> None:
    """Analyse, assign, escalate: the county's (and zone's) at county level, the city
    office's at every level."""
    require(by, Cap.HANDLE_PROBLEMS)
    if not in_scope(by, problem.project):
        raise PermissionDenied("只能处理权限范围内项目的问题")
    if problem.level != Level.COUNTY and not by.sees_all:
        raise PermissionDenied(f"{rules.LEVEL_LABELS[Level(problem.level)]}问题由市项目办研判交办")


def may_work(by, problem: Problem) -> None:
    require(by, Cap.WORK_PROBLEMS)
    if not (user_in_unit(by, problem) or getattr(by, "role", None) == Role.CITY_OFFICE):
        raise PermissionDenied("只有责任单位可以反馈进展和办结")


def enterprise_has_account(problem: Problem) -> bool:
    return recipients(role=Role.ENTERPRISE, scope=problem.project.enterprise).exists()


def may_confirm(by, problem: Problem) -> bool:
    """The enterprise confirms; the county on its behalf when it has no account. Returns
    whether it is on the enterprise's behalf."""
    role = getattr(by, "role", None)
    if role == Role.ENTERPRISE and by.enterprise_id == problem.project.enterprise_id:
        return False
    if role == Role.COUNTY and in_scope(by, problem.project):
        if enterprise_has_account(problem):
            raise PermissionDenied("该企业有系统账号，应由企业本人确认是否满意")
        return True
    raise PermissionDenied("只有项目单位（企业）可以确认问题是否解决")


def may_withdraw(by, problem: Problem) -> None:
    if isinstance(by, User) and problem.raised_by_id == by.pk:
        return
    may_handle(by, problem)


def check_move(by, problem: Problem, move: Move) -> bool:
    """Refuse (PermissionDenied) a move the user may not make on the problem, whatever its
    state; returns whether a confirmation is on the enterprise's behalf."""
    if move in (Move.ANALYSE, Move.ASSIGN, Move.ESCALATE):
        may_handle(by, problem)
    elif move in (Move.FEEDBACK, Move.SOLVE):
        may_work(by, problem)
    elif move in (Move.CONFIRM, Move.REJECT):
        return may_confirm(by, problem)
    else:
        may_withdraw(by, problem)
    return False


def allowed_moves(user, problem: Problem) -> list[Move]:
    """The moves the table allows from the problem's state that the user may make, in the
    table's order (a provincial problem is not offered another escalation)."""
    out = []
    for move in rules.moves_from(problem.state):
        if move == Move.ESCALATE and rules.escalation_of(problem.level) is None:
            continue
        try:
            check_move(user, problem, move)
        except PermissionDenied:
            continue
        out.append(move)
    return out
