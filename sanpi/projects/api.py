"""API for projects (ledger, stage, health, history) and "三个一批" activities."""

import contextlib
import datetime as dt

from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool

from sanpi.accounts.roles import Cap
from sanpi.core import audit
from sanpi.core.api import (
    ERROR_RESPONSES,
    MAX_ID,
    PAGE_FIELDS,
    Date,
    DecimalOut,
    InputSchema,
    OptionalDate,
    OptionalDecimalOut,
    Page,
    PageQuery,
    Text,
    choice_type,
    decimal_field,
    decimal_type,
    id_field,
    optional_int,
    paginate,
    partial,
    text,
)
from sanpi.core.errors import NotFound, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.core.services import require
from sanpi.regions.api import CountyCode, resolve_county
from sanpi.regions.selectors import enterprise_list, zone_list

from . import selectors, services
from .models import Activity, ActivityEntry, PlannedEntry, Project, ProjectEvent
from .rules import Stage

router = Router(tags=["项目与“三个一批”活动"])

_project = Project._meta.get_field
_activity = Activity._meta.get_field
_entry = ActivityEntry._meta.get_field

ProjectId = Path(..., title="项目编号", ge=1, le=MAX_ID)
ActivityId = Path(..., title="活动编号", ge=1, le=MAX_ID)
PlannedId = Path(..., title="拟办项目编号", ge=1, le=MAX_ID)

# --- output schemas --------------------------------------------------------------------------


class ProjectPlaceOut(Schema):
    """Where a project stands: its enterprise's name, its county and zone. The base of
    every schema read from a Project (select_related enterprise, county and zone)."""

    enterprise_name: str = Field(title="项目单位")
    county: str = Field(title="所属县(市、区)代码")
    county_name: str = Field(title="所属县(市、区)")
    zone: int | None = Field(title="所属开发区编号")
    zone_name: str | None = Field(title="所属开发区")

    @staticmethod
    def resolve_enterprise_name(obj: Project) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_county(obj: Project) -> str:
        return obj.county.code

    @staticmethod
    def resolve_county_name(obj: Project) -> str:
        return obj.county.name

    @staticmethod
    def resolve_zone(obj: Project) -> int | None:
        return obj.zone_id

    @staticmethod
    def resolve_zone_name(obj: Project) -> str | None:
        return obj.zone.name if obj.zone_id else None


class ProjectOut(ProjectPlaceOut):
    id: int
    code: str | None = Field(title="项目代码")
    name: str = Field(title="项目名称")
    enterprise: int = Field(title="项目单位编号")
    industry: str = Field(title="产业类别")
    industry_label: str = Field(title="产业类别（中文）")
    construction_kind: str = Field(title="建设性质")
    construction_kind_label: str = Field(title="建设性质（中文）")
    total_investment_wan: DecimalOut = Field(title="总投资(万元)")
    planned_output_wan: OptionalDecimalOut = Field(title="预计年产值(万元)")
    planned_tax_wan: OptionalDecimalOut = Field(title="预计年税收(万元)")
    actual_output_wan: OptionalDecimalOut = Field(title="实际年产值(万元)")
    land_mu: OptionalDecimalOut = Field(title="用地面积(亩)")
    is_standard_land: bool = Field(title="是否标准地")
    energy_tce: OptionalDecimalOut = Field(title="综合能耗(吨标准煤)")
    investment_source: str = Field(title="招商引资")
    investment_source_label: str = Field(title="招商引资（中文）")
    is_provincial_key: bool = Field(title="是否省重点")
    is_city_key: bool = Field(title="是否市重点")
    in_statistics: bool = Field(title="是否入库")
    above_size: bool = Field(title="是否上规")
    stage: str = Field(title="项目阶段")
    stage_label: str = Field(title="项目阶段（中文）")
    signed_date: dt.date | None = Field(title="签约日期")
    started_date: dt.date | None = Field(title="开工日期")
    produced_date: dt.date | None = Field(title="投产日期")
    reached_date: dt.date | None = Field(title="达效日期")
    planned_completion_date: dt.date | None = Field(title="计划竣工日期")
    health: str = Field(title="推进状态")
    health_label: str = Field(title="推进状态（中文）")
    created_at: dt.datetime = Field(title="创建时间")
    updated_at: dt.datetime = Field(title="更新时间")
    version: int = Field(
        title="版本",
        description="每次修改加1。修改、推进阶段、改推进状态时传回（version 字段或 If-Match 头），"
        "他人已修改时返回 409",
    )

    @staticmethod
    def resolve_enterprise(obj: Project) -> int:
        return obj.enterprise_id

    @staticmethod
    def resolve_industry_label(obj: Project) -> str:
        return obj.get_industry_display()

    @staticmethod
    def resolve_construction_kind_label(obj: Project) -> str:
        return obj.get_construction_kind_display()

    @staticmethod
    def resolve_investment_source_label(obj: Project) -> str:
        return obj.get_investment_source_display()

    @staticmethod
    def resolve_stage_label(obj: Project) -> str:
        return obj.get_stage_display()

    @staticmethod
    def resolve_health_label(obj: Project) -> str:
        return obj.get_health_display()

    @staticmethod
    def resolve_created_at(obj: Project) -> dt.datetime:
        return timezone.localtime(obj.created_at)

    @staticmethod
    def resolve_updated_at(obj: Project) -> dt.datetime:
        return timezone.localtime(obj.updated_at)


