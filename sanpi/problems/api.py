"""API for the problems' closed loop (问题闭环): the problem ledger, raising a problem, one
problem with its five 到位, clocks and timeline, each move of the loop (with the version
read: 409 when stale), the SLA policies, leaders' liaison (包联) and the service team's
visits (入企服务), and a monthly report's problems turned into a problem.

Reads go through the selectors (scope: an object outside it is 404), writes through the
services (capability: 403; the move table and the five 到位: 400).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import PlainValidator, StrictBool, WithJsonSchema

from sanpi.accounts.models import User
from sanpi.accounts.roles import Cap
from sanpi.core.api import (
    ERROR_RESPONSES,
    MAX_ID,
    PAGE_FIELDS,
    Date,
    InputSchema,
    OptionalDate,
    Page,
    PageQuery,
    Text,
    choice_type,
    id_field,
    input_error,
    optional_int,
    paginate,
)
from sanpi.core.errors import NotFound, ValidationFailed
from sanpi.core.services import require
from sanpi.dispatch import rules as dispatch_rules
from sanpi.dispatch import selectors as dispatch_selectors
from sanpi.projects import selectors as project_selectors
from sanpi.projects.api import ProjectPlaceOut, ProjectRowOut
from sanpi.projects.models import Project
from sanpi.regions.models import County

from . import liaison_selectors, selectors, services
from .models import (
    Attachment,
    Category,
    LevelChoices,
    Liaison,
    Policy,
    Problem,
    ProblemEvent,
    StateChoices,
    UnitKind,
    Visit,
)
from .permissions import allowed_moves
from .rules import (
    CLOCK_LABELS,
    FIVE,
    LIGHT_LABELS,
    MOVE_LABELS,
    STATE_LABELS,
    ClockState,
    Move,
    five_missing,
)

router = Router(tags=["问题闭环"])

_problem = Problem._meta.get_field
_policy = Policy._meta.get_field
_visit = Visit._meta.get_field

ProblemId = Path(..., title="问题编号", ge=1, le=MAX_ID)
PolicyId = Path(..., title="时限规则编号", ge=1, le=MAX_ID)
LiaisonId = Path(..., title="包联记录编号", ge=1, le=MAX_ID)
LeaderId = Path(..., title="领导的用户编号", ge=1, le=MAX_ID)
ProjectId = Path(..., title="项目编号", ge=1, le=MAX_ID)
Year = Path(..., title="年份", description="2000 至明年")
Month = Path(..., title="月份", description="1–12")

VERSION_MAX = 2_147_483_647
TEXT_MAX = services.TEXT_MAX
EARLIEST = dt.datetime(2000, 1, 1)  # before it a moment is a typo, not a problem's history


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment) if moment else None


def _person(user: User | None) -> str | None:
    return str(user) if user is not None else None


# --- field types --------------------------------------------------------------------------------

UNIT_RE = re.compile(r"^(city|department:[0-9]{1,18}|county:[0-9]{6}|zone:[0-9]{1,18})$")
UNIT_HELP = (
    "责任单位：city（市项目办）、department:<部门编号>、county:<行政区划代码>、zone:<开发区编号>，"
    "如 department:3、county:141102"
)


def _check_unit(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not UNIT_RE.match(value.strip()):
        raise input_error("unit", f"格式不正确。{UNIT_HELP}")
    return value.strip()


OptionalUnit = Annotated[
    str | None,
    PlainValidator(_check_unit),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": UNIT_RE.pattern}, {"type": "null"}],
            "examples": ["department:3"],
        }
    ),
]


def _check_moment(value: object) -> dt.datetime | None:
    """A moment as ``YYYY-MM-DDTHH:MM[:SS]`` (Beijing time unless an offset is given)."""
    if value is None:
        return None
    message = "须为 YYYY-MM-DDTHH:MM:SS 格式的时间（北京时间），如 2026-11-30T09:30:00"
    if not isinstance(value, str) or not re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]", value):
        raise input_error("datetime", message)
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise input_error("datetime", f"“{value}”不是有效的时间。{message}") from None
    if moment.replace(tzinfo=None) < EARLIEST:
        raise input_error("datetime", "时间不能早于2000年")
    return moment


OptionalMoment = Annotated[
    dt.datetime | None,
    PlainValidator(_check_moment),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}],
            "examples": ["2026-11-30T09:30:00"],
        }
    ),
]


def _unit_token(problem: Problem) -> str | None:
    kind = problem.unit_kind
    if kind == UnitKind.CITY:
        return "city"
    if kind == UnitKind.DEPARTMENT:
        return f"department:{problem.unit_department_id}"
    if kind == UnitKind.COUNTY:
        return f"county:{problem.unit_county.code}"
    if kind == UnitKind.ZONE:
        return f"zone:{problem.unit_zone_id}"
    return None


def _unit_data(token: str) -> dict[str, Any]:
    """A unit token as the service reads it (``unit_kind``, ``unit_id``)."""
    kind, _, value = token.partition(":")
    if kind == UnitKind.CITY:
        return {"unit_kind": kind, "unit_id": None}
    if kind == UnitKind.COUNTY:
        county = County.objects.filter(code=value).first()
        if county is None:
            raise ValidationFailed.of("unit", f"没有行政区划代码为“{value}”的县(市、区)")
        return {"unit_kind": kind, "unit_id": county.pk}
    return {"unit_kind": kind, "unit_id": int(value)}


# --- output schemas --------------------------------------------------------------------------


class ProblemOut(ProjectRowOut):
    """A row of the problem ledger."""

    id: int
    description: str = Field(title="问题描述")
    category: str = Field(title="问题类别")
    category_label: str = Field(title="问题类别（中文）", alias="get_category_display")
    level: str = Field(title="解决层级", description="county 县级，city 市级，province 省级")
    level_label: str = Field(title="解决层级（中文）", alias="get_level_display")
    state: str = Field(
        title="状态",
        description="；".join(f"{s.value} = {label}" for s, label in STATE_LABELS.items()),
    )
    state_label: str = Field(title="状态（中文）", alias="get_state_display")
    source: str = Field(title="来源")
    source_label: str = Field(title="来源（中文）", alias="get_source_display")
    raised_at: dt.datetime = Field(title="提出时间")
    is_complex: bool = Field(title="复杂问题", description="复杂问题的办结时限按月计")
    unit: str | None = Field(title="责任单位", description=UNIT_HELP + "；交办前为 null")
    unit_name: str | None = Field(title="责任单位名称")
    person_name: str | None = Field(title="责任人")
    deadline: dt.date | None = Field(title="完成时限")
    light: str = Field(title="预警", description="green 正常，yellow 临期，red 超期")
    light_label: str = Field(title="预警（中文）", alias="get_light_display")
    deploy_due: dt.datetime = Field(title="部署时限")
    feedback_due: dt.datetime = Field(title="首次反馈时限")
    solve_due: dt.datetime = Field(title="办结时限")
    closed_at: dt.datetime | None = Field(title="结束时间（销号或撤回）")
    version: int = Field(title="版本", description="操作时原样传回；他人已处理时返回 409")

    @staticmethod
    def resolve_raised_at(obj: Problem) -> dt.datetime:
        return _local(obj.raised_at)

    @staticmethod
    def resolve_unit(obj: Problem) -> str | None:
        return _unit_token(obj)

    @staticmethod
    def resolve_unit_name(obj: Problem) -> str | None:
        unit = obj.unit
        return None if unit is None else str(unit)

    @staticmethod
    def resolve_person_name(obj: Problem) -> str | None:
        return _person(obj.person)

    @staticmethod
    def resolve_deploy_due(obj: Problem) -> dt.datetime:
        return _local(obj.deploy_due)

    @staticmethod
    def resolve_feedback_due(obj: Problem) -> dt.datetime:
        return _local(obj.feedback_due)

    @staticmethod
    def resolve_solve_due(obj: Problem) -> dt.datetime:
        return _local(obj.solve_due)

    @staticmethod
    def resolve_closed_at(obj: Problem) -> dt.datetime | None:
        return _local(obj.closed_at)


class FiveOut(Schema):
    """The five 到位 of an assignment (交办)."""

    unit: str | None = Field(title="责任单位", description=UNIT_HELP)
    unit_name: str | None = Field(title="责任单位名称")
    leader_name: str = Field(title="责任领导")
    leader: int | None = Field(title="责任领导的用户编号", description="责任领导有系统账号时")
    person: int | None = Field(title="责任人的用户编号")
    person_name: str | None = Field(title="责任人")
    solution: str = Field(title="解决措施")
    deadline: dt.date | None = Field(title="完成时限")
    missing: list[str] = Field(title="尚缺", description="五到位中尚未落实的项（中文）")


class ClockOut(Schema):
    clock: str = Field(title="时限", description="deploy 当日部署，feedback 首次反馈，solve 办结")
    label: str = Field(title="时限（中文）")
    due: dt.datetime = Field(title="到期时间")
    stopped: dt.datetime | None = Field(title="完成时间", description="尚未完成时为 null")
    used_days: int = Field(title="已用工作日")
    left_days: int = Field(title="剩余工作日", description="负数为已超期的工作日数")
    breached: bool = Field(title="已超期")
    light: str = Field(title="预警", description="green 正常，yellow 临期，red 超期")
    light_label: str = Field(title="预警（中文）")


class ClocksOut(Schema):
    deploy: ClockOut = Field(title="当日部署")
    feedback: ClockOut = Field(title="首次反馈")
    solve: ClockOut = Field(title="办结")


class MoveOptionOut(Schema):
    move: str = Field(title="操作")
    label: str = Field(title="操作（中文）")


class PolicyRefOut(Schema):
    id: int
    code: str = Field(title="代号")
    version: int = Field(title="版本")
    name: str = Field(title="名称")


class ProblemDetailOut(ProblemOut):
    """One problem: its facts, the five 到位, its clocks and what the caller may do."""

    raised_by: str = Field(title="提出人")
    report: int | None = Field(title="来自月报的编号")
    five: FiveOut = Field(title="五到位")
    clocks: ClocksOut = Field(title="时限", description="13710 或一般项目规则，按官方工作日历计算")
    policy: PolicyRefOut = Field(title="时限规则", description="提出时的现行版本")
    assigned_at: dt.datetime | None = Field(title="交办时间")
    first_feedback_at: dt.datetime | None = Field(title="首次反馈时间")
    solved_at: dt.datetime | None = Field(title="办结时间")
    escalated_at: dt.datetime | None = Field(title="提级时间")
    breached_at: dt.datetime | None = Field(title="首次超期时间")
    satisfied: bool | None = Field(title="企业满意", description="企业确认前为 null")
    confirmed_on_behalf: bool = Field(title="县级代企业确认")
    allowed_moves: list[MoveOptionOut] = Field(
        title="可执行的操作", description="当前状态下、本人有权执行的操作"
    )

    @staticmethod
    def resolve_raised_by(obj: Problem) -> str:
        return str(obj.raised_by)

    @staticmethod
    def resolve_report(obj: Problem) -> int | None:
        return obj.report_id

    @staticmethod
    def resolve_five(obj: Problem) -> dict:
        unit = obj.unit
        five = {
            "unit": obj.unit_kind,
            "leader": obj.leader_name,
            "person": obj.person_id,
            "solution": obj.solution,
            "deadline": obj.deadline,
        }
        return {
            "unit": _unit_token(obj),
            "unit_name": None if unit is None else str(unit),
            "leader_name": obj.leader_name,
            "leader": obj.leader_id,
            "person": obj.person_id,
            "person_name": _person(obj.person),
            "solution": obj.solution,
            "deadline": obj.deadline,
            "missing": [FIVE[k] for k in five_missing(five)],
        }

    @staticmethod
    def resolve_clocks(obj: Problem) -> dict:
        return {c.clock.value: _clock_out(c) for c in selectors.clocks(obj)}

    @staticmethod
    def resolve_assigned_at(obj: Problem) -> dt.datetime | None:
        return _local(obj.assigned_at)

    @staticmethod
    def resolve_first_feedback_at(obj: Problem) -> dt.datetime | None:
        return _local(obj.first_feedback_at)

    @staticmethod
    def resolve_solved_at(obj: Problem) -> dt.datetime | None:
        return _local(obj.solved_at)

    @staticmethod
    def resolve_escalated_at(obj: Problem) -> dt.datetime | None:
        return _local(obj.escalated_at)

    @staticmethod
    def resolve_breached_at(obj: Problem) -> dt.datetime | None:
        return _local(obj.breached_at)

    @staticmethod
    def resolve_allowed_moves(obj: Problem, context) -> list[dict]:
        user = context["request"].auth
        return [{"move": m.value, "label": MOVE_LABELS[m]} for m in allowed_moves(user, obj)]


def _clock_out(state: ClockState) -> dict:
    return {
        "clock": state.clock.value,
        "label": CLOCK_LABELS[state.clock],
        "due": timezone.localtime(services.aware(state.due)),
        "stopped": timezone.localtime(services.aware(state.stopped)) if state.stopped else None,
        "used_days": state.used_days,
        "left_days": state.left_days,
        "breached": state.breached,
        "light": state.light.value,
        "light_label": LIGHT_LABELS[state.light],
    }


def _detail(user, problem: Problem) -> Problem:
    """The problem read again within the user's scope (as ProblemDetailOut shows it)."""
    return selectors.problem_get(user=user, pk=problem.pk)


