"""API for approvals: departments, the catalogue, project approval items (with their
deadlines on the official calendar), 承诺制 commitments and the approval report.

Same auth, scope and error shape as the rest of /api/v1/: reads through the selectors,
writes through the services. Deadlines and working-day counts are computed on every
read; ``provisional`` says an answer relied on a year the calendar does not cover.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool

from sanpi.accounts.models import User
from sanpi.accounts.roles import Cap, Role
from sanpi.core.api import (
    ERROR_RESPONSES,
    MAX_ID,
    PAGE_FIELDS,
    Date,
    Id,
    InputSchema,
    OptionalDate,
    Page,
    PageQuery,
    Text,
    choice_type,
    id_field,
    optional_int,
    paginate,
    text,
)
from sanpi.core.calendar import official_calendar
from sanpi.core.errors import ValidationFailed
from sanpi.core.services import require
from sanpi.core.workdays import WorkCalendar
from sanpi.projects.api import ProjectRowOut
from sanpi.regions.models import Department

from . import selectors, services
from .models import (
    CatalogueItem,
    CatalogueMaterial,
    Commitment,
    OutcomeChoices,
    ProjectApproval,
    StageChoices,
    Track,
)
from .rules import CLOCK_LABELS, STAGE_LABELS, ApprovalStage, Building, Clock

router = Router(tags=["审批事项"])

_item = ProjectApproval._meta.get_field
_catalogue = CatalogueItem._meta.get_field

ItemId = Path(..., title="项目审批事项编号", ge=1, le=MAX_ID)
ProjectId = Path(..., title="项目编号", ge=1, le=MAX_ID)
TrackId = Path(..., title="事项清单编号", ge=1, le=MAX_ID)
CatalogueItemId = Path(..., title="清单事项编号", ge=1, le=MAX_ID)
CommitmentId = Path(..., title="承诺事项编号", ge=1, le=MAX_ID)

# --- output ----------------------------------------------------------------------------------


class DepartmentOut(Schema):
    id: int
    name: str = Field(title="部门名称")
    kind: str = Field(title="部门类别")
    kind_label: str = Field(title="部门类别（中文）")
    level: str = Field(title="层级")
    level_label: str = Field(title="层级（中文）")
    county: str | None = Field(title="所在县(市、区)代码")
    zone: int | None = Field(title="所在开发区编号")

    @staticmethod
    def resolve_kind_label(obj: Department) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_level_label(obj: Department) -> str:
        return obj.get_level_display()

    @staticmethod
    def resolve_county(obj: Department) -> str | None:
        return obj.county.code if obj.county_id else None

    @staticmethod
    def resolve_zone(obj: Department) -> int | None:
        return obj.zone_id


class MaterialOut(Schema):
    name: str = Field(title="材料名称")
    copies: int = Field(title="份数")
    form: str = Field(title="原件/复印件", description="original = 原件，copy = 复印件")

    @staticmethod
    def resolve_form(obj: CatalogueMaterial) -> str:
        return obj.form


class CatalogueItemOut(Schema):
    id: int
    track: int = Field(title="事项清单编号")
    sequence: int = Field(title="序号")
    name: str = Field(title="事项名称")
    stage: str = Field(title="所属阶段")
    stage_label: str = Field(title="所属阶段（中文）")
    department_kind: str = Field(title="办理部门类别")
    department_kind_label: str = Field(title="办理部门类别（中文）")
    statutory_days: int = Field(title="法定时限(工作日)")
    committed_days: int = Field(title="承诺时限(工作日)")
    basis: str = Field(title="依据和说明")
    materials: list[MaterialOut] = Field(title="申请材料")

    @staticmethod
    def resolve_track(obj: CatalogueItem) -> int:
        return obj.track_id

    @staticmethod
    def resolve_stage_label(obj: CatalogueItem) -> str:
        return obj.get_stage_display()

    @staticmethod
    def resolve_department_kind_label(obj: CatalogueItem) -> str:
        return obj.get_department_kind_display()

    @staticmethod
    def resolve_materials(obj: CatalogueItem) -> list[CatalogueMaterial]:
        return list(obj.materials.all())


class TrackOut(Schema):
    id: int
    code: str = Field(title="代号")
    name: str = Field(title="清单名称")
    basis: str = Field(title="依据")
    total_limit_days: int | None = Field(title="全流程时限(工作日)")
    low_risk: bool = Field(title="须符合简易低风险条件")
    item_count: int = Field(title="事项数")
    statutory_total: int = Field(
        title="法定时限合计(工作日)", description="各阶段串联、阶段内并联：每阶段最长时限之和"
    )
    committed_total: int = Field(title="承诺时限合计(工作日)")
    materials_before: int = Field(title="各事项分别提交的材料(份)")
    materials_after: int = Field(title="一次性告知的材料(份)")


class TrackDetailOut(TrackOut):
    items: list[CatalogueItemOut] = Field(title="审批事项")


def _track_out(track: Track, items: list[CatalogueItem], *, detail: bool = False) -> dict:
    figures = selectors.figures_for(items)
    out = {
        "id": track.pk,
        "code": track.code,
        "name": track.name,
        "basis": track.basis,
        "total_limit_days": track.total_limit_days,
        "low_risk": track.low_risk,
        "item_count": figures.item_count,
        "statutory_total": figures.statutory_total,
        "committed_total": figures.committed_total,
        "materials_before": figures.notice.copies_before,
        "materials_after": figures.notice.copies_after,
    }
    if detail:
        out["items"] = items
    return out


class CommitmentOut(Schema):
    id: int
    item: int = Field(title="项目审批事项编号")
    project: int = Field(title="项目编号")
    project_name: str = Field(title="项目名称")
    enterprise_name: str = Field(title="企业")
    content: str = Field(title="承诺内容")
    due_on: dt.date = Field(title="承诺期限")
    status: str = Field(
        title="履行情况", description="pending 待履行，fulfilled 已履行，broken 逾期未履行"
    )
    status_label: str = Field(title="履行情况（中文）")
    fulfilled_on: dt.date | None = Field(title="履行日期")

    @staticmethod
    def resolve_item(obj: Commitment) -> int:
        return obj.item_id

    @staticmethod
    def resolve_project(obj: Commitment) -> int:
        return obj.item.project_id

    @staticmethod
    def resolve_project_name(obj: Commitment) -> str:
        return obj.item.project.name

    @staticmethod
    def resolve_enterprise_name(obj: Commitment) -> str:
        return obj.item.project.enterprise.name

    @staticmethod
    def resolve_status_label(obj: Commitment) -> str:
        return obj.get_status_display()


def _clock(obj: ProjectApproval) -> Clock:
    clock = getattr(obj, "_clock", None)
    if clock is None:
        clock = obj._clock = selectors.item_clock(obj)
    return clock


def _warnings(obj: ProjectApproval, calendar: WorkCalendar | None = None) -> list[str]:
    warnings = getattr(obj, "_warnings", None)
    if warnings is None:
        warnings = obj._warnings = list(selectors.item_warnings(obj, calendar=calendar).values())
    return warnings


class ApprovalOut(ProjectRowOut):
    id: int
    track: int = Field(title="事项清单编号")
    catalogue_item: int = Field(title="清单事项编号")
    name: str = Field(title="审批事项")
    stage: str = Field(title="所属阶段")
    stage_label: str = Field(title="所属阶段（中文）")
    department: int | None = Field(title="办理部门编号")
    department_name: str | None = Field(title="办理部门")
    handler: str = Field(title="经办人")
    agent: int | None = Field(title="代办员编号")
    agent_name: str | None = Field(title="代办员")
    statutory_days: int = Field(title="法定时限(工作日)")
    committed_days: int = Field(title="承诺时限(工作日)")
    applied_on: dt.date | None = Field(title="申请日期")
    accepted_on: dt.date | None = Field(title="受理日期")
    decided_on: dt.date | None = Field(title="办结日期")
    outcome: str = Field(title="办理结果")
    outcome_label: str = Field(title="办理结果（中文）")
    notes: str = Field(title="备注")
    deadline: dt.date | None = Field(
        title="办结期限", description="受理日期后第N个工作日（官方工作日历，含调休）"
    )
    working_days_used: int | None = Field(title="已用工作日")
    working_days_left: int | None = Field(title="剩余工作日", description="未办结且未超期时")
    overdue_days: int = Field(title="超期工作日")
    state: str = Field(title="状态")
    state_label: str = Field(title="状态（中文）")
    provisional: bool = Field(title="是否推算", description="依赖了未录入节假日安排的年份")
    provisional_note: str = Field(title="推算说明")
    warnings: list[str] = Field(
        title="日期提示",
        description=(
            "允许保存但不常见、请核对的日期：受理日期不是官方工作日（节假日安排未录入的年份"
            "按周末推算，并注明），申请日期早于2000年或比受理日期（未受理的比今天）早5年以上"
        ),
    )

    @staticmethod
    def resolve_track(obj: ProjectApproval) -> int:
        return obj.catalogue_item.track_id

    @staticmethod
    def resolve_catalogue_item(obj: ProjectApproval) -> int:
        return obj.catalogue_item_id

    @staticmethod
    def resolve_name(obj: ProjectApproval) -> str:
        return obj.catalogue_item.name

    @staticmethod
    def resolve_stage(obj: ProjectApproval) -> str:
        return obj.catalogue_item.stage

    @staticmethod
    def resolve_stage_label(obj: ProjectApproval) -> str:
        return STAGE_LABELS[ApprovalStage(obj.catalogue_item.stage)]

    @staticmethod
    def resolve_department(obj: ProjectApproval) -> int | None:
        return obj.department_id

    @staticmethod
    def resolve_department_name(obj: ProjectApproval) -> str | None:
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_agent(obj: ProjectApproval) -> int | None:
        return obj.agent_id

    @staticmethod
    def resolve_agent_name(obj: ProjectApproval) -> str | None:
        return str(obj.agent) if obj.agent_id else None

    @staticmethod
    def resolve_outcome_label(obj: ProjectApproval) -> str:
        return obj.get_outcome_display()

    @staticmethod
    def resolve_deadline(obj: ProjectApproval) -> dt.date | None:
        return _clock(obj).deadline

    @staticmethod
    def resolve_working_days_used(obj: ProjectApproval) -> int | None:
        return _clock(obj).used

    @staticmethod
    def resolve_working_days_left(obj: ProjectApproval) -> int | None:
        return _clock(obj).left

    @staticmethod
    def resolve_overdue_days(obj: ProjectApproval) -> int:
        return _clock(obj).overdue_days

    @staticmethod
    def resolve_state(obj: ProjectApproval) -> str:
        return _clock(obj).state.value

    @staticmethod
    def resolve_state_label(obj: ProjectApproval) -> str:
        return _clock(obj).label

    @staticmethod
    def resolve_provisional(obj: ProjectApproval) -> bool:
        return _clock(obj).provisional

    @staticmethod
    def resolve_provisional_note(obj: ProjectApproval) -> str:
        return _clock(obj).note()

    @staticmethod
    def resolve_warnings(obj: ProjectApproval) -> list[str]:
        return _warnings(obj)


class ApprovalDetailOut(ApprovalOut):
    commitments: list[CommitmentOut] = Field(title="承诺事项")

    @staticmethod
    def resolve_commitments(obj: ProjectApproval) -> list[Commitment]:
        return list(obj.commitments.select_related("item__project__enterprise").order_by("pk"))


class RateOut(Schema):
    num: int = Field(title="分子")
    den: int = Field(title="分母")
    pct: str | None = Field(title="百分比", description="四舍五入到一位小数；分母为 0 时为 null")


class ProjectFiguresOut(Schema):
    project: int = Field(title="项目编号")
    project_name: str = Field(title="项目名称")
    items: int = Field(title="事项数")
    decided: int = Field(title="已办结")
    first_applied: dt.date | None = Field(title="首项申请日期")
    last_decided: dt.date | None = Field(title="末项办结日期")
    complete: bool = Field(title="全部办结")
    actual_days: int | None = Field(title="实际用时(工作日)")
    committed_total: int = Field(title="承诺时限合计(工作日)")
    statutory_total: int = Field(title="法定时限合计(工作日)")
    materials_before: int = Field(title="各事项分别提交的材料(份)")
    materials_after: int = Field(title="一次性告知的材料(份)")
    provisional: bool = Field(title="是否推算")


def _figures_out(f: selectors.ProjectFigures) -> dict:
    return {
        "project": f.project.pk,
        "project_name": f.project.name,
        "items": f.items,
        "decided": f.decided,
        "first_applied": f.first_applied,
        "last_decided": f.last_decided,
        "complete": f.complete,
        "actual_days": f.actual,
        "committed_total": f.committed_total,
        "statutory_total": f.statutory_total,
        "materials_before": f.notice.copies_before,
        "materials_after": f.notice.copies_after,
        "provisional": f.provisional,
    }


class ReportOut(Schema):
    start: dt.date = Field(title="起始日期")
    end: dt.date = Field(title="截止日期")
    decided: int = Field(title="办结事项数")
    on_time_rate: RateOut = Field(title="按时办结率", description="按时办结数 ÷ 办结事项数")
    average_days: str | None = Field(title="平均每项用时(工作日)")
    average_limit: str | None = Field(title="平均每项承诺时限(工作日)")
    average_project_days: str | None = Field(title="平均每个项目总用时(工作日)")
    average_project_limit: str | None = Field(title="平均每个项目承诺时限合计(工作日)")
    projects: list[ProjectFiguresOut] = Field(title="各项目")
    provisional: bool = Field(title="是否推算")
    provisional_note: str = Field(title="推算说明")
    definitions: list[str] = Field(title="口径")


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- input -----------------------------------------------------------------------------------


class ItemQuery(PageQuery):
    q: Text = Field("", title="关键词", description="项目、事项或企业名称的一部分", max_length=100)
    county: Text = Field("", title="县(市、区)", description="行政区划代码", max_length=6)
    zone: optional_int(ge=1, le=MAX_ID) = Field(None, title="开发区编号")
    department: optional_int(ge=1, le=MAX_ID) = Field(None, title="办理部门编号")
    track: optional_int(ge=1, le=MAX_ID) = Field(None, title="事项清单编号")
    project: optional_int(ge=1, le=MAX_ID) = Field(None, title="项目编号")
    stage: choice_type(StageChoices.choices, blank_as_none=True) = Field(None, title="阶段")
    state: choice_type(
        [("open", "已受理未办结"), *((k.value, v) for k, v in CLOCK_LABELS.items())],
        blank_as_none=True,
    ) = Field(None, title="状态")

    def to_filter(self) -> selectors.ItemFilter:
        values = self.model_dump(exclude=PAGE_FIELDS)
        return selectors.ItemFilter(**{k: "" if v is None else str(v) for k, v in values.items()})


class BuildingIn(InputSchema):
    """简易低风险工程建设项目的建筑情况（吕政办发〔2021〕42号）。"""

    above_ground_m2: Decimal = Field(
        title="地上建筑面积(平方米)", ge=0, max_digits=10, decimal_places=2
    )
    height_m: Decimal = Field(title="建筑高度(米)", ge=0, max_digits=6, decimal_places=2)
    underground_floors: int = Field(0, title="地下层数", ge=0, le=20)
    underground_m2: Decimal = Field(
        Decimal(0), title="地下建筑面积(平方米)", ge=0, max_digits=10, decimal_places=2
    )
    use: choice_type(
        [
            ("office", "办公建筑"),
            ("commercial", "商业建筑"),
            ("public_service", "公共服务设施"),
            ("warehouse", "普通仓库"),
            ("plant", "厂房"),
            ("other", "其他"),
        ]
    ) = Field(title="建筑用途")
    single_use: StrictBool = Field(True, title="功能单一")
    public_funds: StrictBool = Field(False, title="直接使用公共财政投资")


class AddItemsIn(InputSchema):
    """给项目添加审批事项：整份清单（track）和/或逐项（catalogue_items）。"""

    track: int | None = id_field("事项清单", required=False, description="添加该清单的全部事项")
    catalogue_items: list[Id] = Field([], title="清单事项编号", max_length=200)
    building: BuildingIn | None = Field(
        None, title="建筑情况", description="添加简易低风险事项时必填"
    )


class ApprovalPatch(InputSchema):
    """修改项目审批事项：只改所传字段。受理、办结用各自的接口。"""

    applied_on: OptionalDate = Field(None, title="申请日期")
    department: int | None = id_field(
        "办理部门", required=False, description="部门编号（见 /departments）"
    )
    handler: Text = text(_item("handler"))
    agent: int | None = id_field("代办员", required=False, description="代办员的用户编号")
    committed_days: int | None = Field(None, title="承诺时限(工作日)", ge=-1000, le=1000)
    notes: Text = text(_item("notes"))


class AcceptIn(InputSchema):
    """部门受理：开始计时。"""

    accepted_on: Date = Field(title="受理日期")
    applied_on: OptionalDate = Field(None, title="申请日期", description="尚未登记申请日期时填写")
    handler: Text = Field("", title="经办人", max_length=30)


class DecideIn(InputSchema):
    """部门办结（或申请人撤回）：停止计时。"""

    decided_on: Date = Field(title="办结日期")
    outcome: choice_type([c for c in OutcomeChoices.choices if c[0] != "pending"]) = Field(
        title="办理结果"
    )
    handler: Text = Field("", title="经办人", max_length=30)
    notes: Text = Field("", title="备注", max_length=300)


class CatalogueItemPatch(InputSchema):
    """修改清单事项（需“管理事项清单”权限）。已在办项目的期限不变。"""

    sequence: int | None = Field(None, title="序号", ge=1, le=999)
    name: Text | None = Field(None, title="事项名称", max_length=100, min_length=1)
    stage: choice_type(StageChoices.choices, nullable=True) = Field(None, title="所属阶段")
    department_kind: choice_type(Department.Kind.choices, nullable=True) = Field(
        None, title="办理部门类别"
    )
    statutory_days: int | None = Field(None, title="法定时限(工作日)", ge=-1000, le=1000)
    committed_days: int | None = Field(None, title="承诺时限(工作日)", ge=-1000, le=1000)
    basis: Text | None = Field(None, title="依据和说明", max_length=300)


class CommitmentIn(InputSchema):
    """登记承诺制承诺：企业承诺在期限内补齐的条件。"""

    content: Text = Field(title="承诺内容", max_length=300, min_length=1)
    due_on: Date = Field(title="承诺期限")


class FulfilIn(InputSchema):
    fulfilled_on: Date = Field(title="履行日期")


class CommitmentQuery(PageQuery):
    county: Text = Field("", title="县(市、区)", description="行政区划代码", max_length=6)
    status: choice_type(Commitment.Status.choices, blank_as_none=True) = Field(
        None, title="履行情况"
    )


class ReportQuery(Schema):
    start: Date = Field(title="起始日期")
    end: Date = Field(title="截止日期")
    county: Text = Field("", title="县(市、区)", description="行政区划代码", max_length=6)
    zone: optional_int(ge=1, le=MAX_ID) = Field(None, title="开发区编号")
    department: optional_int(ge=1, le=MAX_ID) = Field(None, title="办理部门编号")
    track: optional_int(ge=1, le=MAX_ID) = Field(None, title="事项清单编号")


# --- helpers -----------------------------------------------------------------------------------


def _with_clocks(items: list[ProjectApproval]) -> list[ProjectApproval]:
    calendar = official_calendar()
    for row in selectors.with_clocks(items):
        row.item._clock = row.clock
        _warnings(row.item, calendar)
    return items


def _detail(user, item: ProjectApproval) -> ProjectApproval:
    return selectors.item_get(user=user, pk=item.pk)


def _refs(user, data: dict) -> dict:
    """Department and agent ids → objects (an unknown id is a field error)."""
    if data.get("department") is not None:
        department = selectors.department_list(user=user).filter(pk=data["department"]).first()
        if department is None:
            raise ValidationFailed.of("department", "部门不存在")
        data["department"] = department
    if data.get("agent") is not None:
        agent = User.objects.filter(pk=data["agent"], role=Role.AGENT, is_active=True).first()
        if agent is None:
            raise ValidationFailed.of("agent", "代办员不存在或已停用")
        data["agent"] = agent
    return data


# --- departments and the catalogue --------------------------------------------------------------


@router.get(
    "/departments",
    response={200: Page[DepartmentOut], **ERROR_RESPONSES},
    summary="部门列表",
    description="办理审批事项的部门（市级、县级、开发区）；部门类别决定它能办理哪些事项。",
)
def department_list(request, page: Query[PageQuery]):
    return paginate(selectors.department_list(user=request.auth).order_by("pk"), page)


@router.get(
    "/approval-tracks",
    response={200: list[TrackOut], **ERROR_RESPONSES},
    summary="审批事项清单",
    description="预置的“全代办”清单和简易低风险清单等，附由事项计算的时限合计和材料份数。",
)
def track_list(request):
    user = request.auth
    return [
        _track_out(t, list(selectors.catalogue_items(user=user, track=t)))
        for t in selectors.track_list(user=user)
    ]


@router.get(
    "/approval-tracks/{id}",
    response={200: TrackDetailOut, **ERROR_RESPONSES},
    summary="清单详情",
    description="清单的全部事项：阶段、办理部门类别、法定和承诺时限、申请材料。",
)
def track_get(request, id: int = TrackId):
    track = selectors.track_get(user=request.auth, pk=id)
    items = list(selectors.catalogue_items(user=request.auth, track=track))
    return _track_out(track, items, detail=True)


@router.patch(
    "/approval-catalogue/{id}",
    response={200: CatalogueItemOut, **ERROR_RESPONSES},
    summary="修改清单事项",
    description="只改所传字段；时限须为大于0的工作日数，承诺时限不超过法定时限。需要“管理事项清单”权限（市项目办）。",
)
def catalogue_item_update(request, payload: CatalogueItemPatch, id: int = CatalogueItemId):
    item = selectors.catalogue_item_get(user=request.auth, pk=id)
    require(request.auth, Cap.MANAGE_CATALOGUE)
    data = payload.model_dump(exclude_unset=True)
    for name, value in data.items():
        if value is None:
            raise ValidationFailed.of(name, "不能为空")
    services.catalogue_item_update(by=request.auth, item=item, **data)
    return selectors.catalogue_item_get(user=request.auth, pk=id)


# --- project approval items ---------------------------------------------------------------------


@router.get(
    "/approvals",
    response={200: Page[ApprovalOut], **ERROR_RESPONSES},
    summary="项目审批事项列表",
    description=(
        "权限范围内的项目审批事项（部门只见本部门的事项，代办员只见受托项目的），附办结期限、"
        "已用和剩余工作日、是否超期。state=overdue 为超期未办结的事项。"
    ),
)
def approval_list(request, query: Query[ItemQuery]):
    filters = query.to_filter()
    if filters.state and filters.state != "open":
        rows = selectors.item_rows(user=request.auth, filters=filters)
        chunk = rows[query.offset : query.offset + query.limit]
        calendar = official_calendar()
        for row in chunk:
            row.item._clock = row.clock
            _warnings(row.item, calendar)
        return {
            "count": len(rows),
            "limit": query.limit,
            "offset": query.offset,
            "items": [r.item for r in chunk],
        }
    out = paginate(selectors.item_list(user=request.auth, filters=filters), query)
    out["items"] = _with_clocks(out["items"])
    return out


@router.get(
    "/approvals/{id}",
    response={200: ApprovalDetailOut, **ERROR_RESPONSES},
    summary="项目审批事项详情",
)
def approval_get(request, id: int = ItemId):
    return selectors.item_get(user=request.auth, pk=id)


@router.post(
    "/projects/{id}/approvals",
    response={201: list[ApprovalOut], **ERROR_RESPONSES},
    summary="给项目添加审批事项",
    description=(
        "整份清单或逐项添加，办理部门按事项类别自动指定（开发区 → 县 → 市）。简易低风险事项须附"
        "建筑情况，不符合条件的逐条说明。需要“审批事项登记”权限。"
    ),
)
def approvals_add(request, payload: AddItemsIn, id: int = ProjectId):
    user = request.auth
    project = selectors.approval_project_get(user=user, pk=id)
    require(user, Cap.PLAN_APPROVALS)
    items: list[CatalogueItem] = []
    if payload.track is not None:
        track = selectors.track_list(user=user).filter(pk=payload.track).first()
        if track is None:
            raise ValidationFailed.of("track", "事项清单不存在")
        items.extend(track.items.order_by("sequence"))
    if payload.catalogue_items:
        found = {
            ci.pk: ci
            for ci in CatalogueItem.objects.select_related("track").filter(
                pk__in=payload.catalogue_items
            )
        }
        missing = [str(pk) for pk in payload.catalogue_items if pk not in found]
        if missing:
            raise ValidationFailed.of("catalogue_items", f"清单事项不存在：{'、'.join(missing)}")
        items.extend(found[pk] for pk in payload.catalogue_items)
    building = Building(**payload.building.model_dump()) if payload.building else None
    created = services.approvals_add(
        by=user, project=project, catalogue_items=items, building=building
    )
    return Status(201, _with_clocks([_detail(user, i) for i in created]))


@router.patch(
    "/approvals/{id}",
    response={200: ApprovalDetailOut, **ERROR_RESPONSES},
    summary="修改项目审批事项",
    description=(
        "申请日期、办理部门、经办人、代办员、承诺时限（受理前）、备注。需要“审批事项登记”权限。"
        "申请日期多年以前等不常见的日期照常保存，在返回的 warnings 中提示。"
    ),
)
def approval_update(request, payload: ApprovalPatch, id: int = ItemId):
    item = selectors.item_get(user=request.auth, pk=id)
    require(request.auth, Cap.PLAN_APPROVALS)
    data = _refs(request.auth, payload.model_dump(exclude_unset=True))
    if "committed_days" in data and data["committed_days"] is None:
        raise ValidationFailed.of("committed_days", "不能为空")
    services.item_update(by=request.auth, item=item, **data)
    return _detail(request.auth, item)


@router.post(
    "/approvals/{id}/accept",
    response={200: ApprovalDetailOut, **ERROR_RESPONSES},
    summary="受理",
    description=(
        "部门受理申请，开始计时：受理次日起承诺时限内的工作日办结。需要“办理审批事项”权限。"
        "受理日期不是工作日等不常见的日期照常保存，在返回的 warnings 中提示。"
    ),
)
def approval_accept(request, payload: AcceptIn, id: int = ItemId):
    item = selectors.item_get(user=request.auth, pk=id)
    require(request.auth, Cap.DECIDE_APPROVALS)
    services.item_accept(by=request.auth, item=item, **payload.model_dump())
    return _detail(request.auth, item)


@router.post(
    "/approvals/{id}/decide",
    response={200: ApprovalDetailOut, **ERROR_RESPONSES},
    summary="办结",
    description="部门办结（准予、不予许可）或申请人撤回，停止计时。需要“办理审批事项”权限。",
)
def approval_decide(request, payload: DecideIn, id: int = ItemId):
    item = selectors.item_get(user=request.auth, pk=id)
    require(request.auth, Cap.DECIDE_APPROVALS)
    services.item_decide(by=request.auth, item=item, **payload.model_dump())
    return _detail(request.auth, item)


# --- commitments ----------------------------------------------------------------------------------


@router.get(
    "/commitments",
    response={200: Page[CommitmentOut], **ERROR_RESPONSES},
    summary="承诺事项列表",
    description="承诺制办理的事项中企业的承诺及其履行情况；逾期未履行的已记入企业信用记录。",
)
def commitment_list(request, query: Query[CommitmentQuery]):
    qs = selectors.commitment_list(
        user=request.auth, county=query.county, status=query.status or ""
    ).select_related("item__project__enterprise")
    return paginate(qs, query)


@router.post(
    "/approvals/{id}/commitments",
    response={201: CommitmentOut, **ERROR_RESPONSES},
    summary="登记承诺",
    description="需要“承诺事项管理”权限。承诺期限不早于事项的申请日期。",
)
def commitment_create(request, payload: CommitmentIn, id: int = ItemId):
    item = selectors.item_get(user=request.auth, pk=id)
    require(request.auth, Cap.MANAGE_COMMITMENTS)
    commitment = services.commitment_create(by=request.auth, item=item, **payload.model_dump())
    return Status(201, selectors.commitment_get(user=request.auth, pk=commitment.pk))


@router.post(
    "/commitments/{id}/fulfil",
    response={200: CommitmentOut, **ERROR_RESPONSES},
    summary="登记承诺履行",
    description="在承诺期限内履行的登记为已履行；逾期的由到期扫描记入企业信用记录。",
)
def commitment_fulfil(request, payload: FulfilIn, id: int = CommitmentId):
    commitment = selectors.commitment_get(user=request.auth, pk=id)
    require(request.auth, Cap.MANAGE_COMMITMENTS)
    services.commitment_fulfil(by=request.auth, commitment=commitment, **payload.model_dump())
    return selectors.commitment_get(user=request.auth, pk=id)


# --- the report ---------------------------------------------------------------------------------


@router.get(
    "/reports/approvals",
    response={200: ReportOut, **ERROR_RESPONSES},
    summary="审批统计",
    description=(
        "统计期内办结的事项数、按时办结率（分子分母）、平均每项和每个项目用时对比时限，"
        "及各项目从首项申请到末项办结的总用时。按权限范围统计。"
    ),
)
def approval_report(request, query: Query[ReportQuery]):
    if query.end < query.start:
        raise ValidationFailed.of("end", "截止日期早于起始日期")
    values = query.model_dump(exclude={"start", "end"})
    filters = selectors.ItemFilter(**{k: "" if v is None else str(v) for k, v in values.items()})
    report = selectors.approval_report(
        user=request.auth, start=query.start, end=query.end, filters=filters
    )
    return {
        "start": report.start,
        "end": report.end,
        "decided": len(report.decided),
        "on_time_rate": report.on_time.as_json(),
        "average_days": _dec(report.average_days),
        "average_limit": _dec(report.average_limit),
        "average_project_days": _dec(report.average_project_days),
        "average_project_limit": _dec(report.average_project_limit),
        "projects": [_figures_out(f) for f in report.projects],
        "provisional": report.provisional,
        "provisional_note": report.note(),
        "definitions": list(report.definitions),
    }