class EventOut(Schema):
    id: int
    kind: str = Field(title="类型", description="stage = 阶段，health = 推进状态")
    kind_label: str = Field(title="类型（中文）")
    value: str = Field(title="变为")
    value_label: str = Field(title="变为（中文）")
    date: dt.date = Field(title="日期")
    evidence: str = Field(title="依据")
    activity: int | None = Field(title="活动编号")
    activity_name: str | None = Field(title="活动")
    recorded_by: str | None = Field(title="记录人")
    recorded_at: dt.datetime = Field(title="记录时间")

    @staticmethod
    def resolve_kind_label(obj: ProjectEvent) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_activity(obj: ProjectEvent) -> int | None:
        return obj.activity_id

    @staticmethod
    def resolve_activity_name(obj: ProjectEvent) -> str | None:
        return str(obj.activity) if obj.activity_id else None

    @staticmethod
    def resolve_recorded_by(obj: ProjectEvent) -> str | None:
        return str(obj.recorded_by) if obj.recorded_by_id else None

    @staticmethod
    def resolve_recorded_at(obj: ProjectEvent) -> dt.datetime:
        return timezone.localtime(obj.recorded_at)


class ProjectEntryOut(Schema):
    activity: int = Field(title="活动编号")
    activity_name: str = Field(title="活动")
    action: str = Field(title="行动")
    action_label: str = Field(title="行动（中文）")
    sign_mode: str = Field(title="签约方式")
    sign_mode_label: str = Field(title="签约方式（中文）")
    investment_wan: DecimalOut = Field(title="当时总投资(万元)")

    @staticmethod
    def resolve_activity(obj: ActivityEntry) -> int:
        return obj.activity_id

    @staticmethod
    def resolve_activity_name(obj: ActivityEntry) -> str:
        return str(obj.activity)

    @staticmethod
    def resolve_action_label(obj: ActivityEntry) -> str:
        return obj.get_action_display()

    @staticmethod
    def resolve_sign_mode_label(obj: ActivityEntry) -> str:
        return obj.get_sign_mode_display() if obj.sign_mode else ""


class ProjectDetailOut(ProjectOut):
    events: list[EventOut] = Field(title="阶段与推进状态变化")
    activity_entries: list[ProjectEntryOut] = Field(title="所属“三个一批”活动批次")

    @staticmethod
    def resolve_events(obj: Project) -> list[ProjectEvent]:
        return list(selectors.project_events(project=obj))

    @staticmethod
    def resolve_activity_entries(obj: Project) -> list[ActivityEntry]:
        return list(obj.activity_entries.select_related("activity").order_by("activity__date"))