class AttachmentOut(Schema):
    id: int
    name: str = Field(title="文件名")
    content_type: str = Field(title="类型")
    size: int = Field(title="字节数")


class ProblemEventOut(Schema):
    id: int
    move: str = Field(title="动作", description="raise 提出，alert 预警，其余见操作")
    move_label: str = Field(title="动作（中文）", alias="get_move_display")
    from_state: str = Field(title="原状态", description="提出时为空")
    from_state_label: str = Field(title="原状态（中文）")
    to_state: str = Field(title="新状态")
    to_state_label: str = Field(title="新状态（中文）")
    text: str = Field(title="说明")
    at: dt.datetime = Field(title="时间")
    by: int | None = Field(title="操作人的用户编号", description="系统自动操作时为 null")
    by_name: str | None = Field(title="操作人")
    on_behalf: bool = Field(title="代企业确认")
    attachments: list[AttachmentOut] = Field(title="附件")

    @staticmethod
    def resolve_from_state_label(obj: ProblemEvent) -> str:
        return STATE_LABELS.get(obj.from_state, "") if obj.from_state else ""

    @staticmethod
    def resolve_to_state_label(obj: ProblemEvent) -> str:
        return STATE_LABELS.get(obj.to_state, "") if obj.to_state else ""

    @staticmethod
    def resolve_at(obj: ProblemEvent) -> dt.datetime:
        return _local(obj.at)

    @staticmethod
    def resolve_by(obj: ProblemEvent) -> int | None:
        return obj.by_id

    @staticmethod
    def resolve_by_name(obj: ProblemEvent) -> str | None:
        return _person(obj.by)

    @staticmethod
    def resolve_attachments(obj: ProblemEvent) -> list[Attachment]:
        return list(obj.attachments.all())


