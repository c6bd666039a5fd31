"""Writes for approvals: departments, the catalogue, project approval items, the 全代办
service, 承诺制 commitments and the scan that turns broken ones into credit records.

Each service checks the capability and the scope, validates (the pure rules in
`rules.py` first, for their clear Chinese messages, then the model's own validation),
saves and writes its audit row, all in one transaction: nothing is half-saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap, Role
from sanpi.core import audit
from sanpi.core.errors import NotFound, ValidationFailed
from sanpi.core.scope import ensure_in_scope, restrict
from sanpi.core.services import account_of, require, save_update, validate_instance
from sanpi.projects.models import Project
from sanpi.regions.models import Department

from .models import (
    AgencyEvent,
    AgencyService,
    ApprovalProject,
    CatalogueItem,
    CatalogueMaterial,
    Commitment,
    CreditRecord,
    LowRiskProfile,
    ProjectApproval,
    Track,
)
from .rules import (
    AGENCY_FLOW,
    AGENCY_STEP_LABELS,
    OUTCOME_LABELS,
    AgencyStatus,
    AgencyStep,
    Building,
    Outcome,
    agency_step_error,
    commitment_broken,
    date_errors,
    limit_errors,
    low_risk_failures,
)


def today() -> dt.date:
    return timezone.localdate()


def _refuse(errors: Mapping[str, str]) -> None:
    if errors:
        raise ValidationFailed(
            "；".join(errors.values()), fields={k: [v] for k, v in errors.items()}
        )


def _set(instance, data: Mapping, allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    for name, value in data.items():
        if name not in allowed:
            raise ValueError(f"unknown field {name}")
        setattr(instance, name, value)


# --- departments -------------------------------------------------------------------------------

DEPARTMENT_FIELDS = ("name", "kind", "level", "county", "zone")


@transaction.atomic
def department_create(*, by, **data) -> Department:
    require(by, Cap.MANAGE_CATALOGUE)
    department = Department()
    _set(department, data, DEPARTMENT_FIELDS)
    validate_instance(department)
    department.save()
    audit.record(user=by, action="create", obj=department, after=audit.snapshot(department))
    return department


@transaction.atomic
def department_update(*, by, department: Department, **data) -> Department:
    require(by, Cap.MANAGE_CATALOGUE)
    before = audit.snapshot(department)
    _set(department, data, DEPARTMENT_FIELDS)
    if before["kind"] != department.kind:
        other = (
            ProjectApproval.objects.filter(department=department, decided_on__isnull=True)
            .exclude(catalogue_item__department_kind=department.kind)
            .select_related("catalogue_item")
            .first()
        )
        if other is not None:
            _refuse(
                {
                    "kind": f"该部门正在办理“{other.catalogue_item.name}”等事项，"
                    f"不能改为{department.get_kind_display()}：请先把这些事项改由其他部门办理"
                }
            )
    validate_instance(department)
    save_update(by=by, instance=department, before=before)
    return department


# --- the catalogue -------------------------------------------------------------------------------

CATALOGUE_ITEM_FIELDS = (
    "sequence",
    "name",
    "stage",
    "department_kind",
    "statutory_days",
    "committed_days",
    "basis",
)


def _validate_catalogue_item(item: CatalogueItem) -> None:
    _refuse(limit_errors(statutory_days=item.statutory_days, committed_days=item.committed_days))
    validate_instance(item)


@transaction.atomic
def catalogue_item_create(*, by, track: Track, **data) -> CatalogueItem:
    require(by, Cap.MANAGE_CATALOGUE)
    item = CatalogueItem(track=track)
    _set(item, data, CATALOGUE_ITEM_FIELDS)
    if item.sequence is None:
        last = track.items.order_by("-sequence").values_list("sequence", flat=True).first()
        item.sequence = (last or 0) + 1
    _validate_catalogue_item(item)
    item.save()
    audit.record(user=by, action="create", obj=item, after=audit.snapshot(item))
    return item


@transaction.atomic
def catalogue_item_update(*, by, item: CatalogueItem, **data) -> CatalogueItem:
    """Edit an item of the catalogue. Items already on projects keep the limits they were
    given (their deadlines don't move); new ones take the new limits."""
    require(by, Cap.MANAGE_CATALOGUE)
    before = audit.snapshot(item)
    _set(item, data, CATALOGUE_ITEM_FIELDS)
    if before["department_kind"] != item.department_kind:
        busy = (
            ProjectApproval.objects.filter(catalogue_item=item, decided_on__isnull=True)
            .exclude(department__isnull=True)
            .count()
        )
        if busy:
            _refuse(
                {
                    "department_kind": f"已有{busy}个项目的该事项正由原类别的部门办理，"
                    "不能改变办理部门类别：请先把这些事项办结或改为未指定部门"
                }
            )
    _validate_catalogue_item(item)
    save_update(by=by, instance=item, before=before)
    return item


@transaction.atomic
def catalogue_material_add(
    *, by, item: CatalogueItem, name: str, copies: int = 1, form: str = "copy", notes: str = ""
) -> CatalogueMaterial:
    require(by, Cap.MANAGE_CATALOGUE)
    material = CatalogueMaterial(
        item=item, name=(name or "").strip(), copies=copies, form=form, notes=notes
    )
    if copies is not None and copies < 1:
        _refuse({"copies": f"份数至少为1（填写的是{copies}）"})
    validate_instance(material)
    material.save()
    audit.record(user=by, action="create", obj=material, after=audit.snapshot(material))
    return material


@transaction.atomic
def catalogue_material_remove(*, by, material: CatalogueMaterial) -> None:
    require(by, Cap.MANAGE_CATALOGUE)
    audit.record(user=by, action="delete", obj=material, before=audit.snapshot(material))
    material.delete()


# --- project approval items ----------------------------------------------------------------


def ensure_project_in_scope(by, project: Project) -> None:
    """The project as the approval module scopes it (agents: commissioned projects)."""
    if by.sees_all:
        return
    if not restrict(ApprovalProject.objects.filter(pk=project.pk), by).exists():
        raise NotFound()


def default_department(kind: str, project: Project) -> Department | None:
    """Who handles an item of `kind` for `project`: the zone's department of that kind,
    else the county's, else the city's (None when the city has none)."""
    departments = Department.objects.filter(kind=kind).order_by("pk")
    if project.zone_id:
        found = departments.filter(level=Department.Level.ZONE, zone_id=project.zone_id).first()
        if found:
            return found
    found = departments.filter(level=Department.Level.COUNTY, county_id=project.county_id).first()
    return found or departments.filter(level=Department.Level.CITY).first()


def department_error(item: CatalogueItem, department: Department, project: Project) -> str | None:
    """Why `department` can't handle `item` for `project`, or None."""
    if department.kind != item.department_kind:
        handles = Department.Kind(item.department_kind).label
        return (
            f"“{department}”是{department.get_kind_display()}，不办理“{item.name}”"
            f"（该事项由{handles}办理）"
        )
    if department.level == Department.Level.COUNTY and department.county_id != project.county_id:
        return f"“{department}”是{department.county}的部门，不办理{project.county}的项目"
    if department.level == Department.Level.ZONE and department.zone_id != project.zone_id:
        return f"“{department}”是{department.zone}的部门，项目“{project}”不在该开发区"
    return None


def _agent_error(agent) -> str | None:
    if agent is None:
        return None
    if agent.role != Role.AGENT or not agent.is_active:
        return f"“{agent}”不是在用的代办员账号"
    return None


def _validate_item(item: ProjectApproval, *, on: dt.date | None = None) -> None:
    errors = date_errors(
        applied_on=item.applied_on,
        accepted_on=item.accepted_on,
        decided_on=item.decided_on,
        outcome=item.outcome,
        today=on or today(),
    )
    for name, message in limit_errors(
        statutory_days=item.statutory_days, committed_days=item.committed_days
    ).items():
        errors.setdefault(name, message)
    if item.department_id:
        problem = department_error(item.catalogue_item, item.department, item.project)
        if problem:
            errors.setdefault("department", problem)
    problem = _agent_error(item.agent)
    if problem:
        errors.setdefault("agent", problem)
    _refuse(errors)
    validate_instance(item)


def _low_risk_profile(by, project: Project, building: Building | None) -> None:
    """Check (and keep) the building facts that admit the project to the low-risk track."""
    profile = LowRiskProfile.objects.filter(project=project).first()
    if building is None:
        if profile is None:
            _refuse({"low_risk": "简易低风险项目须先填写建筑情况（面积、高度、地下层数、用途）"})
        building = Building(
            above_ground_m2=profile.above_ground_m2,
            height_m=profile.height_m,
            underground_floors=profile.underground_floors,
            underground_m2=profile.underground_m2,
            use=profile.use,
            single_use=profile.single_use,
            public_funds=profile.public_funds,
        )
    failures = low_risk_failures(building)
    if failures:
        raise ValidationFailed(
            "项目不符合社会投资简易低风险工程建设项目的条件：" + "；".join(failures),
            fields={"low_risk": failures},
        )
    before = audit.snapshot(profile) if profile else None
    profile = profile or LowRiskProfile(project=project)
    for name in (
        "above_ground_m2",
        "height_m",
        "underground_floors",
        "underground_m2",
        "use",
        "single_use",
        "public_funds",
    ):
        setattr(profile, name, getattr(building, name))
    validate_instance(profile)
    after = audit.snapshot(profile)
    if after != before:
        profile.save()
        audit.record(
            user=by,
            action="create" if before is None else "update",
            obj=profile,
            before=before,
            after=audit.snapshot(profile),
            message="符合简易低风险工程建设项目条件",
        )


@transaction.atomic
def approvals_add(
    *,
    by,
    project: Project,
    catalogue_items: Iterable[CatalogueItem],
    building: Building | None = None,
) -> list[ProjectApproval]:
    """Put catalogue items on a project, each with its limits and a default department.

    Items of the low-risk track need a building that qualifies (the failed rules are
    named). Items the project already has are skipped. Under a full 全代办 commission,
    new items get the service's agent.
    """
    require(by, Cap.PLAN_APPROVALS)
    ensure_project_in_scope(by, project)
    wanted = list(dict.fromkeys(catalogue_items))
    if not wanted:
        _refuse({"catalogue_items": "请选择要添加的审批事项"})
    have = set(project.approval_items.values_list("catalogue_item_id", flat=True))
    new = [ci for ci in wanted if ci.pk not in have]
    if not new:
        _refuse({"catalogue_items": "所选事项该项目都已有，无需重复添加"})
    if any(ci.track.low_risk for ci in new):
        _low_risk_profile(by, project, building)
    agency = AgencyService.objects.filter(project=project).first()
    agent = (
        agency.agent
        if agency
        and agency.extent == AgencyService.Extent.FULL
        and agency.status in (AgencyStatus.COMMISSIONED, AgencyStatus.HANDLING)
        else None
    )
    created = []
    for ci in new:
        item = ProjectApproval(
            project=project,
            catalogue_item=ci,
            statutory_days=ci.statutory_days,
            committed_days=ci.committed_days,
            department=default_department(ci.department_kind, project),
            agent=agent,
        )
        _validate_item(item)
        item.save()
        audit.record(user=by, action="create", obj=item, after=audit.snapshot(item))
        created.append(item)
    return created


PLAN_FIELDS = ("applied_on", "department", "handler", "agent", "committed_days", "notes")


@transaction.atomic
def item_update(*, by, item: ProjectApproval, **data) -> ProjectApproval:
    """Plan an item: application date, handling department and person, agent, limit, notes."""
    require(by, Cap.PLAN_APPROVALS)
    ensure_in_scope(by, item)
    before = audit.snapshot(item)
    _set(item, data, PLAN_FIELDS)
    errors: dict[str, str] = {}
    if item.accepted_on and item.committed_days != before["committed_days"]:
        errors["committed_days"] = (
            f"事项已于{item.accepted_on.isoformat()}受理，承诺时限不能再修改"
            "（办结期限已按受理时的承诺时限计算）"
        )
    if item.decided_on and item.department_id != before["department"]:
        errors["department"] = "事项已办结，不能再改变办理部门"
    if item.accepted_on and audit.jsonable(item.applied_on) != before["applied_on"]:
        errors.setdefault("applied_on", "事项已受理，申请日期不能再修改")
    _refuse(errors)
    _validate_item(item)
    save_update(by=by, instance=item, before=before)
    return item


@transaction.atomic
def item_accept(
    *,
    by,
    item: ProjectApproval,
    accepted_on: dt.date,
    applied_on: dt.date | None = None,
    handler: str = "",
) -> ProjectApproval:
    """The department accepts the application: the clock starts."""
    require(by, Cap.DECIDE_APPROVALS)
    ensure_in_scope(by, item)
    if item.accepted_on:
        _refuse({"accepted_on": f"该事项已于{item.accepted_on.isoformat()}受理"})
    if item.department_id is None:
        _refuse({"department": "请先指定办理部门再受理"})
    if accepted_on is None:
        _refuse({"accepted_on": "请填写受理日期"})
    before = audit.snapshot(item)
    if item.applied_on is None:
        item.applied_on = applied_on
    item.accepted_on = accepted_on
    if handler:
        item.handler = handler
    _validate_item(item)
    save_update(
        by=by,
        instance=item,
        before=before,
        message=f"受理（{accepted_on.isoformat()}），承诺{item.committed_days}个工作日内办结",
    )
    return item


@transaction.atomic
def item_decide(
    *,
    by,
    item: ProjectApproval,
    decided_on: dt.date,
    outcome: str,
    handler: str = "",
    notes: str = "",
) -> ProjectApproval:
    """The department decides (or the applicant withdraws): the clock stops."""
    require(by, Cap.DECIDE_APPROVALS)
    ensure_in_scope(by, item)
    if item.decided_on:
        _refuse(
            {
                "decided_on": f"该事项已于{item.decided_on.isoformat()}办结"
                f"（{item.get_outcome_display()}）"
            }
        )
    if outcome not in {o.value for o in Outcome} or outcome == Outcome.PENDING:
        _refuse({"outcome": "请选择办理结果"})
    if decided_on is None:
        _refuse({"decided_on": "请填写办结日期"})
    before = audit.snapshot(item)
    item.decided_on = decided_on
    item.outcome = outcome
    if handler:
        item.handler = handler
    if notes:
        item.notes = notes
    _validate_item(item)
    save_update(
        by=by,
        instance=item,
        before=before,
        message=f"办结：{OUTCOME_LABELS[Outcome(outcome)]}（{decided_on.isoformat()}）",
    )
    return item


@transaction.atomic
def item_remove(*, by, item: ProjectApproval) -> None:
    """Take back an item put on a project by mistake (only before it was applied for)."""
    require(by, Cap.PLAN_APPROVALS)
    ensure_in_scope(by, item)
    if item.applied_on:
        _refuse({"applied_on": f"事项已于{item.applied_on.isoformat()}申请，不能删除"})
    audit.record(user=by, action="delete", obj=item, before=audit.snapshot(item))
    item.delete()


# --- the 全代办 service -----------------------------------------------------------------------


@transaction.atomic
def agency_step(
    *,
    by,
    project: Project,
    step: str,
    date: dt.date,
    note: str = "",
    extent: str = "",
    agent=None,
    zone_lead: str = "",
    county_lead: str = "",
    items: Iterable[ProjectApproval] | None = None,
    satisfaction: str = "",
    comment: str = "",
) -> AgencyService:
    """One step of the flow of seeds/000…: 接待咨询 → 受理委托 → 领办代办 → 服务终止
    (or 续办, back to handling) → 事后评价 by the company. Each step dated and audited."""
    step = AgencyStep(step)
    require(by, Cap.EVALUATE_AGENCY if step == AgencyStep.EVALUATE else Cap.MANAGE_AGENCY)
    service = AgencyService.objects.select_for_update().filter(project=project).first()
    if service is None:
        ensure_project_in_scope(by, project)
    else:
        ensure_in_scope(by, service)
    problem = agency_step_error(service.status if service else None, step)
    if problem:
        _refuse({"step": problem})
    label = AGENCY_STEP_LABELS[step]
    if date is None:
        _refuse({"date": f"请填写{label}日期"})
    if date > today():
        _refuse({"date": f"{label}日期（{date.isoformat()}）晚于今天，不能预先登记"})
    last = service.events.order_by("-date", "-pk").first() if service else None
    if last is not None and date < last.date:
        _refuse(
            {
                "date": f"{label}日期（{date.isoformat()}）早于上一环节"
                f"“{last.get_step_display()}”的日期（{last.date.isoformat()}）"
            }
        )
    before = audit.snapshot(service) if service else None
    service = service or AgencyService(project=project)
    service.status = AGENCY_FLOW[step][1].value
    if step == AgencyStep.CONSULT:
        service.consulted_on = date
    elif step == AgencyStep.COMMISSION:
        _commission(service, project, date, extent, agent, zone_lead, county_lead, items)
    elif step == AgencyStep.HANDLE:
        service.handling_on = date
    elif step == AgencyStep.END:
        service.ended_on = date
    elif step == AgencyStep.CONTINUE:
        service.continued_times += 1
    elif step == AgencyStep.EVALUATE:
        if satisfaction not in AgencyService.Satisfaction.values:
            _refuse({"satisfaction": "请选择满意度（满意、基本满意、不满意）"})
        service.evaluated_on = date
        service.satisfaction = satisfaction
        service.comment = (comment or "").strip()
    validate_instance(service)
    service.save()
    if step == AgencyStep.COMMISSION:
        _assign_agent(by, service, items)
    AgencyEvent.objects.create(
        service=service, step=step.value, date=date, note=note, recorded_by=account_of(by)
    )
    audit.record(
        user=by,
        action="create" if before is None else "update",
        obj=service,
        before=before,
        after=audit.snapshot(service),
        message=f"{label}（{date.isoformat()}）{note}".strip(),
    )
    return service


def _commission(service, project, date, extent, agent, zone_lead, county_lead, items) -> None:
    errors: dict[str, str] = {}
    if extent not in AgencyService.Extent.values:
        errors["extent"] = "请选择代办范围（全部代办或部分代办）"
    if agent is None:
        errors["agent"] = "请选择代办员"
    else:
        problem = _agent_error(agent)
        if problem:
            errors["agent"] = problem
    if not (county_lead or "").strip():
        errors["county_lead"] = "请填写县级领办人（省市县层面审批的事项由县级领导领办）"
    if project.zone_id and not (zone_lead or "").strip():
        errors["zone_lead"] = "项目在开发区内，请填写开发区领办人（开发区审批中心的事项由其领办）"
    if extent == AgencyService.Extent.PARTIAL and not list(items or []):
        errors["items"] = "部分代办须选择委托代办的事项"
    _refuse(errors)
    service.extent = extent
    service.agent = agent
    service.zone_lead = (zone_lead or "").strip()
    service.county_lead = (county_lead or "").strip()
    service.commissioned_on = date


def _assign_agent(by, service: AgencyService, items) -> None:
    """The agent runs the commissioned items: all of them, or the chosen ones."""
    qs = ProjectApproval.objects.filter(project=service.project, decided_on__isnull=True)
    if service.extent == AgencyService.Extent.PARTIAL:
        chosen = [i.pk for i in items or []]
        foreign = set(chosen) - set(
            ProjectApproval.objects.filter(project=service.project).values_list("pk", flat=True)
        )
        if foreign:
            _refuse({"items": "所选事项不属于该项目"})
        qs = qs.filter(pk__in=chosen)
    for item in qs:
        before = audit.snapshot(item, ["agent"])
        item.agent = service.agent
        item.save(update_fields=["agent", "updated_at"])
        audit.record(
            user=by,
            action="update",
            obj=item,
            before=before,
            after={"agent": service.agent.pk},
            message="全代办：受理委托，由代办员代办",
        )


# --- 承诺制 -------------------------------------------------------------------------------------


@transaction.atomic
def commitment_create(*, by, item: ProjectApproval, content: str, due_on: dt.date) -> Commitment:
    """Record what the company promised to deliver after the approval, and by when."""
    require(by, Cap.MANAGE_COMMITMENTS)
    ensure_in_scope(by, item)
    content = (content or "").strip()
    errors: dict[str, str] = {}
    if not content:
        errors["content"] = "请填写承诺内容"
    if due_on is None:
        errors["due_on"] = "请填写承诺期限"
    if item.applied_on is None:
        errors["item"] = "事项尚未申请，不能登记承诺"
    elif due_on is not None and due_on < item.applied_on:
        errors["due_on"] = (
            f"承诺期限（{due_on.isoformat()}）早于事项申请日期（{item.applied_on.isoformat()}）"
        )
    _refuse(errors)
    commitment = Commitment(item=item, content=content, due_on=due_on)
    validate_instance(commitment)
    commitment.save()
    audit.record(user=by, action="create", obj=commitment, after=audit.snapshot(commitment))
    return commitment


@transaction.atomic
def commitment_fulfil(*, by, commitment: Commitment, fulfilled_on: dt.date) -> Commitment:
    require(by, Cap.MANAGE_COMMITMENTS)
    ensure_in_scope(by, commitment)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.status == Commitment.Status.FULFILLED:
        _refuse({"fulfilled_on": f"该承诺已于{commitment.fulfilled_on.isoformat()}履行"})
    if commitment.status == Commitment.Status.BROKEN:
        _refuse({"fulfilled_on": "该承诺已逾期未履行并记入企业信用记录，不能再登记为履行"})
    if fulfilled_on is None:
        _refuse({"fulfilled_on": "请填写履行日期"})
    if fulfilled_on > today():
        _refuse({"fulfilled_on": f"履行日期（{fulfilled_on.isoformat()}）晚于今天"})
    if fulfilled_on > commitment.due_on:
        _refuse(
            {
                "fulfilled_on": f"履行日期（{fulfilled_on.isoformat()}）晚于承诺期限"
                f"（{commitment.due_on.isoformat()}）：逾期履行按未履行处理"
            }
        )
    before = audit.snapshot(commitment)
    commitment.status = Commitment.Status.FULFILLED
    commitment.fulfilled_on = fulfilled_on
    validate_instance(commitment)
    commitment.save()
    audit.record(
        user=by,
        action="update",
        obj=commitment,
        before=before,
        after=audit.snapshot(commitment),
        message=f"承诺已履行（{fulfilled_on.isoformat()}）",
    )
    return commitment


@transaction.atomic
def commitments_scan(*, by, on: dt.date | None = None) -> list[CreditRecord]:
    """Turn every commitment due before `on` and unfulfilled into a broken-commitment
    credit record on the enterprise. Idempotent: a commitment is turned once."""
    require(by, Cap.MANAGE_COMMITMENTS)
    on = on or today()
    due = (
        restrict(Commitment.objects.all(), by)
        .filter(status=Commitment.Status.PENDING, due_on__lt=on)
        .select_related("item__project__enterprise", "item__catalogue_item")
        .select_for_update(of=("self",))
        .order_by("due_on", "pk")
    )
    records = []
    for commitment in due:
        if not commitment_broken(
            due_on=commitment.due_on, fulfilled_on=commitment.fulfilled_on, today=on
        ):
            continue
        before = audit.snapshot(commitment)
        commitment.status = Commitment.Status.BROKEN
        commitment.save(update_fields=["status"])
        audit.record(
            user=by,
            action="update",
            obj=commitment,
            before=before,
            after=audit.snapshot(commitment),
            message=f"到期扫描（{on.isoformat()}）：承诺逾期未履行",
        )
        project = commitment.item.project
        record = CreditRecord.objects.create(
            enterprise=project.enterprise,
            commitment=commitment,
            recorded_on=on,
            description=(
                f"“{project}”的“{commitment.item.catalogue_item.name}”按承诺制办理，"
                f"承诺“{commitment.content}”于{commitment.due_on.isoformat()}前完成，逾期未履行"
            ),
        )
        audit.record(user=by, action="create", obj=record, after=audit.snapshot(record))
        records.append(record)
    return records
