"""The planned completion date (计划竣工日期) the straight-line rule reads: entered on the
project form, refused before the project signed or started."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from sanpi.health.tests.factories import at_stage
from sanpi.projects.models import Project

D = dt.date


def _data(p: Project, **over) -> dict:
    data = {
        "name": p.name,
        "enterprise": p.enterprise_id,
        "county": p.county_id,
        "zone": p.zone_id,
        "industry": p.industry,
        "construction_kind": p.construction_kind,
        "total_investment_wan": "10000.00",
        "signed_date": "2025-12-01",
        "started_date": "2026-01-01",
    }
    return {**data, **over}


def test_the_planned_completion_date_on_the_project_form(world, login):
    p = at_stage(world.project_a)
    client = login(world.user("county"))
    url = reverse("projects:edit", kwargs={"pk": p.pk})
    html = client.get(url).content.decode()
    assert "计划竣工日期" in html and 'name="planned_completion_date"' in html
    # After the stage dates it follows.
    assert html.index('name="started_date"') < html.index('name="planned_completion_date"')

    response = client.post(url, _data(p, planned_completion_date="2025-12-31"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "计划竣工日期（2025-12-31）早于开工日期（2026-01-01）" in html
    assert Project.objects.get(pk=p.pk).planned_completion_date is None

    response = client.post(url, _data(p, planned_completion_date="2027-06-30"))
    assert response.status_code == 302
    assert Project.objects.get(pk=p.pk).planned_completion_date == D(2027, 6, 30)
    html = client.get(reverse("health:project", kwargs={"pk": p.pk})).content.decode()
    assert "2027-06-30" in html