class PolicyOut(Schema):
    id: int
    code: str = Field(title="代号")
    version: int = Field(title="版本")
    current: bool = Field(
        title="现行", description="修改后旧版本不再现行，已提出的问题仍按旧版本计时"
    )
    name: str = Field(title="名称")
    applies_to: str = Field(title="适用项目", description="key 省、市重点项目；other 其他项目")
    applies_to_label: str = Field(title="适用项目（中文）", alias="get_applies_to_display")
    deploy_same_day: bool = Field(title="当日部署")
    feedback_days: int = Field(title="首次反馈时限(天)")
    feedback_calendar: bool = Field(title="反馈按自然日计", description="false 按工作日计")
    solve_days: int = Field(title="一般问题办结时限(天)")
    solve_calendar: bool = Field(title="办结按自然日计", description="false 按工作日计")
    complex_months: int = Field(title="复杂问题办结时限(月)")
    warn_days: int = Field(title="临期预警(剩余工作日)")
    escalate_after_days: int = Field(title="超期后自动提级(工作日)", description="0 为不自动提级")
    created_at: dt.datetime = Field(title="生效时间")
    created_by: str | None = Field(title="设定人")

    @staticmethod
    def resolve_created_at(obj: Policy) -> dt.datetime:
        return _local(obj.created_at)

    @staticmethod
    def resolve_created_by(obj: Policy) -> str | None:
        return _person(obj.created_by)


