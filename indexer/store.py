"""Writes: bulk inserts that ignore duplicates, upserts, and the reorg rollback.

PostgreSQL gets ``INSERT ... ON CONFLICT`` sent as executemany (psycopg 3 pipelines it);
SQLite gets the same statement through ``sqlite3.executemany`` in batches. Both are idempotent,
so a range written twice (it cannot be, the checkpoint moves in the same transaction, but a
bug or a manual re-run must not double anything) changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Connection, Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from indexer.models import BLOCKS, CHILDREN, EVENT_ACCOUNTS, EVENTS

# SQLite: rows per executemany call, so one huge range does not build one huge list of params.
_SQLITE_BATCH = 5_000
_PG_BATCH = 10_000
# Below this, COPY's set-up costs more than it saves.
_COPY_MIN_ROWS = 200


def _insert(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return pg_insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite_insert(table)
    raise NotImplementedError(
        f"the indexer supports SQLite and PostgreSQL, not {conn.dialect.name}"
    )


def insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``; rows whose primary key exists are skipped.

    Args:
        conn: A connection inside the batch's transaction.
        table: The table.
        rows: Column values; every row has the same keys.
    """
    if not rows:
        return
    stmt = _insert(conn, table).on_conflict_do_nothing()
    size = _PG_BATCH if conn.dialect.name == "postgresql" else _SQLITE_BATCH
    for start in range(0, len(rows), size):
        conn.execute(stmt, rows[start : start + size])


def insert_new(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows the caller guarantees are not there yet; the fastest path per database.

    On PostgreSQL this is ``COPY ... FROM STDIN`` into the table (several times faster than any
    INSERT); elsewhere it is ``insert_ignore``. The engine calls it only for the rows of a range
    past the checkpoint, after deleting anything past the checkpoint in the same transaction,
    so the rows cannot exist and the write stays idempotent (the range is replaced, not added).

    Args:
        conn: A connection inside the batch's transaction.
        table: The table.
        rows: Column values.
    """
    if not rows:
        return
    if conn.dialect.name != "postgresql" or len(rows) < _COPY_MIN_ROWS:
        insert_ignore(conn, table, rows)
        return
    columns = [c for c in table.columns if c.name in rows[0]]
    json_columns = {c.name for c in columns if isinstance(c.type, JSON)}
    names = [c.name for c in columns]
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
        if json_columns:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[n]) if n in json_columns and row[n] is not None else row[n]
                        for n in names
                    ]
                )
        else:
            for row in rows:
                copy.write_row([row[n] for n in names])


def upsert(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: list[str],
    update: list[str],
) -> None:
    """Insert ``rows`` or, where the key exists, overwrite the ``update`` columns.

    Args:
        conn: A connection inside the batch's transaction.
        table: The table.
        rows: Column values.
        keys: The conflict target (primary key columns).
        update: Columns to overwrite on conflict.
    """
    if not rows:
        return
    stmt = _insert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={c: getattr(stmt.excluded, c) for c in update}
    )
    conn.execute(stmt, rows)


def rollback_after(
    conn: Connection,
    chain_id: int,
    block: int,
    event_tables: list[Table],
    reducers: dict[Table, list[Any]],
) -> tuple[int, int]:
    """Delete every row of ``chain_id`` past ``block``, undoing derived state first.

    Args:
        conn: A connection inside a transaction (with the checkpoint update).
        chain_id: The chain.
        block: The last block that stays (the fork point).
        event_tables: Domain tables keyed per log.
        reducers: Derived-state keepers per table, called with the deleted rows and ``-1``.

    Returns:
        ``(events deleted, of which undecoded)``.
    """
    for table in event_tables:
        where = (table.c.chain_id == chain_id, table.c.block_number > block)
        fns = reducers.get(table, [])
        if fns:
            rows = [dict(r._mapping) for r in conn.execute(select(table).where(*where))]
            for fn in fns:
                fn(conn, chain_id, rows, -1)
        conn.execute(delete(table).where(*where))
    events = EVENTS
    counts = conn.execute(
        select(func.count(), func.count().filter(events.c.event.is_(None))).where(
            events.c.chain_id == chain_id, events.c.block_number > block
        )
    ).one()
    conn.execute(delete(events).where(events.c.chain_id == chain_id, events.c.block_number > block))
    accounts = EVENT_ACCOUNTS
    conn.execute(
        delete(accounts).where(accounts.c.chain_id == chain_id, accounts.c.block_number > block)
    )
    blocks = BLOCKS
    conn.execute(delete(blocks).where(blocks.c.chain_id == chain_id, blocks.c.number > block))
    # Contracts created past the fork point are forgotten with their rows (the engine reloads
    # the children it follows after a rollback).
    children = CHILDREN
    conn.execute(
        delete(children).where(children.c.chain_id == chain_id, children.c.block_number > block)
    )
    return int(counts[0]), int(counts[1])


def wipe_chain(conn: Connection, chain_id: int, event_tables: list[Table]) -> None:
    """Delete every indexed row of ``chain_id`` (before a full re-index).

    Args:
        conn: A connection inside a transaction.
        chain_id: The chain.
        event_tables: Domain tables keyed per log and derived-state tables.
    """
    tables = [
        *event_tables,
        EVENTS,
        EVENT_ACCOUNTS,
        BLOCKS,
        CHILDREN,
    ]
    for table in tables:
        conn.execute(delete(table).where(table.c.chain_id == chain_id))