class HistoryOut(Schema):
    id: int
    at: dt.datetime = Field(title="时间")
    username: str = Field(title="用户名")
    user_name: str = Field(title="用户")
    source: str = Field(title="来源")
    source_label: str = Field(title="来源（中文）")
    action: str = Field(title="操作")
    action_label: str = Field(title="操作（中文）")
    message: str = Field(title="说明")
    before: dict | None = Field(title="变更前")
    after: dict | None = Field(title="变更后")

    @staticmethod
    def resolve_at(obj: AuditLog) -> dt.datetime:
        return timezone.localtime(obj.at)

    @staticmethod
    def resolve_user_name(obj: AuditLog) -> str:
        return str(obj.user) if obj.user_id else obj.username

    @staticmethod
    def resolve_source_label(obj: AuditLog) -> str:
        return obj.get_source_display()

    @staticmethod
    def resolve_action_label(obj: AuditLog) -> str:
        return obj.get_action_display()


class ActivityOut(Schema):
    id: int
    key: str = Field(title="批次代号", description="年度-批次，如 2021-4")
    name: str = Field(title="名称")
    year: int = Field(title="年度")
    sequence: int = Field(title="批次")
    date: dt.date = Field(title="日期")
    level: str = Field(title="级别")
    level_label: str = Field(title="级别（中文）")
    venue: str = Field(title="会场")

    @staticmethod
    def resolve_name(obj: Activity) -> str:
        return str(obj)

    @staticmethod
    def resolve_level_label(obj: Activity) -> str:
        return obj.get_level_display()


class ProjectRowOut(Schema):
    """The project a row belongs to, for schemas of rows with a ``.project`` (activity
    entries, approval items): select_related project, its county, zone and enterprise."""

    project: int = Field(title="项目编号")
    project_name: str = Field(title="项目名称")
    enterprise_name: str = Field(title="项目单位")
    county: str = Field(title="所属县(市、区)代码")
    county_name: str = Field(title="所属县(市、区)")
    zone: int | None = Field(title="所属开发区编号")
    zone_name: str | None = Field(title="所属开发区")

    @staticmethod
    def resolve_project(obj) -> int:
        return obj.project_id

    @staticmethod
    def resolve_project_name(obj) -> str:
        return obj.project.name

    @staticmethod
    def resolve_enterprise_name(obj) -> str:
        return obj.project.enterprise.name

    @staticmethod
    def resolve_county(obj) -> str:
        return obj.project.county.code

    @staticmethod
    def resolve_county_name(obj) -> str:
        return obj.project.county.name

    @staticmethod
    def resolve_zone(obj) -> int | None:
        return obj.project.zone_id

    @staticmethod
    def resolve_zone_name(obj) -> str | None:
        return obj.project.zone.name if obj.project.zone_id else None


class EntryOut(ProjectRowOut):
    id: int
    activity: int = Field(title="活动编号")
    action: str = Field(title="行动", description="sign = 签约，start = 开工，produce = 投产")
    action_label: str = Field(title="行动（中文）")
    sign_mode: str = Field(title="签约方式", description="onsite = 现场签约，sync = 同步签约")
    sign_mode_label: str = Field(title="签约方式（中文）")
    investment_wan: DecimalOut = Field(title="当时总投资(万元)")

    @staticmethod
    def resolve_activity(obj: ActivityEntry) -> int:
        return obj.activity_id

    @staticmethod
    def resolve_action_label(obj: ActivityEntry) -> str:
        return obj.get_action_display()

    @staticmethod
    def resolve_sign_mode_label(obj: ActivityEntry) -> str:
        return obj.get_sign_mode_display() if obj.sign_mode else ""


class PlannedOut(ProjectRowOut):
    id: int
    activity: int = Field(title="活动编号")
    action: str = Field(
        title="拟办行动", description="sign = 拟签约，start = 拟开工，produce = 拟投产"
    )
    action_label: str = Field(title="拟办行动（中文）")
    sign_mode: str = Field(title="签约方式", description="onsite = 现场签约，sync = 同步签约")
    sign_mode_label: str = Field(title="签约方式（中文）")
    stage: str = Field(title="项目当前阶段")
    stage_label: str = Field(title="项目当前阶段（中文）")
    created_by: str | None = Field(title="列入人")
    created_at: dt.datetime = Field(title="列入时间")

    @staticmethod
    def resolve_activity(obj: PlannedEntry) -> int:
        return obj.activity_id

    @staticmethod
    def resolve_action_label(obj: PlannedEntry) -> str:
        return f"拟{obj.get_action_display()}"

    @staticmethod
    def resolve_sign_mode_label(obj: PlannedEntry) -> str:
        return obj.get_sign_mode_display() if obj.sign_mode else ""

    @staticmethod
    def resolve_stage(obj: PlannedEntry) -> str:
        return obj.project.stage

    @staticmethod
    def resolve_stage_label(obj: PlannedEntry) -> str:
        return obj.project.get_stage_display()

    @staticmethod
    def resolve_created_by(obj: PlannedEntry) -> str | None:
        return str(obj.created_by) if obj.created_by_id else None

    @staticmethod
    def resolve_created_at(obj: PlannedEntry) -> dt.datetime:
        return timezone.localtime(obj.created_at)


