"""`sanpi.core.bulk` stores exactly what `save()` would, on either database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sanpi.core.bulk import bulk_insert, bulk_update
from sanpi.core.models import AuditLog
from sanpi.projects.models import Project, ProjectEvent
from sanpi.regions.models import County, Enterprise
from sanpi.regions.tests.factories import make_credit_code

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_rows_come_back_as_saved_with_their_new_keys():
    county = County.objects.get(code="141102")
    enterprises = [
        Enterprise(
            name=f"山西批量{i}有限公司", credit_code=make_credit_code(90_000 + i), county=county
        )
        for i in range(3)
    ]
    bulk_insert(Enterprise, enterprises)
    assert all(e.pk for e in enterprises) and not enterprises[0]._state.adding
    projects = [
        Project(
            name=f"批量项目{i}",
            enterprise_id=e.pk,
            county=county,
            industry="new_tech",
            construction_kind="new",
            total_investment_wan=Decimal("12345678.91"),
            planned_output_wan=None if i else Decimal("0.10"),
            stage="signed",
            signed_date=dt.date(2021, 3, 22),
            is_city_key=bool(i),
        )
        for i, e in enumerate(enterprises)
    ]
    bulk_insert(Project, projects)
    for project in projects:
        stored = Project.objects.get(pk=project.pk)
        assert _fields(stored) == _fields(project)
        assert stored.created_at is not None and stored.created_at.tzinfo is not None
    # The key sequence moved on: an ordinary save gets a fresh key.
    later = Project.objects.create(
        name="之后的项目", enterprise=enterprises[0], county=county, industry="new_tech",
        construction_kind="new", total_investment_wan=Decimal(1),
    )  # fmt: skip
    assert later.pk > max(p.pk for p in projects)


def test_without_keys_and_json():
    county = County.objects.get(code="141102")
    enterprise = Enterprise.objects.create(
        name="山西单个有限公司", credit_code=make_credit_code(90_100), county=county
    )
    project = Project.objects.create(
        name="事件项目", enterprise=enterprise, county=county, industry="new_tech",
        construction_kind="new", total_investment_wan=Decimal(1),
    )  # fmt: skip
    events = [
        ProjectEvent(project=project, kind="stage", value="signed", date=dt.date(2021, 1, d))
        for d in (1, 2)
    ]
    bulk_insert(ProjectEvent, events, returning=False)
    assert list(project.events.values_list("date", flat=True)) == [
        dt.date(2021, 1, 1),
        dt.date(2021, 1, 2),
    ]
    logs = [
        AuditLog(username="批量", source="cli", action="create", after={"金额": "0.10", "n": [1]}),
        AuditLog(username="批量", source="cli", action="update", ip="10.0.0.1"),
    ]
    bulk_insert(AuditLog, logs, returning=False)
    stored = list(AuditLog.objects.filter(username="批量").order_by("id"))
    assert [(log.after, log.ip) for log in stored] == [
        ({"金额": "0.10", "n": [1]}, None),
        (None, "10.0.0.1"),
    ]
    assert all(log.at is not None for log in stored)


def test_bulk_update_writes_only_the_named_fields():
    county, other = County.objects.get(code="141102"), County.objects.get(code="141181")
    enterprise = Enterprise.objects.create(
        name="山西更新有限公司", credit_code=make_credit_code(90_200), county=county
    )
    projects = [
        Project.objects.create(
            name=f"更新项目{i}",
            enterprise=enterprise,
            county=county,
            industry="new_tech",
            construction_kind="new",
            total_investment_wan=Decimal(i + 1),
            planned_output_wan=Decimal("5.00"),
        )  # fmt: skip
        for i in range(3)
    ]
    for i, project in enumerate(projects):
        project.total_investment_wan = Decimal("0.01") * (i + 1)
        project.planned_output_wan = None
        project.county = other
        project.name = "不写这个字段"
    bulk_update(Project, projects[:2], ["total_investment_wan", "planned_output_wan", "county"])
    stored = {p.pk: p for p in Project.objects.filter(enterprise=enterprise)}
    assert [
        (stored[p.pk].total_investment_wan, stored[p.pk].planned_output_wan, stored[p.pk].county_id)
        for p in projects
    ] == [
        (Decimal("0.01"), None, other.pk),
        (Decimal("0.02"), None, other.pk),
        (Decimal("3.00"), Decimal("5.00"), county.pk),
    ]
    assert {p.name for p in stored.values()} == {"更新项目0", "更新项目1", "更新项目2"}


def test_a_unique_violation_is_djangos_integrity_error_on_either_database():
    """Two imports racing make the second one's COPY hit a unique index: the caller sees
    Django's IntegrityError (answered as a conflict), never the driver's own exception."""
    from django.db import IntegrityError, transaction

    county = County.objects.get(code="141102")
    code = make_credit_code(91_000)
    Enterprise.objects.create(name="山西先到有限公司", credit_code=code, county=county)
    twin = Enterprise(name="山西后到有限公司", credit_code=code, county=county)
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(Enterprise, [twin])
