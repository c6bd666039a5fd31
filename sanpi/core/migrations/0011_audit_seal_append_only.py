from django.db import migrations

# The chain's seals are append-only like the log itself (migration 0002): the same
# refusal for UPDATE and DELETE (and TRUNCATE on PostgreSQL).
SQLITE = [
    """CREATE TRIGGER core_auditseal_no_update BEFORE UPDATE ON core_auditseal
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    """CREATE TRIGGER core_auditseal_no_delete BEFORE DELETE ON core_auditseal
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS core_auditseal_no_update",
    "DROP TRIGGER IF EXISTS core_auditseal_no_delete",
]
POSTGRES = [
    """CREATE TRIGGER core_auditseal_no_update BEFORE UPDATE OR DELETE ON core_auditseal
       FOR EACH ROW EXECUTE FUNCTION core_auditlog_append_only()""",
    """CREATE TRIGGER core_auditseal_no_truncate BEFORE TRUNCATE ON core_auditseal
       FOR EACH STATEMENT EXECUTE FUNCTION core_auditlog_append_only()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS core_auditseal_no_update ON core_auditseal",
    "DROP TRIGGER IF EXISTS core_auditseal_no_truncate ON core_auditseal",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0010_audit_seal")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
