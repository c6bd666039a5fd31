"""Test data for approvals: departments, items, and the approvals of the shared `world`.

`approvals_world(world)` adds, once per world (memoized on it), the approval data the
walks and the app tests read:

* project A (county A, zone A): ``item_a`` (施工许可, zone A's 行政审批局: the department
  user's unit; accepted 2021-09-24, open, so overdue on any later day), ``item_a2``
  (用地, 离石区自然资源局: not the department user's), a 全代办 service handled by the
  agent user, a pending commitment on item_a;
* project B (county B, outside every local user's scope): ``item_b`` (施工许可, 孝义市
  行政审批服务管理局, applied 2021-09-22, not accepted), ``item_b_plan`` (not applied
  for) and a pending commitment.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import factory

from sanpi.approvals.models import (
    AgencyEvent,
    AgencyService,
    CatalogueItem,
    CatalogueMaterial,
    Commitment,
    ProjectApproval,
    Track,
)
from sanpi.approvals.presets import load_presets
from sanpi.regions.models import County, Department

D = dt.date


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"测试行政审批局{n}")
    kind = Department.Kind.APPROVAL
    level = Department.Level.COUNTY
    county = factory.LazyFunction(lambda: County.objects.get(code="141102"))


def catalogue_item(name: str, track: str = "full_agency") -> CatalogueItem:
    return CatalogueItem.objects.get(track__code=track, name=name)


def make_item(project, ci: CatalogueItem, department=None, **dates) -> ProjectApproval:
    item = ProjectApproval(
        project=project,
        catalogue_item=ci,
        statutory_days=ci.statutory_days,
        committed_days=ci.committed_days,
        department=department,
        **dates,
    )
    item.save()
    return item


PERMIT = "建筑工程施工许可证核发"
LAND_PERMIT = "建设用地规划许可证"


def ensure_presets() -> None:
    """The catalogue the data migration loads (a transactional test's flush empties it)."""
    if not Track.objects.exists():
        load_presets(Track, CatalogueItem, CatalogueMaterial)


def approvals_world(w) -> SimpleNamespace:
    if getattr(w, "approvals", None) is not None:
        return w.approvals
    ensure_presets()
    full = Track.objects.get(code="full_agency")
    low = Track.objects.get(code="low_risk")
    dept_nr_a = Department.objects.create(
        name="离石区自然资源局", kind="natural_resources", level="county", county=w.county_a
    )
    dept_b = Department.objects.create(
        name="孝义市行政审批服务管理局", kind="approval", level="county", county=w.county_b
    )
    item_a = make_item(
        w.project_a,
        catalogue_item(PERMIT),
        w.department_a,
        applied_on=D(2021, 9, 22),
        accepted_on=D(2021, 9, 24),
    )
    item_a2 = make_item(
        w.project_a, catalogue_item(LAND_PERMIT), dept_nr_a, applied_on=D(2021, 9, 22)
    )
    item_b = make_item(w.project_b, catalogue_item(PERMIT), dept_b, applied_on=D(2021, 9, 22))
    item_b_plan = make_item(w.project_b, catalogue_item("建设工程规划许可证"), dept_b)
    agent = w.user("agent")
    agency_a = AgencyService.objects.create(
        project=w.project_a,
        status="handling",
        extent="full",
        agent=agent,
        zone_lead="经开区管委会 赵副主任",
        county_lead="离石区 钱副区长",
        consulted_on=D(2021, 9, 1),
        commissioned_on=D(2021, 9, 3),
        handling_on=D(2021, 9, 6),
    )
    for step, day in (("consult", D(2021, 9, 1)), ("commission", D(2021, 9, 3))):
        AgencyEvent.objects.create(service=agency_a, step=step, date=day)
    AgencyEvent.objects.create(service=agency_a, step="handle", date=D(2021, 9, 6))
    ProjectApproval.objects.filter(project=w.project_a).update(agent=agent)
    commitment_a = Commitment.objects.create(
        item=item_a, content="开工前补交施工图审查合格书", due_on=D(2021, 12, 31)
    )
    commitment_b = Commitment.objects.create(
        item=item_b, content="三个月内补交环评批复", due_on=D(2021, 12, 31)
    )
    w.approvals = SimpleNamespace(
        full=full,
        low=low,
        permit=catalogue_item(PERMIT),
        dept_a=w.department_a,
        dept_nr_a=dept_nr_a,
        dept_b=dept_b,
        item_a=item_a,
        item_a2=item_a2,
        item_b=item_b,
        item_b_plan=item_b_plan,
        agency_a=agency_a,
        commitment_a=commitment_a,
        commitment_b=commitment_b,
    )
    return w.approvals


def approvals_state(w) -> tuple:
    """Everything an approvals write could have touched (for the scope walk)."""
    from sanpi.approvals.models import CreditRecord, LowRiskProfile

    approvals_world(w)
    return tuple(
        list(model.objects.order_by("pk").values())
        for model in (
            ProjectApproval,
            AgencyService,
            AgencyEvent,
            Commitment,
            CreditRecord,
            LowRiskProfile,
            CatalogueItem,
            CatalogueMaterial,
            Department,
        )
    )