class ConfirmedOut(Schema):
    confirmed: int = Field(title="确认的项目数")
    entries: list[int] = Field(
        title="确认后的活动项目编号", description="见 /activities/{id}/entries"
    )


# --- input schemas ---------------------------------------------------------------------------


class ProjectFields(InputSchema):
    code: Text | None = Field(
        None,
        title="项目代码",
        description="全国投资项目在线审批监管平台代码，24位，如 2104-141100-89-01-123456",
        max_length=24,
    )
    name: Text = text(_project("name"))
    enterprise: int = id_field("项目单位", description="企业编号（见 /enterprises）")
    county: CountyCode = Field(title="所属县(市、区)", description="行政区划代码，如 141102")
    zone: int | None = id_field(
        "所属开发区", required=False, description="开发区编号（见 /zones）；不在开发区内为 null"
    )
    industry: choice_type(_project("industry")) = Field(title="产业类别")
    construction_kind: choice_type(_project("construction_kind")) = Field(title="建设性质")
    total_investment_wan: decimal_type(_project("total_investment_wan")) = decimal_field(
        _project("total_investment_wan")
    )
    planned_output_wan: decimal_type(_project("planned_output_wan")) = decimal_field(
        _project("planned_output_wan")
    )
    planned_tax_wan: decimal_type(_project("planned_tax_wan")) = decimal_field(
        _project("planned_tax_wan")
    )
    actual_output_wan: decimal_type(_project("actual_output_wan")) = decimal_field(
        _project("actual_output_wan")
    )
    land_mu: decimal_type(_project("land_mu")) = decimal_field(_project("land_mu"))
    is_standard_land: StrictBool = Field(False, title="是否标准地")
    energy_tce: decimal_type(_project("energy_tce")) = decimal_field(_project("energy_tce"))
    investment_source: choice_type(_project("investment_source")) = Field("", title="招商引资")
    is_provincial_key: StrictBool = Field(False, title="是否省重点")
    is_city_key: StrictBool = Field(False, title="是否市重点")
    in_statistics: StrictBool = Field(False, title="是否入库")
    above_size: StrictBool = Field(False, title="是否上规")
    signed_date: OptionalDate = Field(None, title="签约日期")
    started_date: OptionalDate = Field(None, title="开工日期")
    produced_date: OptionalDate = Field(None, title="投产日期")
    reached_date: OptionalDate = Field(None, title="达效日期")
    planned_completion_date: OptionalDate = Field(
        None, title="计划竣工日期", description="健康规则按开工到计划竣工的直线比较累计投资"
    )
    confirm_large: StrictBool = Field(
        False,
        title="金额已核对",
        description="总投资超过500亿元或年产值超过1000亿元（可配置）时须为 true，否则拒绝并说明",
    )


class ProjectIn(ProjectFields):
    """新建项目。可直接登记为已过储备的阶段，此时须给出所达到的每个阶段的日期。"""

    stage: choice_type(_project("stage")) = Field(Stage.RESERVE.value, title="项目阶段")
    health: choice_type(_project("health")) = Field("normal", title="推进状态")
    evidence: Text = Field("", title="依据", max_length=500)


_ProjectPatch = partial(
    ProjectFields,
    "ProjectPatchFields",
    "修改项目：只改所传字段。阶段和推进状态另有接口；已达到阶段的日期可在此更正。",
)
VERSION_FIELD = Field(
    None,
    title="读取时的版本",
    description="可选（也可用 If-Match 头）：项目已被他人修改时拒绝（409），不覆盖他人的修改",
    ge=1,
)