class LiaisonOut(ProjectRowOut):
    id: int
    leader: int = Field(title="包联领导的用户编号")
    leader_name: str = Field(title="包联领导")
    since: dt.date = Field(title="包联起始日期")
    until: dt.date | None = Field(title="包联截止日期", description="仍在包联时为 null")
    current: bool = Field(title="目前在包联")

    @staticmethod
    def resolve_leader(obj: Liaison) -> int:
        return obj.leader_id

    @staticmethod
    def resolve_leader_name(obj: Liaison) -> str:
        return str(obj.leader)

    @staticmethod
    def resolve_current(obj: Liaison) -> bool:
        today = timezone.localdate()
        return obj.since <= today and (obj.until is None or obj.until >= today)


class LeaderProjectOut(ProjectPlaceOut):
    """A project a leader liaises for, with what needs attention."""

    project: int = Field(title="项目编号")
    project_name: str = Field(title="项目名称")
    stage: str = Field(title="项目阶段")
    stage_label: str = Field(title="项目阶段（中文）", alias="get_stage_display")
    health: str = Field(title="推进状态")
    health_label: str = Field(title="推进状态（中文）", alias="get_health_display")
    liaison_since: dt.date = Field(title="包联起始日期")
    open_problems: int = Field(title="未销号问题数")
    overdue_problems: int = Field(title="超期未销号问题数")
    due_soon_problems: int = Field(title="临期问题数")
    breaches: int = Field(title="曾超期问题数", description="办理中曾经超期的问题（含已销号）")

    @staticmethod
    def resolve_project(obj: Project) -> int:
        return obj.pk

    @staticmethod
    def resolve_project_name(obj: Project) -> str:
        return obj.name


class VisitOut(ProjectRowOut):
    id: int
    date: dt.date = Field(title="走访日期")
    visitors: str = Field(title="走访人员")
    findings: str = Field(title="发现的情况")
    promises: str = Field(title="作出的承诺")
    problems: list[int] = Field(
        title="提出的问题编号", description="走访中发现并转入问题台账的问题"
    )
    recorded_by: str = Field(title="记录人")
    recorded_at: dt.datetime = Field(title="记录时间")

    @staticmethod
    def resolve_problems(obj: Visit) -> list[int]:
        return sorted(p.pk for p in obj.problems.all())

    @staticmethod
    def resolve_recorded_by(obj: Visit) -> str:
        return str(obj.recorded_by)

    @staticmethod
    def resolve_recorded_at(obj: Visit) -> dt.datetime:
        return _local(obj.recorded_at)


