"""The ledger search is served by an index on PostgreSQL (issue #7)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_trigram_indexes_serve_the_search():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s ORDER BY 1",
            ["%_trgm"],
        )
        found = dict(cursor.fetchall())
        assert set(found) == {
            "projects_project_code_trgm",
            "projects_project_name_trgm",
            "regions_enterprise_name_trgm",
            "assessment_unitresult_unit_trgm",  # assessment/tests/test_scoring.py
        }
        assert "gin_trgm_ops" in found["projects_project_name_trgm"]
        # With sequential and plain index scans off (on an empty table a whole b-tree is
        # as cheap as anything), the planner shows it can use the trigram index for the
        # very expression Django's icontains produces.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM projects_project WHERE UPPER(name::text) LIKE UPPER(%s)",
            ["%新材料%"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "projects_project_name_trgm" in plan, plan