class ProjectPatch(_ProjectPatch):
    version: int | None = VERSION_FIELD


def expected_version(request, version: int | None) -> int | None:
    """The version the caller read: the body's ``version``, or an If-Match header holding
    it (``"3"``, ``W/"3"`` or ``3``); both given must agree."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return version
    text = header.removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ValidationFailed.of(
            "If-Match", f'If-Match 应为项目的版本号（如 "3"），实为 {header[:40]}'
        )
    if version is not None and version != int(text):
        raise ValidationFailed.of("version", "version 与 If-Match 不一致")
    return int(text)


class StageIn(InputSchema):
    """推进项目阶段（只能向前一步）。"""

    stage: choice_type(_project("stage")) = Field(title="推进到的阶段")
    date: Date = Field(title="日期")
    evidence: Text = Field("", title="依据", max_length=500)
    version: int | None = VERSION_FIELD


class HealthIn(InputSchema):
    """改变项目推进状态。"""

    health: choice_type(_project("health")) = Field(title="推进状态")
    date: Date = Field(title="日期")
    evidence: Text = Field("", title="依据", max_length=500)
    version: int | None = VERSION_FIELD


class ActivityIn(InputSchema):
    """新建“三个一批”活动。"""

    year: int = Field(title="年度", ge=2000, le=2100)
    sequence: int = Field(title="批次", ge=1, le=99)
    date: Date = Field(title="日期")
    level: choice_type(_activity("level")) = Field(title="级别")
    venue: Text = text(_activity("venue"))


ActivityPatch = partial(ActivityIn, "ActivityPatch", "修改活动：只改所传字段。")


class EntryIn(InputSchema):
    """把项目加入活动：项目阶段随之推进到该行动的阶段，日期为活动日期。"""

    project: int = id_field("项目", description="项目编号")
    action: choice_type(_entry("action")) = Field(title="行动")
    sign_mode: choice_type(_entry("sign_mode")) = Field(
        "", title="签约方式", description="签约时必填：onsite 现场签约，sync 同步签约"
    )


class PlannedIn(EntryIn):
    """把项目列入尚未举行的活动的拟办清单（拟签约、拟开工、拟投产）：不计入任何统计，
    项目阶段不变，活动当天或之后确认。"""


KEY_CHOICES = [("province", "省重点"), ("city", "市重点")]


class ProjectQuery(PageQuery):
    """The API face of ProjectFilter: the same fields, checked."""

    q: Text = Field(
        "", title="关键词", description="项目名称、代码或项目单位的一部分", max_length=200
    )
    county: Text = Field(
        "", title="县(市、区)", description="行政区划代码，如 141102", max_length=6
    )
    zone: optional_int(ge=1, le=MAX_ID) = Field(None, title="开发区编号")
    stage: choice_type(_project("stage"), blank_as_none=True) = Field(None, title="项目阶段")
    health: choice_type(_project("health"), blank_as_none=True) = Field(None, title="推进状态")
    industry: choice_type(_project("industry"), blank_as_none=True) = Field(None, title="产业类别")
    key: choice_type(KEY_CHOICES, blank_as_none=True) = Field(None, title="重点项目")
    activity: optional_int(ge=1, le=MAX_ID) = Field(
        None, title="活动编号", description="在该活动中签约、开工或投产的项目"
    )

    def to_filter(self) -> selectors.ProjectFilter:
        values = self.model_dump(exclude=PAGE_FIELDS)
        return selectors.ProjectFilter(
            **{k: "" if v is None else str(v) for k, v in values.items()}
        )


# --- helpers -----------------------------------------------------------------------------------


def _resolve_refs(user, data: dict) -> dict:
    """Turn the references of a project body into objects the user may use.

    A county is named by its code (reference data); a zone or an enterprise by an id
    within the user's scope. One the user can't see gets the same answer as one that
    doesn't exist.
    """
    if "county" in data:
        data["county"] = resolve_county(data["county"])
    if "zone" in data and data["zone"] is not None:
        zone = zone_list(user=user).filter(pk=data["zone"]).first()
        if zone is None:
            raise ValidationFailed.of("zone", "开发区不存在或不在您的权限范围内")
        data["zone"] = zone
    if "enterprise" in data:
        enterprise = enterprise_list(user=user).filter(pk=data["enterprise"]).first()
        if enterprise is None:
            raise ValidationFailed.of("enterprise", "项目单位不存在或不在您的权限范围内")
        data["enterprise"] = enterprise
    return data


@contextlib.contextmanager
def _within_own_scope(user):
    """A project placed outside the writer's own county/zone is bad input, said plainly.

    (The services answer NotFound, right for objects one addresses; for a body that
    names a county or zone, which are public reference data, a field error is clearer.)
    """
    try:
        yield
    except NotFound:
        field = user.scope_dimension or "county"
        message = f"只能登记、修改{user.scope_label}范围内的项目"
        raise ValidationFailed(message, fields={field: [message]}) from None


def _project_for_activity(user, pk: int) -> Project:
    """The project a body names for an activity: one the user can't see is bad input."""
    project = selectors.project_list(user=user).filter(pk=pk).first()
    if project is None:
        raise ValidationFailed.of("project", "项目不存在或不在您的权限范围内")
    return project


