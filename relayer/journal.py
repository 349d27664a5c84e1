"""SQL side of the relayer: one transaction per sequencer step, and the reads a restart needs.

The sequencer collects everything one step produced (new orders with their final status, fills,
order updates, cancels) in a :class:`JournalTx` and commits it at once; only then are the
orders acknowledged and the fills published. A crash before the commit loses nothing that was
acknowledged; a crash after it is recovered by replaying the journal (see ``service.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from relayer.models import (
    FILL_PENDING,
    FILL_SUBMITTED,
    ORDER_CANCELLED,
    ORDER_EXPIRED,
    ORDER_OPEN,
    ORDER_REJECTED,
    EngineSnapshot,
    RelayerCancel,
    RelayerFill,
    RelayerOrder,
)

PENDING_FILL_STATUSES = (FILL_PENDING, FILL_SUBMITTED)


@dataclass
class JournalTx:
    """What one sequencer step writes, in one database transaction."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    fills: list[dict[str, Any]] = field(default_factory=list)
    cancels: list[dict[str, Any]] = field(default_factory=list)
    #: order_hash -> (matched_lots, status) for orders already in the journal
    updates: dict[str, tuple[int, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.orders or self.fills or self.cancels or self.updates)


_ORDERS = cast(Table, RelayerOrder.__table__)
_FILLS = cast(Table, RelayerFill.__table__)
_CANCELS = cast(Table, RelayerCancel.__table__)
# Built once: the commit runs for every sequencer step.
_INSERT_ORDERS = insert(_ORDERS)
_INSERT_FILLS = insert(_FILLS)
_INSERT_CANCELS = insert(_CANCELS)
# A status set elsewhere (the settlement worker's ``rejected``) is kept.
_UPDATE_ORDERS = (
    update(_ORDERS)
    .where(_ORDERS.c.order_hash == bindparam("hash"))
    .values(
        matched_lots=bindparam("matched"),
        status=case(
            (_ORDERS.c.status == ORDER_OPEN, bindparam("new_status")),
            else_=_ORDERS.c.status,
        ),
        updated_at=func.now(),
    )
)


class Journal:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        bind = factory.kw.get("bind")
        if not isinstance(bind, Engine):
            raise TypeError("the journal needs a sessionmaker bound to an Engine")
        #: The sequencer's commit and intake's duplicate lookup use SQLAlchemy Core on the
        #: engine: an ORM Session and its bulk-insert bookkeeping cost more than the SQL.
        self.engine = bind

    # ---------------------------------------------------------------------------------- write

    def write(self, tx: JournalTx) -> None:
        """Commit ``tx`` atomically (orders first: fills and cancels reference them)."""
        with self.engine.begin() as connection:
            if tx.orders:
                connection.execute(_INSERT_ORDERS, tx.orders)
            if tx.updates:
                connection.execute(
                    _UPDATE_ORDERS,
                    [
                        {"hash": h, "matched": matched, "new_status": status}
                        for h, (matched, status) in tx.updates.items()
                    ],
                )
            if tx.fills:
                connection.execute(_INSERT_FILLS, tx.fills)
            if tx.cancels:
                connection.execute(_INSERT_CANCELS, tx.cancels)

    def save_snapshot(self, market_id: int, seq: int, blob: bytes, keep: int) -> None:
        """Store a snapshot and drop all but the newest ``keep`` of the market."""
        with self.factory() as session, session.begin():
            session.add(
                EngineSnapshot(
                    market_id=market_id, seq=seq, blob=blob, created_at=datetime.now(UTC)
                )
            )
            session.flush()
            stale = (
                select(EngineSnapshot.id)
                .where(EngineSnapshot.market_id == market_id)
                .order_by(EngineSnapshot.seq.desc(), EngineSnapshot.id.desc())
                .offset(keep)
            )
            ids = list(session.scalars(stale))
            if ids:
                session.execute(delete(EngineSnapshot).where(EngineSnapshot.id.in_(ids)))

    # ----------------------------------------------------------------------------------- read

    def existing_hashes(self, hashes: list[str]) -> set[str]:
        if not hashes:
            return set()
        found: set[str] = set()
        with self.engine.connect() as connection:
            for chunk in _chunks(hashes, 1_000):
                found.update(
                    connection.scalars(
                        select(_ORDERS.c.order_hash).where(_ORDERS.c.order_hash.in_(chunk))
                    )
                )
        return found

    def order_hashes(self) -> Iterator[str]:
        """Every journaled order hash, streamed (for the intake's :class:`OrderHashFilter`)."""
        with self.engine.connect() as connection:
            rows = connection.execution_options(yield_per=10_000).execute(
                select(_ORDERS.c.order_hash)
            )
            for (order_hash,) in rows:
                yield order_hash

    def counters(self) -> tuple[int, int]:
        """(last journal seq, last fill id), 0 when empty."""
        with self.factory() as session:
            order_seq = session.scalar(select(func.max(RelayerOrder.seq))) or 0
            cancel_seq = session.scalar(select(func.max(RelayerCancel.seq))) or 0
            fill_id = session.scalar(select(func.max(RelayerFill.id))) or 0
        return max(order_seq, cancel_seq), fill_id

    def latest_snapshot(self, market_id: int) -> EngineSnapshot | None:
        with self.factory() as session:
            return session.scalars(
                select(EngineSnapshot)
                .where(EngineSnapshot.market_id == market_id)
                .order_by(EngineSnapshot.seq.desc(), EngineSnapshot.id.desc())
                .limit(1)
            ).first()

    def entries_after(
        self, market_id: int, seq: int
    ) -> list[tuple[int, RelayerOrder | tuple[int, str]]]:
        """Orders and cancels of ``market_id`` after ``seq``, in journal order (for replay).

        An order entry is its row; a cancel entry is ``(order seq, maker)`` of the order it
        took off the book.
        """
        with self.factory() as session:
            orders = session.scalars(
                select(RelayerOrder).where(
                    RelayerOrder.market_id == market_id, RelayerOrder.seq > seq
                )
            ).all()
            cancels = session.execute(
                select(RelayerCancel.seq, RelayerOrder.seq, RelayerOrder.maker)
                .join(RelayerOrder, RelayerOrder.order_hash == RelayerCancel.order_hash)
                .where(RelayerCancel.market_id == market_id, RelayerCancel.seq > seq)
            ).all()
        entries: list[tuple[int, RelayerOrder | tuple[int, str]]] = [(o.seq, o) for o in orders]
        entries += [(cancel_seq, (order_seq, maker)) for cancel_seq, order_seq, maker in cancels]
        entries.sort(key=lambda entry: entry[0])
        return entries

    def open_orders(self) -> list[RelayerOrder]:
        with self.factory() as session:
            return list(
                session.scalars(
                    select(RelayerOrder)
                    .where(RelayerOrder.status == ORDER_OPEN)
                    .order_by(RelayerOrder.seq)
                )
            )

    def pending_fills(self) -> list[tuple[RelayerFill, RelayerOrder, RelayerOrder]]:
        """Fills not yet final on chain, with their maker and taker orders."""
        with self.factory() as session:
            fills = session.scalars(
                select(RelayerFill).where(RelayerFill.status.in_(PENDING_FILL_STATUSES))
            ).all()
            hashes = {f.maker_order_hash for f in fills} | {f.taker_order_hash for f in fills}
            orders: dict[str, RelayerOrder] = {}
            for chunk in _chunks(sorted(hashes), 500):
                for order in session.scalars(
                    select(RelayerOrder).where(RelayerOrder.order_hash.in_(chunk))
                ):
                    orders[order.order_hash] = order
        return [(f, orders[f.maker_order_hash], orders[f.taker_order_hash]) for f in fills]

    def closed_elsewhere(self, since: datetime | None) -> list[RelayerOrder]:
        """Resting-type orders that another writer (the settlement worker) closed: status
        ``cancelled``, ``rejected`` or ``expired`` with no ``relayer_cancels`` row, updated at
        or after ``since`` (all of them when None). The relayer takes them off its book."""
        journaled = select(RelayerCancel.id).where(
            RelayerCancel.order_hash == RelayerOrder.order_hash
        )
        query = select(RelayerOrder).where(
            RelayerOrder.status.in_((ORDER_CANCELLED, ORDER_REJECTED, ORDER_EXPIRED)),
            RelayerOrder.order_type == "limit",
            RelayerOrder.time_in_force.in_(("gtc", "post_only")),
            ~journaled.exists(),
        )
        if since is not None:
            query = query.where(RelayerOrder.updated_at >= since)
        with self.factory() as session:
            return list(session.scalars(query.order_by(RelayerOrder.seq)))

    def fill_statuses(self, fill_ids: list[int]) -> dict[int, tuple[str, int | None]]:
        """Current status (and skip reason) of the given fills."""
        result: dict[int, tuple[str, int | None]] = {}
        with self.factory() as session:
            for chunk in _chunks(fill_ids, 500):
                rows = session.execute(
                    select(RelayerFill.id, RelayerFill.status, RelayerFill.skip_reason).where(
                        RelayerFill.id.in_(chunk)
                    )
                )
                for fill_id, status, reason in rows:
                    result[fill_id] = (status, reason)
        return result

    def order_statuses(self, hashes: list[str]) -> dict[str, str]:
        result: dict[str, str] = {}
        with self.factory() as session:
            for chunk in _chunks(hashes, 500):
                rows = session.execute(
                    select(RelayerOrder.order_hash, RelayerOrder.status).where(
                        RelayerOrder.order_hash.in_(chunk)
                    )
                )
                result.update({order_hash: status for order_hash, status in rows})
        return result


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
