"""The ledger export streams (`sanpi.projects.ledger_export`): projects are read in chunks
through the scoped selector, one query for the activity entries of each chunk, and the
activities referenced anywhere in the stream make the second sheet."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from sanpi.accounts.actors import cli_actor
from sanpi.core.models import AuditLog
from sanpi.projects import ledger_export as module
from sanpi.projects import services
from sanpi.projects.ledger_export import ledger_export
from sanpi.projects.models import ActivityEntry
from sanpi.projects.tests.factories import ActivityFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _sheets(data: bytes) -> dict[str, list[tuple]]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: list(ws.iter_rows(min_row=2, values_only=True)) for ws in wb.worksheets}


def _entries_queries(ctx: CaptureQueriesContext) -> int:
    table = ActivityEntry._meta.db_table
    return sum(1 for q in ctx.captured_queries if f'FROM "{table}"' in q["sql"])


def test_projects_stream_in_chunks_with_one_entries_query_per_chunk(world, monkeypatch):
    monkeypatch.setattr(module, "CHUNK_SIZE", 3)
    early = ActivityFactory(year=2020, sequence=1)
    for i in range(7):  # 9 projects: chunks of 3, 3 and 3
        ProjectFactory(name=f"丙项目{i}", county=world.county_b, zone=world.zone_b)
    actor = cli_actor()
    services.activity_add_project(
        by=actor, activity=world.activity, project=world.project_a, action="sign",
        sign_mode="onsite",
    )  # fmt: skip
    # A project in the last chunk (孝义市 sorts after 离石区) references another activity.
    last = ProjectFactory(name="丁项目", county=world.county_b)
    services.activity_add_project(
        by=actor, activity=early, project=last, action="sign", sign_mode="sync"
    )

    with CaptureQueriesContext(connection) as ctx:
        export = ledger_export(by=world.user("city_office"))
    assert export.count == 10
    assert _entries_queries(ctx) == 4  # ceil(10 / 3)
    sheets = _sheets(export.data)
    assert len(sheets["项目台账"]) == 10
    assert [r[:2] for r in sheets["三个一批活动"]] == [(2020, 1), (2021, 4)]
    log = AuditLog.objects.get(action="export")
    assert log.after == {"filters": {}, "count": 10}


def test_query_count_does_not_grow_with_the_ledger(world, django_assert_max_num_queries):
    city = world.user("city_office")
    # The projects, their entries, the audit row (in a savepoint under the test's
    # transaction): 5 queries, whatever the number of projects up to CHUNK_SIZE.
    with django_assert_max_num_queries(5), CaptureQueriesContext(connection) as few:
        ledger_export(by=city)
    actor = cli_actor()
    for i in range(30):
        p = ProjectFactory(name=f"更多项目{i}", county=world.county_b, zone=world.zone_b)
        if i % 3 == 0:
            services.activity_add_project(
                by=actor, activity=world.activity, project=p, action="sign", sign_mode="sync"
            )
    with CaptureQueriesContext(connection) as many:
        assert ledger_export(by=city).count == 32
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_selector_still_restricts_the_stream(world):
    """The county officer's export streams only their county's projects."""
    for i in range(3):
        ProjectFactory(name=f"孝义项目{i}", county=world.county_b, zone=world.zone_b)
    sheets = _sheets(ledger_export(by=world.user("county")).data)
    assert [r[1] for r in sheets["项目台账"]] == ["甲新材料项目"]
    assert sheets["三个一批活动"] == []