def _planned_get(user, activity: Activity, pk: int) -> PlannedEntry:
    """A planned entry of the activity; one outside the user's scope is 404, as any object."""
    planned = selectors.planned_entries(user=user, activity=activity).filter(pk=pk).first()
    if planned is None:
        raise NotFound()
    return planned


def _detail(user, project: Project) -> Project:
    return selectors.project_get(user=user, pk=project.pk)


# --- projects --------------------------------------------------------------------------------


@router.get(
    "/projects",
    response={200: Page[ProjectOut], **ERROR_RESPONSES},
    summary="项目列表",
    description="权限范围内的项目，可按关键词、县(市、区)、开发区、阶段、推进状态、产业类别、重点项目和活动筛选，分页返回。",
)
def project_list(request, query: Query[ProjectQuery]):
    filters = query.to_filter()
    qs = selectors.project_list(user=request.auth, filters=filters)
    return paginate(qs, query, rows=selectors.project_rows(qs, filters))


@router.get(
    "/projects/{id}",
    response={200: ProjectDetailOut, **ERROR_RESPONSES},
    summary="项目详情",
    description="项目的全部字段，及其阶段和推进状态变化、所属活动批次。",
)
def project_get(request, id: int = ProjectId):
    return selectors.project_get(user=request.auth, pk=id)


@router.post(
    "/projects",
    response={201: ProjectDetailOut, **ERROR_RESPONSES},
    summary="新建项目",
    description="需要“维护台账”权限，且项目须在本人权限范围内。",
)
def project_create(request, payload: ProjectIn):
    require(request.auth, Cap.CHANGE_LEDGER)
    data = _resolve_refs(request.auth, payload.model_dump())
    with _within_own_scope(request.auth):
        project = services.project_create(by=request.auth, **data)
    return Status(201, _detail(request.auth, project))


@router.patch(
    "/projects/{id}",
    response={200: ProjectDetailOut, **ERROR_RESPONSES},
    summary="修改项目",
    description="只改所传字段。阶段推进和推进状态用各自的接口。",
)
def project_update(request, payload: ProjectPatch, id: int = ProjectId):
    project = selectors.project_get(user=request.auth, pk=id)
    require(request.auth, Cap.CHANGE_LEDGER)
    version = expected_version(request, payload.version)
    data = _resolve_refs(request.auth, payload.model_dump(exclude_unset=True, exclude={"version"}))
    with _within_own_scope(request.auth):
        project = services.project_update(by=request.auth, project=project, version=version, **data)
    return _detail(request.auth, project)


@router.post(
    "/projects/{id}/stage",
    response={200: ProjectDetailOut, **ERROR_RESPONSES},
    summary="推进项目阶段",
    description="储备 → 签约 → 开工 → 投产 → 达效，只能向前一步，日期不得早于上一阶段。",
)
def project_stage(request, payload: StageIn, id: int = ProjectId):
    project = selectors.project_get(user=request.auth, pk=id)
    project = services.project_advance_stage(
        by=request.auth,
        project=project,
        to_stage=payload.stage,
        date=payload.date,
        evidence=payload.evidence,
        version=expected_version(request, payload.version),
    )
    return _detail(request.auth, project)