# --- input schemas -------------------------------------------------------------------------------

CATEGORY = choice_type(Category.choices)
LEVEL = choice_type(LevelChoices.choices)


class ProblemIn(InputSchema):
    """提出问题：权限范围内的项目遇到的问题。提出即开始计时（省、市重点项目按13710工作制度）。"""

    project: int = id_field("项目", description="项目编号，须在本人权限范围内")
    description: Text = Field(title="问题描述", min_length=1, max_length=TEXT_MAX)
    category: CATEGORY = Field(title="问题类别")
    level: LEVEL = Field("county", title="解决层级", description="默认县级")
    raised_at: OptionalMoment = Field(
        None, title="提出时间", description="补录以前提出的问题时填写（北京时间）；不填为现在"
    )


# Which fields each move takes (beyond move and version).
_ASSIGN_FIELDS = {"unit", "leader_name", "leader", "person", "solution", "deadline", "is_complex"}
MOVE_FIELDS: dict[Move, set[str]] = {
    Move.ANALYSE: {"solution", "is_complex"},
    Move.ASSIGN: _ASSIGN_FIELDS,
    **{m: {"text"} for m in (Move.FEEDBACK, Move.SOLVE, Move.CONFIRM, Move.REJECT)},
    **{m: {"text"} for m in (Move.ESCALATE, Move.WITHDRAW)},
}


class MoveIn(InputSchema):
    """问题闭环的一步操作。各操作所需字段：研判 analyse（solution 解决措施，可选 is_complex）；
    交办 assign（五到位：unit、leader_name、person、solution、deadline，可选 leader、is_complex）；
    反馈进展 feedback、办结 solve、确认不满意 reject、提级 escalate、撤回 withdraw（text 说明）；
    确认满意 confirm（可选 text）。不属于该操作的字段返回 400。"""

    move: choice_type([(m.value, MOVE_LABELS[m]) for m in Move]) = Field(title="操作")
    version: int = Field(
        title="版本", description="读取问题时的 version；他人已处理时返回 409", ge=1, le=VERSION_MAX
    )
    solution: Text | None = Field(None, title="解决措施", max_length=TEXT_MAX)
    is_complex: StrictBool | None = Field(
        None, title="复杂问题", description="true：办结时限按月计（见时限规则）"
    )
    unit: OptionalUnit = Field(None, title="责任单位", description=UNIT_HELP)
    leader_name: Text | None = Field(None, title="责任领导", max_length=50)
    leader: int | None = id_field(
        "责任领导的账号", required=False, description="责任领导有系统账号时填写其用户编号"
    )
    person: int | None = id_field(
        "责任人", required=False, description="责任人的用户编号，须为责任单位的在用账号"
    )
    deadline: OptionalDate = Field(None, title="完成时限", description="不能早于今天")
    text: Text | None = Field(None, title="说明", max_length=TEXT_MAX)


class PolicyPatch(InputSchema):
    """修改时限规则：生成新版本（旧版本保留，已提出的问题仍按旧版本计时）。只改所传字段。"""

    name: Text = Field(None, title="名称", min_length=1, max_length=_policy("name").max_length)
    deploy_same_day: StrictBool = Field(None, title="当日部署")
    feedback_days: int = Field(None, title="首次反馈时限(天)", ge=1, le=60)
    feedback_calendar: StrictBool = Field(None, title="反馈按自然日计")
    solve_days: int = Field(None, title="一般问题办结时限(天)", ge=1, le=365)
    solve_calendar: StrictBool = Field(None, title="办结按自然日计")
    complex_months: int = Field(None, title="复杂问题办结时限(月)", ge=1, le=12)
    warn_days: int = Field(None, title="临期预警(剩余工作日)", ge=0, le=30)
    escalate_after_days: int = Field(
        None, title="超期后自动提级(工作日)", description="0 为不自动提级", ge=0, le=60
    )


class LiaisonIn(InputSchema):
    """登记领导包联项目。"""

    leader: int = id_field("包联领导", description="“领导”角色的用户编号")
    project: int = id_field("项目", description="项目编号")
    since: Date = Field(title="包联起始日期")
    until: OptionalDate = Field(None, title="包联截止日期", description="不填为长期包联")


class LiaisonEndIn(InputSchema):
    """结束包联。"""

    until: Date = Field(title="包联截止日期", description="不能早于起始日期")


class VisitProblemIn(InputSchema):
    """走访中发现的问题（转入问题台账，来源为“入企服务”）。"""

    description: Text = Field(title="问题描述", min_length=1, max_length=TEXT_MAX)
    category: CATEGORY = Field(title="问题类别")
    level: LEVEL = Field("county", title="解决层级", description="默认县级")


