"""Test-only: let a transactional test's closing flush through the audit log's triggers.

``TransactionTestCase`` (pytest-django's ``transactional_db`` and ``live_server``) ends
each test by emptying every table: DELETE on SQLite, TRUNCATE on PostgreSQL. The
append-only triggers of migrations ``core.0002``, ``0011`` and ``0012`` refuse both, as
they should in production. Around that flush only, the triggers are suspended and then put
back exactly as they were (on SQLite: dropped and created again from their own SQL in the
schema). Nothing outside the test suite uses this.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterable, Iterator

from django.db import connections

# The append-only tables of the audit log (core.models): the log, its chain, its archives.
TABLES = ("core_auditlog", "core_auditseal", "core_auditarchive", "core_auditpurge")


def _table_exists(connection) -> bool:
    with connection.cursor() as cursor:
        return "core_auditlog" in connection.introspection.table_names(cursor)


@contextlib.contextmanager
def audit_triggers_suspended(aliases: Iterable[str]) -> Iterator[None]:
    suspended: list[tuple[object, list[str], list[str]]] = []
    for alias in aliases:
        connection = connections[alias]
        if connection.vendor not in ("sqlite", "postgresql") or not _table_exists(connection):
            continue
        tables = [t for t in TABLES if t in connection.introspection.table_names()]
        created: list[str] = []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                marks = ", ".join(["%s"] * len(tables))
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master "
                    f"WHERE type = 'trigger' AND tbl_name IN ({marks}) ORDER BY name",
                    tables,
                )
                for name, sql in cursor.fetchall():
                    cursor.execute(f"DROP TRIGGER {name}")
                    created.append(sql)
        suspended.append((connection, tables, created))
    try:
        yield
    finally:
        for connection, tables, created in suspended:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    for table in tables:
                        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                else:
                    for sql in created:
                        cursor.execute(sql)


def reseed_reference_data(aliases: Iterable[str]) -> None:
    """The flush also empties the reference data that migrations seed (the 13 counties,
    the problems' default SLA policies, the approval presets, the city's indicators); put it back so the next test on this database
    finds it, as after `migrate`."""
    from django.apps import apps

    from sanpi.regions.models import County
    from sanpi.regions.rules import COUNTIES

    for alias in aliases:
        County.objects.using(alias).bulk_create(
            [County(code=code, name=name) for code, name in COUNTIES], ignore_conflicts=True
        )
    if "default" in aliases:
        importlib.import_module("sanpi.problems.migrations.0002_default_policies").seed(apps, None)
        # The approval presets (their tracks and catalogue) and the city's 34 indicators.
        from sanpi.approvals.models import Track

        if not Track.objects.exists():
            importlib.import_module("sanpi.approvals.migrations.0002_presets").load(apps, None)
        from sanpi.indicators.models import Indicator

        if not Indicator.objects.exists():
            importlib.import_module("sanpi.indicators.migrations.0002_seed").seed(apps, None)


def install_flush_patch() -> None:
    """Wrap TransactionTestCase's closing flush in `audit_triggers_suspended` (idempotent)."""
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown
    if getattr(original, "_sanpi_audit_patch", False):
        return

    def _fixture_teardown(self):
        aliases = self._databases_names(include_mirrors=False)
        with audit_triggers_suspended(aliases):
            original(self)
        reseed_reference_data(aliases)

    _fixture_teardown._sanpi_audit_patch = True  # type: ignore[attr-defined]
    TransactionTestCase._fixture_teardown = _fixture_teardown
