"""Triggers that note every change to the cockpit's source tables in cockpit_factchange,
whatever wrote it, so `cockpit.facts.refresh` knows what to rebuild.

* any write to projects → the stage cells (``stages``);
* a project moved to another county, zone or industry → the plan cells and the
  investment cells of every month it reported;
* a monthly report written → the investment cells of its month (old and new month);
* an annual plan written → the plan cells.

PostgreSQL notes once per statement (transition tables for the months), so a bulk COPY
of a million reports adds one row per month, not a million; SQLite, one row per row.
Nothing here takes a lock that another writer could wait on: the rows are appended.
"""

from django.db import migrations

CHANGE = "INSERT INTO cockpit_factchange (kind, year, month)"
MOVED = (
    "OLD.county_id IS NOT NEW.county_id OR OLD.zone_id IS NOT NEW.zone_id "
    "OR OLD.industry IS NOT NEW.industry"
)
MOVED_PG = MOVED.replace("IS NOT", "IS DISTINCT FROM")

SQLITE = [
    *(
        f"""CREATE TRIGGER cockpit_project_{event.lower()} AFTER {event} ON projects_project
            BEGIN {CHANGE} VALUES ('stages', NULL, NULL); END"""
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
    f"""CREATE TRIGGER cockpit_project_moved AFTER UPDATE ON projects_project WHEN {MOVED}
        BEGIN
          {CHANGE} VALUES ('plans', NULL, NULL);
          {CHANGE} SELECT DISTINCT 'investment', year, month FROM dispatch_monthlyreport
            WHERE project_id = NEW.id;
        END""",
    f"""CREATE TRIGGER cockpit_report_insert AFTER INSERT ON dispatch_monthlyreport
        BEGIN {CHANGE} VALUES ('investment', NEW.year, NEW.month); END""",
    f"""CREATE TRIGGER cockpit_report_update AFTER UPDATE ON dispatch_monthlyreport
        BEGIN
          {CHANGE} VALUES ('investment', NEW.year, NEW.month);
          {CHANGE} SELECT 'investment', OLD.year, OLD.month
            WHERE OLD.year <> NEW.year OR OLD.month <> NEW.month;
        END""",
    f"""CREATE TRIGGER cockpit_report_delete AFTER DELETE ON dispatch_monthlyreport
        BEGIN {CHANGE} VALUES ('investment', OLD.year, OLD.month); END""",
    *(
        f"""CREATE TRIGGER cockpit_plan_{event.lower()} AFTER {event} ON dispatch_annualplan
            BEGIN {CHANGE} VALUES ('plans', NULL, NULL); END"""
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS cockpit_{name}"
    for name in (
        "project_insert", "project_update", "project_delete", "project_moved",
        "report_insert", "report_update", "report_delete",
        "plan_insert", "plan_update", "plan_delete",
    )
]  # fmt: skip

POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION cockpit_note_stages() RETURNS trigger AS $$
        BEGIN {CHANGE} VALUES ('stages', NULL, NULL); RETURN NULL; END; $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION cockpit_note_plans() RETURNS trigger AS $$
        BEGIN {CHANGE} VALUES ('plans', NULL, NULL); RETURN NULL; END; $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION cockpit_note_moved() RETURNS trigger AS $$
        BEGIN
          {CHANGE} VALUES ('plans', NULL, NULL);
          {CHANGE} SELECT DISTINCT 'investment', year, month FROM dispatch_monthlyreport
            WHERE project_id = NEW.id;
          RETURN NULL;
        END; $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION cockpit_note_new_months() RETURNS trigger AS $$
        BEGIN {CHANGE} SELECT DISTINCT 'investment', year, month FROM new_rows;
        RETURN NULL; END; $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION cockpit_note_old_months() RETURNS trigger AS $$
        BEGIN {CHANGE} SELECT DISTINCT 'investment', year, month FROM old_rows;
        RETURN NULL; END; $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION cockpit_note_both_months() RETURNS trigger AS $$
        BEGIN {CHANGE} SELECT 'investment', year, month FROM new_rows
          UNION SELECT 'investment', year, month FROM old_rows;
        RETURN NULL; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER cockpit_project_changed AFTER INSERT OR UPDATE OR DELETE
       ON projects_project FOR EACH STATEMENT EXECUTE FUNCTION cockpit_note_stages()""",
    f"""CREATE TRIGGER cockpit_project_moved AFTER UPDATE ON projects_project
       FOR EACH ROW WHEN ({MOVED_PG}) EXECUTE FUNCTION cockpit_note_moved()""",
    """CREATE TRIGGER cockpit_report_insert AFTER INSERT ON dispatch_monthlyreport
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION cockpit_note_new_months()""",
    """CREATE TRIGGER cockpit_report_update AFTER UPDATE ON dispatch_monthlyreport
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION cockpit_note_both_months()""",
    """CREATE TRIGGER cockpit_report_delete AFTER DELETE ON dispatch_monthlyreport
       REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION cockpit_note_old_months()""",
    """CREATE TRIGGER cockpit_plan_changed AFTER INSERT OR UPDATE OR DELETE
       ON dispatch_annualplan FOR EACH STATEMENT EXECUTE FUNCTION cockpit_note_plans()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS cockpit_project_changed ON projects_project",
    "DROP TRIGGER IF EXISTS cockpit_project_moved ON projects_project",
    "DROP TRIGGER IF EXISTS cockpit_report_insert ON dispatch_monthlyreport",
    "DROP TRIGGER IF EXISTS cockpit_report_update ON dispatch_monthlyreport",
    "DROP TRIGGER IF EXISTS cockpit_report_delete ON dispatch_monthlyreport",
    "DROP TRIGGER IF EXISTS cockpit_plan_changed ON dispatch_annualplan",
    *(
        f"DROP FUNCTION IF EXISTS cockpit_note_{name}()"
        for name in ("stages", "plans", "moved", "new_months", "old_months", "both_months")
    ),
]
# Everything to build at the first refresh.
SEED = [f"{CHANGE} VALUES ('stages', NULL, NULL), ('plans', NULL, NULL)"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


def _seed_months(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cockpit_factchange (kind, year, month) "
            "SELECT DISTINCT 'investment', year, month FROM dispatch_monthlyreport"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cockpit", "0001_facts"),
        ("projects", "0008_project_version"),
        ("dispatch", "0002_report_photo"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
        migrations.RunPython(
            _run({"sqlite": SEED, "postgresql": SEED}), migrations.RunPython.noop
        ),
        migrations.RunPython(_seed_months, migrations.RunPython.noop),
    ]