class VisitIn(InputSchema):
    """记录一次入企服务走访，可同时提出走访中发现的问题。"""

    project: int = id_field("项目", description="项目编号，须在本人权限范围内")
    date: Date = Field(title="走访日期", description="不能晚于今天")
    visitors: Text = Field(title="走访人员", min_length=1, max_length=_visit("visitors").max_length)
    findings: Text = Field("", title="发现的情况", max_length=TEXT_MAX)
    promises: Text = Field("", title="作出的承诺", max_length=TEXT_MAX)
    problems: list[VisitProblemIn] = Field(
        [], title="发现的问题", description="每个都转入问题台账", max_length=20
    )


# --- query schemas ---------------------------------------------------------------------------------


class ProblemQuery(PageQuery):
    """The API face of selectors.ProblemFilter."""

    state: choice_type(
        [("open", "未结束（销号、撤回以外）"), *StateChoices.choices], blank_as_none=True
    ) = Field(None, title="状态")
    level: choice_type(LevelChoices.choices, blank_as_none=True) = Field(None, title="解决层级")
    category: choice_type(Category.choices, blank_as_none=True) = Field(None, title="问题类别")
    county: Text = Field(
        "", title="县(市、区)", description="项目所在的行政区划代码，如 141102", max_length=6
    )
    zone: optional_int(ge=1, le=MAX_ID) = Field(None, title="开发区编号", description="项目所在")
    unit: Text = Field("", title="责任单位", description=UNIT_HELP, max_length=30)
    overdue: bool = Field(False, title="只看超期", description="true：未结束且已超期（红灯）")
    key: bool = Field(False, title="只看重点项目", description="true：省、市重点项目")
    project: optional_int(ge=1, le=MAX_ID) = Field(None, title="项目编号")
    q: Text = Field("", title="关键词", description="问题描述或项目名称的一部分", max_length=100)

    def to_filter(self) -> selectors.ProblemFilter:
        values = self.model_dump(exclude=PAGE_FIELDS)
        values["overdue"] = "1" if self.overdue else ""
        values["key"] = "1" if self.key else ""
        if self.unit and not UNIT_RE.match(self.unit):
            raise ValidationFailed.of("unit", f"格式不正确。{UNIT_HELP}")
        return selectors.ProblemFilter(
            **{k: "" if v is None else str(v) for k, v in values.items()}
        )


class PolicyQuery(PageQuery):
    current: bool | None = Field(
        None, title="只看现行", description="true 只看现行版本；false 只看历史版本；不传为全部"
    )


class LiaisonQuery(PageQuery):
    leader: optional_int(ge=1, le=MAX_ID) = Field(None, title="包联领导的用户编号")
    project: optional_int(ge=1, le=MAX_ID) = Field(None, title="项目编号")
    current: bool | None = Field(
        None, title="目前在包联", description="true 只看今天在包联的；false 只看已结束或未开始的"
    )


class VisitQuery(PageQuery):
    project: optional_int(ge=1, le=MAX_ID) = Field(None, title="项目编号")
    county: Text = Field(
        "", title="县(市、区)", description="行政区划代码，如 141102", max_length=6
    )
    zone: optional_int(ge=1, le=MAX_ID) = Field(None, title="开发区编号")
    quarter: Text = Field("", title="季度", description="如 2026Q4", max_length=6)


# --- helpers ---------------------------------------------------------------------------------------


def _project_in_scope(user, pk: int) -> Project:
    """The project a body names: one the user can't see is bad input, said plainly."""
    project = project_selectors.project_list(user=user).filter(pk=pk).first()
    if project is None:
        raise ValidationFailed.of("project", "项目不存在或不在您的权限范围内")
    return project


def _move_data(payload: MoveIn) -> dict[str, Any]:
    """The fields the move takes, as the service reads them; a field the move does not
    take is refused (a client sending it is probably making another move)."""
    move = Move(payload.move)
    sent = {k: v for k, v in payload.model_dump(exclude={"move", "version"}).items()}
    given = {k for k, v in sent.items() if v is not None}
    foreign = sorted(given - MOVE_FIELDS[move])
    if foreign:
        titles = {k: MoveIn.model_fields[k].title for k in foreign}
        label = MOVE_LABELS[move]
        raise ValidationFailed(
            f"{label}不需要填写：{'、'.join(titles.values())}",
            fields={k: [f"{label}不需要填写{t}"] for k, t in titles.items()},
        )
    data = {k: sent[k] for k in given}
    if "unit" in data:
        data.update(_unit_data(data.pop("unit")))
    if "leader" in data:
        data["leader_id"] = data.pop("leader")
    if "person" in data:
        data["person_id"] = data.pop("person")
    return data


# --- problems --------------------------------------------------------------------------------------


