"""Writing many rows fast, for imports. No domain knowledge.

`bulk_insert` and `bulk_update` do what `QuerySet.bulk_create` and `bulk_update` do,
without the per-value SQL compilation (and, for updates, the ever-growing ``CASE
WHEN``) that dominate their cost on tens of thousands of rows (see bench/). Values
are prepared exactly as Django prepares them; PostgreSQL gets them through ``COPY``,
SQLite through multi-row INSERT … RETURNING or ``executemany``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

# Field classes whose Python values (str, bool, int, None) go to every driver unchanged:
# for them Field.get_db_prep_save is the identity, so it is skipped.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)
_INT_KEYS = (models.AutoField, models.BigAutoField, models.IntegerField, models.BigIntegerField)


def _value_getter(field: models.Field) -> Callable[[models.Model], object]:
    if type(field).pre_save is models.Field.pre_save:
        attname = field.attname
        return lambda obj: getattr(obj, attname)
    return lambda obj: field.pre_save(obj, True)  # auto_now(_add) and the like


def _db_prep(field: models.Field, connection) -> Callable[[object], object] | None:
    if type(field) in _PLAIN_FIELDS:
        return None
    if type(field) is models.ForeignKey and type(field.target_field) in _INT_KEYS:
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _rows(fields, objs, connection) -> list[list]:
    plan = [(_value_getter(f), _db_prep(f, connection)) for f in fields]
    return [[get(o) if prep is None else prep(get(o)) for get, prep in plan] for o in objs]


def _copy_cursor(cursor):
    """The driver's cursor if it can COPY (psycopg 3), else None."""
    raw = getattr(cursor, "cursor", None)
    return raw if raw is not None and hasattr(raw, "copy") else None


def bulk_insert(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    returning: bool = True,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Insert new rows of one model: `QuerySet.bulk_create`, several times faster.

    Values are prepared for the database exactly as Django does (``pre_save`` and
    ``get_db_prep_save`` of each field, skipped only where they are the identity).
    With ``returning`` the new primary keys are set on the objects. On PostgreSQL the
    keys are drawn from the table's sequence first and the rows go through ``COPY``;
    elsewhere they go as multi-row INSERT … RETURNING (as bulk_create does), or through
    ``executemany`` when no keys are wanted. Like bulk_create: no ``save()``, no signals;
    foreign keys must already carry their ids.
    """
    if not objs:
        return
    connection = connections[using]
    meta = model._meta
    pk = meta.pk
    auto_pk = bool(getattr(pk, "db_returning", False))
    want_ids = returning and auto_pk
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        copier = _copy_cursor(cursor) if connection.vendor == "postgresql" else None
        if copier is not None:
            if want_ids:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, pk.column, len(objs)],
                )
                for obj, (key,) in zip(objs, cursor.fetchall(), strict=True):
                    setattr(obj, pk.attname, key)
            fields = [
                f
                for f in meta.local_concrete_fields
                if not (f.primary_key and auto_pk and not want_ids)
            ]
            columns = ", ".join(quote(f.column) for f in fields)
            # The driver's own cursor: its errors (a unique violation when two imports
            # race) are turned into Django's (IntegrityError) as Django's cursor does.
            copy_sql = f"COPY {table} ({columns}) FROM STDIN"
            with connection.wrap_database_errors, copier.copy(copy_sql) as copy:
                for row in _rows(fields, objs, connection):
                    copy.write_row(row)
        else:
            if want_ids and not connection.features.can_return_rows_from_bulk_insert:
                model._base_manager.using(using).bulk_create(objs)
                return
            fields = [f for f in meta.local_concrete_fields if not (f.primary_key and auto_pk)]
            rows = _rows(fields, objs, connection)
            head = f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)})"
            one = "(" + ", ".join(["%s"] * len(fields)) + ")"
            if want_ids:
                limit = connection.features.max_query_params
                size = max(1, min(1000, limit // len(fields))) if limit else 1000
                for start in range(0, len(rows), size):
                    chunk = rows[start : start + size]
                    cursor.execute(
                        f"{head} VALUES {', '.join([one] * len(chunk))} RETURNING {quote(pk.column)}",
                        [value for row in chunk for value in row],
                    )
                    for obj, (key,) in zip(
                        objs[start : start + size], cursor.fetchall(), strict=True
                    ):
                        setattr(obj, pk.attname, key)
            else:
                cursor.executemany(f"{head} VALUES {one}", rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def bulk_update(
    model: type[models.Model],
    objs: Sequence[models.Model],
    field_names: Sequence[str],
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Write ``field_names`` of existing rows: `QuerySet.bulk_update` without its
    ``CASE WHEN`` statements, which grow with every row and field.

    On PostgreSQL the values go through ``COPY`` into a temporary table and one
    ``UPDATE … FROM`` joins it on the key; elsewhere ``UPDATE … WHERE pk = %s`` runs
    once per row through ``executemany``. Values are prepared as Django prepares them;
    ``pre_save`` is not called (set ``auto_now`` fields yourself, as for bulk_update).
    Call inside a transaction.
    """
    if not objs:
        return
    connection = connections[using]
    meta = model._meta
    pk = meta.pk
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    preps = [(f.attname, _db_prep(f, connection)) for f in [*fields, pk]]
    rows = [
        [getattr(o, a) if prep is None else prep(getattr(o, a)) for a, prep in preps] for o in objs
    ]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        copier = _copy_cursor(cursor) if connection.vendor == "postgresql" else None
        if copier is not None:
            temp = quote(f"_bulk_{meta.db_table}")
            columns = ", ".join(quote(f.column) for f in [*fields, pk])
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            copy_sql = f"COPY {temp} ({columns}) FROM STDIN"
            with connection.wrap_database_errors, copier.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
            assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM {temp} v "
                f"WHERE {table}.{quote(pk.column)} = v.{quote(pk.column)}"
            )
            cursor.execute(f"DROP TABLE {temp}")
        else:
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {quote(pk.column)} = %s", rows
            )
