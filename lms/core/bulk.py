"""Bulk INSERTs for what an import writes, through the session's connection (same transaction).

The ORM's bulk insert spends most of its time per row in Python (about 60 µs a row here); a roster import
writes four rows per line of the file (person, membership, their audit rows). Here: ``COPY`` on PostgreSQL
(psycopg re-parses a long multi-row statement on every execution, which cost more than the insert itself),
multi-row ``VALUES`` statements of a few hundred rows on SQLite. Values are converted by the columns' own
types, so what is stored is what the ORM would store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON

from ..extensions import db
from . import cache
from .web import mark_written

#: Bound values per statement (SQLite allows 32,766, PostgreSQL 65,535).
MAX_PARAMS = 20_000
MAX_ROWS = 500


def insert_rows(model, rows: Sequence[dict[str, Any]], returning_ids: bool = False) -> list[int] | None:
    """Insert ``rows`` (dicts with the same keys, column names of ``model``); with ``returning_ids``, the new ids
    in the order of the rows.

    Ids: PostgreSQL hands them out from the table's sequence in one statement; SQLite returns no reliable
    order from a multi-row ``RETURNING``, but it has one writer at a time: the first row is inserted alone,
    which takes the write lock, and the others get the ids that follow it.
    """
    if not rows:
        return [] if returning_ids else None
    table = model.__table__
    conn = db.session.connection()
    # COPY and exec_driver_sql go around the cache's statement hook and the session's events: the caches that read
    # this table, and the request's transaction, must hear of it
    cache.wrote(table)
    mark_written(db.session)
    dialect = conn.dialect
    columns = list(rows[0])
    ids: list[int] | None = None
    if returning_ids:
        if dialect.name == "postgresql":
            ids = list(
                conn.exec_driver_sql(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", (table.name, len(rows))
                ).scalars()
            )
        else:
            first = _insert(conn, table, columns, rows[:1], returning=True)
            ids = list(range(first, first + len(rows)))
            rows = rows[1:]
        columns = ["id", *columns]
        rows = [{"id": i, **row} for i, row in zip(ids[len(ids) - len(rows):], rows, strict=True)]
    if rows:
        _insert(conn, table, columns, rows)
    return ids


def _insert(conn, table, columns: list[str], rows: Sequence[dict[str, Any]], returning: bool = False):
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    casts, processors = [], []
    for name in columns:
        type_ = table.c[name].type
        # JSON arrives as text: PostgreSQL must be told it is json
        casts.append(f"{mark}::json" if dialect.name == "postgresql" and isinstance(type_, JSON) else mark)
        processors.append(type_.dialect_impl(dialect).bind_processor(dialect))
    pairs = list(zip(columns, processors, strict=True))
    if dialect.name == "postgresql" and not returning:
        raw = conn.connection.driver_connection
        names = ", ".join(quote(c) for c in columns)
        with raw.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([process(row[n]) if process is not None and row[n] is not None else row[n] for n, process in pairs])
        return None
    one = "(" + ", ".join(casts) + ")"
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "  # noqa: S608 (names from the model, quoted; values bound)
    per = max(1, min(MAX_ROWS, MAX_PARAMS // len(columns)))
    for start in range(0, len(rows), per):
        batch = rows[start : start + per]
        params: list[Any] = []
        for row in batch:
            for name, process in pairs:
                value = row[name]
                params.append(process(value) if process is not None and value is not None else value)
        sql = head + ", ".join([one] * len(batch))
        if returning:
            return conn.exec_driver_sql(sql + " RETURNING id", tuple(params)).scalar_one()
        conn.exec_driver_sql(sql, tuple(params))
    return None