@router.post(
    "/projects/{id}/health",
    response={200: ProjectDetailOut, **ERROR_RESPONSES},
    summary="改变推进状态",
    description="正常推进、进度滞后、停缓建、清理退出；与阶段无关。",
)
def project_health(request, payload: HealthIn, id: int = ProjectId):
    project = selectors.project_get(user=request.auth, pk=id)
    project = services.project_set_health(
        by=request.auth,
        project=project,
        health=payload.health,
        date=payload.date,
        evidence=payload.evidence,
        version=expected_version(request, payload.version),
    )
    return _detail(request.auth, project)


@router.get(
    "/projects/{id}/history",
    response={200: Page[HistoryOut], **ERROR_RESPONSES},
    summary="项目修改历史",
    description="项目的审计记录，最新的在前：谁、何时、从哪里（网页、接口、命令行）、改了什么。",
)
def project_history(request, page: Query[PageQuery], id: int = ProjectId):
    project = selectors.project_get(user=request.auth, pk=id)
    return paginate(audit.history_for(project).order_by("-at", "-id"), page)


# --- activities ------------------------------------------------------------------------------


@router.get(
    "/activities",
    response={200: Page[ActivityOut], **ERROR_RESPONSES},
    summary="“三个一批”活动列表",
    description="全部活动（活动本身全市公开；其中的项目按权限范围显示），最近的在前。",
)
def activity_list(request, page: Query[PageQuery]):
    qs = selectors.activity_list(user=request.auth).order_by("-year", "-sequence")
    return paginate(qs, page)


@router.get("/activities/{id}", response={200: ActivityOut, **ERROR_RESPONSES}, summary="活动详情")
def activity_get(request, id: int = ActivityId):
    return selectors.activity_get(user=request.auth, pk=id)


@router.post(
    "/activities",
    response={201: ActivityOut, **ERROR_RESPONSES},
    summary="新建活动",
    description="需要“管理活动”权限（市项目办）。",
)
def activity_create(request, payload: ActivityIn):
    require(request.auth, Cap.MANAGE_ACTIVITIES)
    activity = services.activity_create(by=request.auth, **payload.model_dump())
    return Status(201, activity)


@router.patch(
    "/activities/{id}",
    response={200: ActivityOut, **ERROR_RESPONSES},
    summary="修改活动",
    description="只改所传字段。需要“管理活动”权限（市项目办）。",
)
def activity_update(request, payload: ActivityPatch, id: int = ActivityId):
    activity = selectors.activity_get(user=request.auth, pk=id)
    require(request.auth, Cap.MANAGE_ACTIVITIES)
    return services.activity_update(
        by=request.auth, activity=activity, **payload.model_dump(exclude_unset=True)
    )


@router.get(
    "/activities/{id}/entries",
    response={200: Page[EntryOut], **ERROR_RESPONSES},
    summary="活动中的项目",
    description="活动中权限范围内的项目及其行动（签约、开工、投产）。",
)
def activity_entries(request, page: Query[PageQuery], id: int = ActivityId):
    activity = selectors.activity_get(user=request.auth, pk=id)
    qs = selectors.activity_entries(user=request.auth, activity=activity).order_by(
        "action", "project__county__code", "project__name", "pk"
    )
    return paginate(qs, page)


@router.post(
    "/activities/{id}/entries",
    response={201: EntryOut, **ERROR_RESPONSES},
    summary="把项目加入活动",
    description="项目阶段随之推进到该行动的阶段（签约、开工、投产），日期为活动日期。签约须注明签约方式。"
    "尚未举行的活动不能直接加入，请用 /activities/{id}/planned 列入拟办清单。",
)
def activity_add_entry(request, payload: EntryIn, id: int = ActivityId):
    activity = selectors.activity_get(user=request.auth, pk=id)
    require(request.auth, Cap.ENTER_ACTIVITY)
    if services.activity_is_coming(activity):
        raise ValidationFailed.of(
            "action",
            f"{activity}定于{activity.date:%Y-%m-%d}举行，尚未举行，不能直接登记："
            f"请用 POST /activities/{activity.pk}/planned 列入拟办清单，活动当天或之后再确认",
        )
    project = _project_for_activity(request.auth, payload.project)
    entry = services.activity_add_project(
        by=request.auth,
        activity=activity,
        project=project,
        action=payload.action,
        sign_mode=payload.sign_mode,
    )
    return Status(201, entry)