@router.get(
    "/problems",
    response={200: Page[ProblemOut], **ERROR_RESPONSES},
    summary="问题台账",
    description="权限范围内的问题（县、开发区、企业看本辖区项目的问题，部门看交办给本部门的问题），"
    "最新提出的在前；可按状态、层级、类别、项目所在县(市、区)和开发区、责任单位、是否超期、"
    "是否重点项目、项目和关键词筛选，分页返回。",
)
def problem_list(request, query: Query[ProblemQuery]):
    qs = selectors.problem_list(user=request.auth, filters=query.to_filter())
    return paginate(qs.select_related("project__enterprise"), query)


@router.post(
    "/problems",
    response={201: ProblemDetailOut, **ERROR_RESPONSES},
    summary="提出问题",
    description="需要“提出问题”权限，项目须在本人权限范围内。提出即按项目的现行时限规则开始计时"
    "（省、市重点项目13710：当日部署、3个工作日首次反馈、7个工作日办结），并通知研判交办的人。",
)
def problem_raise(request, payload: ProblemIn):
    require(request.auth, Cap.RAISE_PROBLEMS)
    project = _project_in_scope(request.auth, payload.project)
    problem = services.problem_raise(
        by=request.auth, project=project, **payload.model_dump(exclude={"project"})
    )
    return Status(201, _detail(request.auth, problem))


@router.get(
    "/problems/{id}",
    response={200: ProblemDetailOut, **ERROR_RESPONSES},
    summary="问题详情",
    description="问题的全部情况：五到位（尚缺哪几项）、三个时限（到期时间、已用和剩余工作日、"
    "是否超期、预警灯）、本人当前可执行的操作，以及操作时要传回的 version。",
)
def problem_get(request, id: int = ProblemId):
    return _detail(request.auth, selectors.problem_get(user=request.auth, pk=id))


@router.get(
    "/problems/{id}/events",
    response={200: Page[ProblemEventOut], **ERROR_RESPONSES},
    summary="问题进展",
    description="问题的时间线，最早的在前：提出、研判、交办、反馈、办结、确认、提级、撤回和预警，"
    "每步的操作人、说明和附件。",
)
def problem_events(request, page: Query[PageQuery], id: int = ProblemId):
    problem = selectors.problem_get(user=request.auth, pk=id)
    return paginate(selectors.timeline(problem), page)


@router.post(
    "/problems/{id}/moves",
    response={200: ProblemDetailOut, **ERROR_RESPONSES},
    summary="办理问题",
    description="问题闭环的一步：研判、交办（五到位）、反馈进展、办结、确认满意或不满意、提级、撤回。"
    "version 传读取时的版本，他人已处理时返回 409（“该问题已被他人处理，请刷新后重试”）；"
    "当前状态不允许的操作返回 400 并说明原因；无权执行返回 403。",
)
def problem_move(request, payload: MoveIn, id: int = ProblemId):
    problem = selectors.problem_get(user=request.auth, pk=id)
    data = _move_data(payload)
    problem = services.problem_move(
        by=request.auth, problem=problem, move=payload.move, version=payload.version, **data
    )
    return _detail(request.auth, problem)


@router.post(
    "/projects/{id}/reports/{year}/{month}/problem",
    response={201: ProblemDetailOut, **ERROR_RESPONSES},
    summary="月报问题转入问题台账",
    description="把项目该月月报中“遇到的问题”一键提出为问题（来源“月报”，类别“其他”，县级）。"
    "月报没有填写问题时返回 400，已经转过的返回 409。",
)
def problem_from_report(request, id: int = ProjectId, year: int = Year, month: int = Month):
    project = dispatch_selectors.project_for_report(user=request.auth, project_id=id)
    require(request.auth, Cap.RAISE_PROBLEMS)
    refusal = dispatch_rules.check_month(year, month, timezone.localdate())
    if refusal:
        raise ValidationFailed.of("year" if refusal.startswith("年份") else "month", refusal)
    report = dispatch_selectors.report_get(
        user=request.auth, project_id=project.pk, year=year, month=month
    )
    if report is None:
        raise NotFound("该月报还没有填报")
    problem = services.problem_from_report(by=request.auth, report=report)
    return Status(201, _detail(request.auth, problem))


# --- policies --------------------------------------------------------------------------------------


@router.get(
    "/problem-policies",
    response={200: Page[PolicyOut], **ERROR_RESPONSES},
    summary="时限规则",
    description="问题办理的时限规则（13710工作制度和一般项目规则），现行版本在前，及其历史版本。",
)
def policy_list(request, query: Query[PolicyQuery]):
    qs = selectors.policy_list(user=request.auth)
    if query.current is not None:
        qs = qs.filter(current=query.current)
    return paginate(qs, query)


