"""Test-only: let a transactional test's closing flush through the audit log's triggers.

``TransactionTestCase`` (pytest-django's ``transactional_db`` and ``live_server``) ends
each test by emptying every table: DELETE on SQLite, TRUNCATE on PostgreSQL. The
append-only triggers of migration ``core.0002`` refuse both, as they should in
production. Around that flush only, the triggers are suspended and then put back
exactly as the migration defines them. Nothing outside the test suite uses this.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterable, Iterator

from django.db import connections

_MIGRATION = importlib.import_module("sanpi.core.migrations.0002_audit_append_only")
_SEALS = importlib.import_module("sanpi.core.migrations.0011_audit_seal_append_only")


def _table_exists(connection) -> bool:
    with connection.cursor() as cursor:
        return "core_auditlog" in connection.introspection.table_names(cursor)


@contextlib.contextmanager
def audit_triggers_suspended(aliases: Iterable[str]) -> Iterator[None]:
    suspended = []
    for alias in aliases:
        connection = connections[alias]
        if connection.vendor not in ("sqlite", "postgresql") or not _table_exists(connection):
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE core_auditlog DISABLE TRIGGER USER")
                cursor.execute("ALTER TABLE core_auditseal DISABLE TRIGGER USER")
            else:
                for statement in [*_MIGRATION.SQLITE_REVERSE, *_SEALS.SQLITE_REVERSE]:
                    cursor.execute(statement)
        suspended.append(connection)
    try:
        yield
    finally:
        for connection in suspended:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("ALTER TABLE core_auditlog ENABLE TRIGGER USER")
                    cursor.execute("ALTER TABLE core_auditseal ENABLE TRIGGER USER")
                else:
                    for statement in [*_MIGRATION.SQLITE, *_SEALS.SQLITE]:
                        cursor.execute(statement)


def reseed_reference_data(aliases: Iterable[str]) -> None:
    """The flush also empties the reference data that migrations seed (the 13 counties,
    the problems' default SLA policies); put it back so the next test on this database
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