# --- planned activities: the list collected ahead of the day -------------------------------


@router.get(
    "/activities/{id}/planned",
    response={200: Page[PlannedOut], **ERROR_RESPONSES},
    summary="活动的拟办清单",
    description="尚未举行的活动预先收集的拟签约、拟开工、拟投产项目（权限范围内），"
    "按行动、项目名称排序。拟办项目不计入任何统计，项目阶段不变，确认后才成为活动中的项目。",
)
def planned_list(request, page: Query[PageQuery], id: int = ActivityId):
    activity = selectors.activity_get(user=request.auth, pk=id)
    qs = selectors.planned_entries(user=request.auth, activity=activity).select_related(
        "created_by"
    )
    return paginate(qs, page)


@router.post(
    "/activities/{id}/planned",
    response={201: PlannedOut, **ERROR_RESPONSES},
    summary="列入拟办清单",
    description="把项目列入尚未举行的活动的拟签约、拟开工或拟投产清单：项目须处于该行动的前一阶段，"
    "每个项目的每种行动只能列入一个活动。签约须注明签约方式。已举行的活动请用 /activities/{id}/entries。",
)
def planned_add(request, payload: PlannedIn, id: int = ActivityId):
    activity = selectors.activity_get(user=request.auth, pk=id)
    require(request.auth, Cap.ENTER_ACTIVITY)
    if not services.activity_is_coming(activity):
        raise ValidationFailed.of(
            "action",
            f"{activity}已于{activity.date:%Y-%m-%d}举行，不再列入拟办清单："
            f"请用 POST /activities/{activity.pk}/entries 直接登记",
        )
    project = _project_for_activity(request.auth, payload.project)
    planned = services.activity_plan_project(
        by=request.auth,
        activity=activity,
        project=project,
        action=payload.action,
        sign_mode=payload.sign_mode,
    )
    return Status(201, planned)


# (before /planned/{entry_id}: "confirm" must not be taken for an entry's id)
@router.post(
    "/activities/{id}/planned/confirm",
    response={200: ConfirmedOut, **ERROR_RESPONSES},
    summary="确认全部拟办项目",
    description="活动当天或之后，一次确认拟办清单中您权限范围内的全部项目：要么全部确认，"
    "要么全部不确认并逐一说明不能确认的项目及原因。",
)
def planned_confirm_all(request, id: int = ActivityId):
    activity = selectors.activity_get(user=request.auth, pk=id)
    require(request.auth, Cap.ENTER_ACTIVITY)
    entries = services.activity_confirm_planned(by=request.auth, activity=activity)
    return {"confirmed": len(entries), "entries": [entry.pk for entry in entries]}


@router.post(
    "/activities/{id}/planned/{entry_id}/confirm",
    response={200: EntryOut, **ERROR_RESPONSES},
    summary="确认拟办项目",
    description="活动当天或之后：拟办的行动已经完成，项目成为活动中的项目，"
    "阶段随之推进，日期为活动日期。",
)
def planned_confirm(request, id: int = ActivityId, entry_id: int = PlannedId):
    activity = selectors.activity_get(user=request.auth, pk=id)
    planned = _planned_get(request.auth, activity, entry_id)
    require(request.auth, Cap.ENTER_ACTIVITY)
    return services.planned_confirm(by=request.auth, planned=planned)


@router.delete(
    "/activities/{id}/planned/{entry_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="移出拟办清单",
    description="把项目移出活动的拟办清单（项目阶段本来未变）。",
)
def planned_withdraw(request, id: int = ActivityId, entry_id: int = PlannedId):
    activity = selectors.activity_get(user=request.auth, pk=id)
    planned = _planned_get(request.auth, activity, entry_id)
    require(request.auth, Cap.ENTER_ACTIVITY)
    services.planned_withdraw(by=request.auth, planned=planned)
    return Status(204, None)
