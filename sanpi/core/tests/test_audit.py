"""The audit log is append-only in the database itself, and `sanpi audit verify` says so."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from sanpi.core import audit
from sanpi.core.audit import audit_context
from sanpi.core.models import AuditLog


def _row() -> AuditLog:
    with audit_context("cli"):
        return audit.record(user=None, username="tester", action="security", message="原始记录")


def _fire_deferred_constraints() -> None:
    """PostgreSQL refuses TRUNCATE and ALTER TABLE on a table with deferred FK checks
    pending in the test's transaction; run them now."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _raw(sql: str, params: list | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.mark.django_db
class TestAppendOnlyTriggers:
    def test_raw_update_fails(self):
        row = _row()
        with pytest.raises(DatabaseError, match="append-only"):
            _raw("UPDATE core_auditlog SET message = %s WHERE id = %s", ["篡改", row.pk])
        row.refresh_from_db()
        assert row.message == "原始记录"

    def test_raw_delete_fails(self):
        row = _row()
        with pytest.raises(DatabaseError, match="append-only"):
            _raw("DELETE FROM core_auditlog WHERE id = %s", [row.pk])
        assert AuditLog.objects.filter(pk=row.pk).exists()

    def test_queryset_update_and_delete_fail(self):
        """The ORM's bulk paths skip the model's save()/delete() guards; the triggers don't."""
        row = _row()
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditLog.objects.filter(pk=row.pk).update(message="篡改")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditLog.objects.filter(pk=row.pk).delete()
        assert AuditLog.objects.get(pk=row.pk).message == "原始记录"

    def test_truncate_fails_on_postgresql(self):
        if connection.vendor != "postgresql":
            pytest.skip("TRUNCATE exists on PostgreSQL only")
        _row()
        _fire_deferred_constraints()
        with pytest.raises(DatabaseError, match="append-only"):
            _raw("TRUNCATE core_auditlog CASCADE")  # with the chain's seals that refer to it
        assert AuditLog.objects.count() == 1

    def test_model_refuses_too(self):
        row = _row()
        with pytest.raises(RuntimeError):
            row.save()
        with pytest.raises(RuntimeError):
            row.delete()


def _verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def _drop_update_guard() -> None:
    """Remove the UPDATE guard, as a careless DBA might (rolled back with the test)."""
    _fire_deferred_constraints()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditlog DISABLE TRIGGER core_auditlog_no_update")
        else:
            cursor.execute("DROP TRIGGER core_auditlog_no_update")


@pytest.mark.django_db
class TestAuditVerify:
    def test_passes_and_counts_rows(self):
        for _ in range(3):
            _row()
        out = _verify()
        assert f"数据库：{connection.vendor}" in out
        assert "审计记录：3 条" in out
        assert "已安装并生效" in out
        assert "实测修改与删除均被拒绝" in out

    def test_passes_on_an_empty_log(self):
        assert "审计记录：0 条" in _verify()

    def test_probe_leaves_the_rows_untouched(self):
        row = _row()
        _verify()
        assert AuditLog.objects.get(pk=row.pk).message == "原始记录"

    def test_missing_trigger_fails_with_exit_1(self):
        _row()
        _drop_update_guard()
        with pytest.raises(CommandError) as exc:
            _verify()
        assert exc.value.returncode == 1
        assert "UPDATE" in str(exc.value)
        assert "UPDATE 审计记录未被拒绝" in str(exc.value)

    def test_missing_trigger_is_found_on_an_empty_log_too(self):
        _drop_update_guard()
        with pytest.raises(CommandError, match="UPDATE"):
            _verify()
