from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from sanpi.projects.models import Activity, ConstructionKind, Industry, Project
from sanpi.regions.models import County
from sanpi.regions.tests.factories import EnterpriseFactory


class ProjectFactory(factory.django.DjangoModelFactory):
    """A reserve project. For later stages pass stage= and the dates it needs."""

    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"测试项目{n}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    county = factory.LazyFunction(lambda: County.objects.get(code="141102"))
    industry = Industry.NEW_MATERIAL
    construction_kind = ConstructionKind.NEW
    total_investment_wan = Decimal("10000.00")
    planned_output_wan = Decimal("20000.00")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    year = 2021
    sequence = factory.Sequence(lambda n: n + 1)
    date = factory.LazyAttribute(lambda o: dt.date(o.year, 3, 22))
    level = Activity.Level.PROVINCE
    venue = "兴县"