@router.patch(
    "/problem-policies/{id}",
    response={200: PolicyOut, **ERROR_RESPONSES},
    summary="修改时限规则",
    description="需要“管理问题规则”权限（市项目办）。生成该规则的新版本并成为现行，"
    "已提出的问题仍按提出时的版本计时；没有改动时返回原版本。修改历史版本返回 409。",
)
def policy_update(request, payload: PolicyPatch, id: int = PolicyId):
    policy = selectors.policy_get(user=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    return services.policy_update(by=request.auth, policy=policy, **data)


# --- liaison ---------------------------------------------------------------------------------------


@router.get(
    "/liaisons",
    response={200: Page[LiaisonOut], **ERROR_RESPONSES},
    summary="领导包联",
    description="权限范围内项目的领导包联记录，可按领导、项目和是否在包联筛选，分页返回。",
)
def liaison_list(request, query: Query[LiaisonQuery]):
    qs = liaison_selectors.liaisons(user=request.auth)
    if query.leader is not None:
        qs = qs.filter(leader_id=query.leader)
    if query.project is not None:
        qs = qs.filter(project_id=query.project)
    if query.current is not None:
        in_force = liaison_selectors.in_force(timezone.localdate())
        qs = qs.filter(in_force) if query.current else qs.exclude(in_force)
    qs = qs.order_by("leader__full_name", "leader__username", "project__name", "since", "pk")
    return paginate(qs, query)


@router.post(
    "/liaisons",
    response={201: LiaisonOut, **ERROR_RESPONSES},
    summary="登记领导包联",
    description="需要“管理问题规则”权限（市项目办）。同一领导同一时段不能重复包联同一项目（409）。",
)
def liaison_create(request, payload: LiaisonIn):
    require(request.auth, Cap.MANAGE_PROBLEM_RULES)
    leader = User.objects.filter(pk=payload.leader).first()
    if leader is None:
        raise ValidationFailed.of("leader", f"没有编号为“{payload.leader}”的账号")
    project = _project_in_scope(request.auth, payload.project)
    liaison = services.liaison_set(
        by=request.auth, leader=leader, project=project, since=payload.since, until=payload.until
    )
    return Status(201, liaison_selectors.liaison_get(user=request.auth, pk=liaison.pk))


@router.post(
    "/liaisons/{id}/end",
    response={200: LiaisonOut, **ERROR_RESPONSES},
    summary="结束领导包联",
    description="需要“管理问题规则”权限（市项目办）。截止日期不能早于起始日期。",
)
def liaison_end(request, payload: LiaisonEndIn, id: int = LiaisonId):
    liaison = liaison_selectors.liaison_get(user=request.auth, pk=id)
    services.liaison_end(by=request.auth, liaison=liaison, until=payload.until)
    return liaison_selectors.liaison_get(user=request.auth, pk=liaison.pk)


@router.get(
    "/leaders/{id}/projects",
    response={200: Page[LeaderProjectOut], **ERROR_RESPONSES},
    summary="领导包联的项目",
    description="该领导目前包联的、本人权限范围内的项目，最紧急的在前：先按超期未销号的问题数，"
    "再按临期的、未销号的问题数，再按推进状态；每个项目的阶段、推进状态和问题数。",
)
def leader_projects(request, page: Query[PageQuery], id: int = LeaderId):
    leader = liaison_selectors.leader_get(user=request.auth, pk=id)
    return paginate(liaison_selectors.leader_projects(user=request.auth, leader=leader), page)


# --- visits ----------------------------------------------------------------------------------------


@router.get(
    "/visits",
    response={200: Page[VisitOut], **ERROR_RESPONSES},
    summary="入企服务走访记录",
    description="权限范围内项目的走访记录，最近的在前；可按项目、县(市、区)、开发区和季度筛选。",
)
def visit_list(request, query: Query[VisitQuery]):
    if query.quarter and liaison_selectors.Quarter.parse(query.quarter) is None:
        raise ValidationFailed.of("quarter", f"季度“{query.quarter}”无效，应写成 2026Q4")
    filters = liaison_selectors.VisitFilter(
        county=query.county,
        zone="" if query.zone is None else str(query.zone),
        quarter=query.quarter,
    )
    qs = liaison_selectors.visit_list(user=request.auth, filters=filters)
    if query.project is not None:
        qs = qs.filter(project_id=query.project)
    return paginate(qs.prefetch_related("problems"), query)


@router.post(
    "/visits",
    response={201: VisitOut, **ERROR_RESPONSES},
    summary="记录入企服务走访",
    description="需要“记录走访”权限（市项目办、县、开发区），项目须在本人权限范围内。"
    "同时提出的问题转入问题台账（来源“入企服务”），任何一个有误则整次不记录。",
)
def visit_create(request, payload: VisitIn):
    require(request.auth, Cap.RECORD_VISITS)
    project = _project_in_scope(request.auth, payload.project)
    visit = services.visit_record(
        by=request.auth, project=project, **payload.model_dump(exclude={"project"})
    )
    found = (
        liaison_selectors.visit_list(user=request.auth)
        .filter(pk=visit.pk)
        .prefetch_related("problems")
        .first()
    )
    return Status(201, found)
