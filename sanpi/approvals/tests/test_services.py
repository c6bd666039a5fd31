"""Approval services: capability, scope, validation (each refusal with its exact Chinese
message, nothing half-saved) and the audit row of every write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sanpi.approvals import services
from sanpi.approvals.models import (
    AgencyService,
    CatalogueItem,
    CatalogueMaterial,
    Commitment,
    CreditRecord,
    LowRiskProfile,
    ProjectApproval,
)
from sanpi.approvals.rules import Building
from sanpi.approvals.selectors import item_clock, moved_item_deadlines
from sanpi.core.errors import NotFound, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.core.workdays import WorkCalendar, package_calendar
from sanpi.regions.models import Department

from .factories import PERMIT, catalogue_item

D = dt.date


def _refused(exc_info, message: str, field: str | None = None) -> None:
    assert exc_info.value.message == message, exc_info.value.message
    if field:
        assert exc_info.value.fields[field] == [message]


def _unchanged(item: ProjectApproval) -> None:
    before = {k: v for k, v in item.__dict__.items() if not k.startswith("_") and k != "updated_at"}
    fresh = ProjectApproval.objects.get(pk=item.pk)
    after = {k: v for k, v in fresh.__dict__.items() if not k.startswith("_") and k != "updated_at"}
    assert before == after


# --- putting items on a project --------------------------------------------------------------


def test_the_full_agency_list_goes_onto_a_project_with_departments_and_agent(world, aw):
    city = world.user("city_office")
    before = AuditLog.objects.count()
    created = services.approvals_add(
        by=city, project=world.project_a, catalogue_items=list(aw.full.items.all())
    )
    assert len(created) == 28  # two of the 30 were already there
    assert ProjectApproval.objects.filter(project=world.project_a).count() == 30
    permit_like = [i for i in created if i.catalogue_item.department_kind == "approval"]
    assert permit_like and all(i.department == aw.dept_a for i in permit_like)  # the zone's
    land = [i for i in created if i.catalogue_item.department_kind == "natural_resources"]
    assert land and all(i.department == aw.dept_nr_a for i in land)  # the county's
    ecology = [i for i in created if i.catalogue_item.department_kind == "ecology"]
    assert ecology and all(i.department is None for i in ecology)  # none in the city yet
    assert all(i.agent == world.user("agent") for i in created)  # full 全代办 commission
    assert all(i.committed_days == i.catalogue_item.committed_days for i in created)
    assert AuditLog.objects.count() == before + 28
    with pytest.raises(ValidationFailed) as exc:
        services.approvals_add(by=city, project=world.project_a, catalogue_items=[aw.permit])
    _refused(exc, "所选事项该项目都已有，无需重复添加", "catalogue_items")


def test_the_low_risk_track_needs_a_qualifying_building(world, aw):
    city = world.user("city_office")
    items = list(aw.low.items.all())
    count = ProjectApproval.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.approvals_add(by=city, project=world.project_b, catalogue_items=items)
    _refused(exc, "简易低风险项目须先填写建筑情况（面积、高度、地下层数、用途）", "low_risk")
    tall = Building(
        above_ground_m2=Decimal("2500"),
        height_m=Decimal("30"),
        underground_floors=1,
        underground_m2=Decimal("0"),
        use="plant",
        single_use=True,
        public_funds=False,
    )
    with pytest.raises(ValidationFailed) as exc:
        services.approvals_add(
            by=city, project=world.project_b, catalogue_items=items, building=tall
        )
    assert exc.value.message == (
        "项目不符合社会投资简易低风险工程建设项目的条件："
        "地上建筑面积2500平方米，超过2000平方米；建筑高度30米，超过24米"
    )
    assert exc.value.fields["low_risk"] == [
        "地上建筑面积2500平方米，超过2000平方米",
        "建筑高度30米，超过24米",
    ]
    assert ProjectApproval.objects.count() == count and not LowRiskProfile.objects.exists()
    fine = Building(
        above_ground_m2=Decimal("1800"),
        height_m=Decimal("12"),
        underground_floors=0,
        underground_m2=Decimal("0"),
        use="warehouse",
        single_use=True,
        public_funds=False,
    )
    created = services.approvals_add(
        by=city, project=world.project_b, catalogue_items=items, building=fine
    )
    assert [i.committed_days for i in created] == [1, 2, 3, 1, 3, 3]
    assert LowRiskProfile.objects.get(project=world.project_b).use == "warehouse"


def test_adding_items_is_scoped(world, aw):
    for role in ("county", "zone", "agent"):
        with pytest.raises(NotFound):
            services.approvals_add(
                by=world.user(role), project=world.project_b, catalogue_items=[aw.permit]
            )
    for role in ("department", "leader", "enterprise", "admin"):
        with pytest.raises(PermissionDenied):
            services.approvals_add(
                by=world.user(role), project=world.project_a, catalogue_items=[aw.permit]
            )
    # The agent is commissioned for project A.
    created = services.approvals_add(
        by=world.user("agent"),
        project=world.project_a,
        catalogue_items=[catalogue_item("企业投资项目备案")],
    )
    assert created[0].department == aw.dept_a


# --- planning an item: bad input refused, nothing half-saved ------------------------------------


def test_a_department_of_the_wrong_kind_is_refused(world, aw):
    item = aw.item_a2  # 建设用地规划许可证: a 自然资源局 item
    count = AuditLog.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.item_update(
            by=world.user("city_office"), item=item, department=aw.dept_a, handler="张三"
        )
    _refused(
        exc,
        "“吕梁经开区行政审批局”是行政审批局，不办理“建设用地规划许可证”（该事项由自然资源局办理）",
        "department",
    )
    _unchanged(aw.item_a2.__class__.objects.get(pk=item.pk))
    assert ProjectApproval.objects.get(pk=item.pk).department == aw.dept_nr_a
    assert ProjectApproval.objects.get(pk=item.pk).handler == ""
    assert AuditLog.objects.count() == count


def test_a_department_of_another_county_is_refused(world, aw):
    with pytest.raises(ValidationFailed) as exc:
        services.item_update(by=world.user("city_office"), item=aw.item_a, department=aw.dept_b)
    _refused(exc, "“孝义市行政审批服务管理局”是孝义市的部门，不办理离石区的项目", "department")
    assert ProjectApproval.objects.get(pk=aw.item_a.pk).department == aw.dept_a


@pytest.mark.parametrize("days", [0, -3])
def test_a_limit_of_zero_or_less_is_refused(world, aw, days):
    item = aw.item_a2
    with pytest.raises(ValidationFailed) as exc:
        services.item_update(by=world.user("county"), item=item, committed_days=days)
    _refused(exc, f"承诺时限须为大于0的工作日数（填写的是{days}）", "committed_days")
    assert ProjectApproval.objects.get(pk=item.pk).committed_days == 5
    ci = catalogue_item(PERMIT)
    with pytest.raises(ValidationFailed) as exc:
        services.catalogue_item_update(by=world.user("city_office"), item=ci, statutory_days=days)
    _refused(exc, f"法定时限须为大于0的工作日数（填写的是{days}）", "statutory_days")
    assert CatalogueItem.objects.get(pk=ci.pk).statutory_days == 5


def test_a_running_clock_keeps_its_limit(world, aw):
    with pytest.raises(ValidationFailed) as exc:
        services.item_update(by=world.user("city_office"), item=aw.item_a, committed_days=9)
    _refused(
        exc,
        "事项已于2021-09-24受理，承诺时限不能再修改（办结期限已按受理时的承诺时限计算）",
        "committed_days",
    )


def test_a_catalogue_edit_does_not_move_running_deadlines(world, aw):
    ci = catalogue_item(PERMIT)
    before = item_clock(aw.item_a, today=D(2021, 10, 1)).deadline
    services.catalogue_item_update(
        by=world.user("city_office"), item=ci, committed_days=1, statutory_days=3
    )
    item = ProjectApproval.objects.get(pk=aw.item_a.pk)
    assert item.committed_days == 2 and item_clock(item, today=D(2021, 10, 1)).deadline == before


def test_catalogue_limits_in_order(world, aw):
    ci = catalogue_item(PERMIT)
    with pytest.raises(ValidationFailed) as exc:
        services.catalogue_item_update(by=world.user("city_office"), item=ci, committed_days=8)
    _refused(exc, "承诺时限（8个工作日）不能超过法定时限（5个工作日）", "committed_days")
    with pytest.raises(PermissionDenied):
        services.catalogue_item_update(by=world.user("county"), item=ci, committed_days=1)


# --- accepting and deciding -------------------------------------------------------------------


def test_the_department_officer_accepts_and_decides_their_item(world, aw):
    officer = world.user("department")
    item = services.approvals_add(
        by=world.user("city_office"),
        project=world.project_a,
        catalogue_items=[catalogue_item("建设工程规划许可证")],
    )[0]
    assert item.department == aw.dept_a
    services.item_update(by=world.user("agent"), item=item, applied_on=D(2021, 9, 23))
    services.item_accept(by=officer, item=item, accepted_on=D(2021, 9, 24), handler="王审批")
    clock = item_clock(item, today=D(2021, 9, 27))
    assert clock.deadline == D(2021, 9, 30)  # 5 working days, the adjusted Sunday 09-26 among them
    services.item_decide(by=officer, item=item, decided_on=D(2021, 9, 30), outcome="approved")
    item.refresh_from_db()
    assert (item.outcome, item.handler) == ("approved", "王审批")
    assert item_clock(item).on_time is True
    rows = AuditLog.objects.filter(object_type="approvals.projectapproval", object_id=str(item.pk))
    messages = list(rows.order_by("id").values_list("message", flat=True))
    assert messages[-2:] == [
        "受理（2021-09-24），承诺5个工作日内办结",
        "办结：准予许可（2021-09-30）",
    ]


def test_decided_before_applied_is_refused_and_nothing_saved(world, aw):
    officer = world.user("department")
    count = AuditLog.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.item_decide(
            by=officer, item=aw.item_a, decided_on=D(2021, 9, 20), outcome="approved"
        )
    _refused(
        exc,
        "办结日期（2021-09-20）早于申请日期（2021-09-22）：日期须按 申请 ≤ 受理 ≤ 办结 的顺序",
        "decided_on",
    )
    fresh = ProjectApproval.objects.get(pk=aw.item_a.pk)
    assert (fresh.decided_on, fresh.outcome) == (None, "pending")
    assert AuditLog.objects.count() == count
    with pytest.raises(ValidationFailed) as exc:
        services.item_decide(by=officer, item=fresh, decided_on=D(2021, 10, 8), outcome="pending")
    _refused(exc, "请选择办理结果", "outcome")
    future = dt.date.today() + dt.timedelta(days=30)
    with pytest.raises(ValidationFailed) as exc:
        services.item_decide(by=officer, item=fresh, decided_on=future, outcome="approved")
    _refused(exc, f"办结日期（{future.isoformat()}）晚于今天，不能预先登记", "decided_on")


def test_accepting_twice_or_without_a_department_is_refused(world, aw):
    city = world.user("city_office")
    with pytest.raises(ValidationFailed) as exc:
        services.item_accept(by=city, item=aw.item_a, accepted_on=D(2021, 9, 25))
    _refused(exc, "该事项已于2021-09-24受理", "accepted_on")
    ProjectApproval.objects.filter(pk=aw.item_b.pk).update(department=None)
    item_b = ProjectApproval.objects.get(pk=aw.item_b.pk)
    with pytest.raises(ValidationFailed) as exc:
        services.item_accept(by=city, item=item_b, accepted_on=D(2021, 9, 25))
    _refused(exc, "请先指定办理部门再受理", "department")


def test_a_department_officer_acts_on_their_department_only(world, aw):
    officer = world.user("department")
    for item in (aw.item_a2, aw.item_b):
        with pytest.raises(NotFound):
            services.item_accept(by=officer, item=item, accepted_on=D(2021, 9, 24))
    with pytest.raises(PermissionDenied):
        services.item_update(by=officer, item=aw.item_a, handler="改")
    for role in ("county", "zone", "agent", "enterprise", "leader"):
        with pytest.raises(PermissionDenied):
            services.item_decide(
                by=world.user(role), item=aw.item_a, decided_on=D(2021, 10, 8), outcome="approved"
            )


def test_an_agent_acts_on_commissioned_projects_only(world, aw):
    agent = world.user("agent")
    services.item_update(by=agent, item=aw.item_a2, handler="李经办")
    with pytest.raises(NotFound):
        services.item_update(by=agent, item=aw.item_b, handler="李经办")
    with pytest.raises(ValidationFailed) as exc:
        services.item_update(
            by=world.user("city_office"), item=aw.item_a2, agent=world.user("county")
        )
    _refused(exc, f"“{world.user('county')}”不是在用的代办员账号", "agent")


def test_an_item_applied_for_cannot_be_removed(world, aw):
    with pytest.raises(ValidationFailed) as exc:
        services.item_remove(by=world.user("county"), item=aw.item_a2)
    _refused(exc, "事项已于2021-09-22申请，不能删除", "applied_on")
    item = services.approvals_add(
        by=world.user("county"),
        project=world.project_a,
        catalogue_items=[catalogue_item("取水许可")],
    )[0]
    pk = item.pk
    services.item_remove(by=world.user("county"), item=item)
    assert not ProjectApproval.objects.filter(pk=pk).exists()
    assert AuditLog.objects.filter(action="delete", object_id=str(pk)).count() == 1


def test_a_department_cannot_change_kind_while_it_has_open_items(world, aw):
    with pytest.raises(ValidationFailed) as exc:
        services.department_update(
            by=world.user("city_office"), department=aw.dept_a, kind="housing"
        )
    assert exc.value.message.startswith(
        "该部门正在办理“建筑工程施工许可证核发”等事项，不能改为住建局"
    )
    assert Department.objects.get(pk=aw.dept_a.pk).kind == "approval"
    with pytest.raises(ValidationFailed) as exc:
        services.department_create(
            by=world.user("city_office"), name="吕梁市住建局", kind="housing", level="county"
        )
    assert "县级部门须选县(市、区)" in exc.value.message


def test_materials(world, aw):
    city = world.user("city_office")
    ci = catalogue_item(PERMIT)
    material = services.catalogue_material_add(by=city, item=ci, name="消防设计审查意见", copies=2)
    assert material.form == "copy"
    with pytest.raises(ValidationFailed) as exc:
        services.catalogue_material_add(by=city, item=ci, name="消防设计审查意见")
    assert exc.value.message == "该事项已有同名材料"
    with pytest.raises(ValidationFailed) as exc:
        services.catalogue_material_add(by=city, item=ci, name="x", copies=0)
    _refused(exc, "份数至少为1（填写的是0）", "copies")
    services.catalogue_material_remove(by=city, material=material)
    assert not CatalogueMaterial.objects.filter(pk=material.pk).exists()


# --- the 全代办 service ---------------------------------------------------------------------------


def test_the_agency_flow_step_by_step(world, aw):
    city = world.user("city_office")
    project = world.project_b
    with pytest.raises(ValidationFailed) as exc:
        services.agency_step(by=city, project=project, step="commission", date=D(2021, 9, 1))
    _refused(exc, "该项目尚无全代办服务，须先“接待咨询”，不能直接“受理委托”", "step")
    services.agency_step(by=city, project=project, step="consult", date=D(2021, 9, 1))
    with pytest.raises(ValidationFailed) as exc:
        services.agency_step(by=city, project=project, step="commission", date=D(2021, 9, 2))
    assert exc.value.fields == {
        "extent": ["请选择代办范围（全部代办或部分代办）"],
        "agent": ["请选择代办员"],
        "county_lead": ["请填写县级领办人（省市县层面审批的事项由县级领导领办）"],
        "zone_lead": ["项目在开发区内，请填写开发区领办人（开发区审批中心的事项由其领办）"],
    }
    assert AgencyService.objects.get(project=project).status == "consulting"
    with pytest.raises(ValidationFailed) as exc:
        services.agency_step(
            by=city,
            project=project,
            step="commission",
            date=D(2021, 8, 30),
            extent="full",
            agent=world.user("agent"),
            county_lead="孝义市 孙副市长",
            zone_lead="孝义开发区 周主任",
        )
    _refused(exc, "受理委托日期（2021-08-30）早于上一环节“接待咨询”的日期（2021-09-01）", "date")
    services.agency_step(
        by=city,
        project=project,
        step="commission",
        date=D(2021, 9, 3),
        extent="full",
        agent=world.user("agent"),
        county_lead="孝义市 孙副市长",
        zone_lead="孝义开发区 周主任",
    )
    assert ProjectApproval.objects.get(pk=aw.item_b.pk).agent == world.user("agent")
    # Now commissioned, the agent reaches project B.
    agent = world.user("agent")
    services.agency_step(by=agent, project=project, step="handle", date=D(2021, 9, 6))
    services.agency_step(by=agent, project=project, step="end", date=D(2021, 11, 1))
    services.agency_step(by=agent, project=project, step="continue", date=D(2021, 11, 2))
    services.agency_step(by=agent, project=project, step="end", date=D(2021, 12, 1))
    with pytest.raises(PermissionDenied):
        services.agency_step(
            by=agent,
            project=project,
            step="evaluate",
            date=D(2021, 12, 2),
            satisfaction="satisfied",
        )
    service = AgencyService.objects.get(project=project)
    assert (service.status, service.continued_times) == ("ended", 1)
    assert [e.step for e in service.events.all()] == [
        "consult",
        "commission",
        "handle",
        "end",
        "continue",
        "end",
    ]
    assert AuditLog.objects.filter(object_type="approvals.agencyservice").count() == 6


def test_the_company_evaluates_its_own_service(world, aw):
    agent = world.user("agent")
    services.agency_step(by=agent, project=world.project_a, step="end", date=D(2021, 12, 1))
    enterprise = world.user("enterprise")
    with pytest.raises(ValidationFailed) as exc:
        services.agency_step(
            by=enterprise, project=world.project_a, step="evaluate", date=D(2021, 12, 3)
        )
    _refused(exc, "请选择满意度（满意、基本满意、不满意）", "satisfaction")
    service = services.agency_step(
        by=enterprise,
        project=world.project_a,
        step="evaluate",
        date=D(2021, 12, 3),
        satisfaction="satisfied",
        comment="代办员跑前跑后，35天拿到全部手续",
    )
    assert (service.status, service.satisfaction) == ("evaluated", "satisfied")
    with pytest.raises(NotFound):
        services.agency_step(
            by=world.user("county"), project=world.project_b, step="consult", date=D(2021, 9, 1)
        )


# --- 承诺制 -------------------------------------------------------------------------------------


def test_commitments_and_the_scan(world, aw):
    officer = world.user("department")
    with pytest.raises(ValidationFailed) as exc:
        services.commitment_create(by=officer, item=aw.item_a, content="补交", due_on=D(2021, 9, 1))
    _refused(exc, "承诺期限（2021-09-01）早于事项申请日期（2021-09-22）", "due_on")
    with pytest.raises(NotFound):
        services.commitment_create(
            by=officer, item=aw.item_b, content="补交", due_on=D(2021, 12, 1)
        )
    kept = services.commitment_create(
        by=officer, item=aw.item_a, content="竣工前完成排污许可", due_on=D(2022, 3, 31)
    )
    with pytest.raises(ValidationFailed) as exc:
        services.commitment_fulfil(by=officer, commitment=kept, fulfilled_on=D(2022, 4, 1))
    _refused(
        exc,
        "履行日期（2022-04-01）晚于承诺期限（2022-03-31）：逾期履行按未履行处理",
        "fulfilled_on",
    )
    services.commitment_fulfil(by=officer, commitment=kept, fulfilled_on=D(2022, 3, 30))

    city = world.user("city_office")
    assert services.commitments_scan(by=city, on=D(2021, 12, 31)) == []  # due today: not yet
    records = services.commitments_scan(by=city, on=D(2022, 1, 1))
    assert {r.enterprise for r in records} == {world.enterprise_a, world.enterprise_b}
    assert Commitment.objects.get(pk=aw.commitment_a.pk).status == "broken"
    assert Commitment.objects.get(pk=kept.pk).status == "fulfilled"
    record = CreditRecord.objects.get(commitment=aw.commitment_a)
    assert record.description == (
        "“甲新材料项目”的“建筑工程施工许可证核发”按承诺制办理，"
        "承诺“开工前补交施工图审查合格书”于2021-12-31前完成，逾期未履行"
    )
    count = AuditLog.objects.count()
    assert services.commitments_scan(by=city, on=D(2022, 6, 1)) == []  # idempotent
    assert AuditLog.objects.count() == count and CreditRecord.objects.count() == 2
    with pytest.raises(ValidationFailed) as exc:
        services.commitment_fulfil(
            by=officer, commitment=aw.commitment_a, fulfilled_on=D(2022, 1, 2)
        )
    _refused(exc, "该承诺已逾期未履行并记入企业信用记录，不能再登记为履行", "fulfilled_on")


def test_a_county_scan_turns_its_own_commitments_only(world, aw):
    records = services.commitments_scan(by=world.user("county"), on=D(2022, 1, 1))
    assert [r.enterprise for r in records] == [world.enterprise_a]
    with pytest.raises(PermissionDenied):
        services.commitments_scan(by=world.user("agent"), on=D(2022, 1, 1))


# --- the calendar's deadline source ---------------------------------------------------------


def test_a_calendar_edit_lists_the_open_items_it_would_move(world, aw):
    old = package_calendar()
    # 2021-09-27…29 made holidays: item A (accepted 09-24, 2 days) would move.
    new = WorkCalendar(
        exceptions={**old.exceptions, **{D(2021, 9, d): False for d in (27, 28, 29)}},
        covered_years=old.covered_years,
    )
    moved = moved_item_deadlines(old, new)
    assert [(m.label, m.before, m.after) for m in moved] == [
        ("甲新材料项目 · 建筑工程施工许可证核发", D(2021, 9, 27), D(2021, 9, 30))
    ]
    assert moved[0].url == f"/approvals/items/{aw.item_a.pk}/"
    assert moved_item_deadlines(old, old) == []
    # Registered with the calendar (apps.ready), so a calendar edit lists them.
    from sanpi.core.calendar import moved_deadlines

    assert moved[0] in moved_deadlines(old, new)
