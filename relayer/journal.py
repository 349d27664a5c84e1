"""SQL side of the relayer: one transaction per sequencer step, and the reads a restart needs.

The sequencer collects everything one step produced (new orders with their final status, fills,
order updates, cancels) in a :class:`JournalTx` and commits it at once; only then are the
orders acknowledged and the fills published. A crash before the commit loses nothing that was
acknowledged; a crash after it is recovered by replaying the journal (see ``service.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from relayer.conditional import CONDITIONAL_TYPES
from relayer.models import (
    CANCEL_OCO,
    FILL_PENDING,
    FILL_SUBMITTED,
    ORDER_CANCELLED,
    ORDER_EXPIRED,
    ORDER_OPEN,
    ORDER_PENDING,
    ORDER_REJECTED,
    EngineSnapshot,
    RelayerCancel,
    RelayerFill,
    RelayerOrder,
)

PENDING_FILL_STATUSES = (FILL_PENDING, FILL_SUBMITTED)
#: Orders on a book: resting / partly matched, or a conditional order waiting for its trigger.
LIVE_STATUSES = (ORDER_OPEN, ORDER_PENDING)


@dataclass
class JournalTx:
    """What one sequencer step writes, in one database transaction."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    fills: list[dict[str, Any]] = field(default_factory=list)
    cancels: list[dict[str, Any]] = field(default_factory=list)
    #: order_hash -> (matched_lots, status) for orders already in the journal
    updates: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: conditional orders whose trigger fired: order_hash -> (last trade price, when)
    triggers: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    #: OCO pairs formed: the earlier leg's order_hash -> the new leg's
    links: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.orders or self.fills or self.cancels or self.updates or self.triggers or self.links
        )


class Journal:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    # ---------------------------------------------------------------------------------- write

    def write(self, tx: JournalTx) -> None:
        """Commit ``tx`` atomically (orders first: fills and cancels reference them)."""
        with self.factory() as session, session.begin():
            if tx.orders:
                session.execute(insert(RelayerOrder), tx.orders)
            if tx.updates:
                # A status set elsewhere (the settlement worker's ``rejected``) is kept.
                orders = cast(Table, RelayerOrder.__table__)
                session.connection().execute(
                    update(orders)
                    .where(orders.c.order_hash == bindparam("hash"))
                    .values(
                        matched_lots=bindparam("matched"),
                        status=case(
                            # (no IN: expanding parameters do not work in executemany)
                            (
                                or_(*(orders.c.status == status for status in LIVE_STATUSES)),
                                bindparam("new_status"),
                            ),
                            else_=orders.c.status,
                        ),
                        updated_at=func.now(),
                    ),
                    [
                        {"hash": h, "matched": matched, "new_status": status}
                        for h, (matched, status) in tx.updates.items()
                    ],
                )
            if tx.triggers or tx.links:
                self._write_conditional(session, tx)
            if tx.fills:
                session.execute(insert(RelayerFill), tx.fills)
            if tx.cancels:
                session.execute(insert(RelayerCancel), tx.cancels)

    @staticmethod
    def _write_conditional(session: Session, tx: JournalTx) -> None:
        orders = cast(Table, RelayerOrder.__table__)
        connection = session.connection()
        if tx.triggers:
            connection.execute(
                update(orders)
                .where(orders.c.order_hash == bindparam("hash"))
                .values(triggered_at=bindparam("at"), trigger_last_price=bindparam("price")),
                [{"hash": h, "price": price, "at": at} for h, (price, at) in tx.triggers.items()],
            )
        if tx.links:
            connection.execute(
                update(orders)
                .where(orders.c.order_hash == bindparam("hash"))
                .values(oco_with=bindparam("partner")),
                [{"hash": h, "partner": partner} for h, partner in tx.links.items()],
            )

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
        with self.factory() as session:
            for chunk in _chunks(hashes, 1_000):
                found.update(
                    session.scalars(
                        select(RelayerOrder.order_hash).where(RelayerOrder.order_hash.in_(chunk))
                    )
                )
        return found

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
        took off the book. OCO cancels are left out: the engine repeats them itself while
        replaying the entry that caused them.
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
                .where(
                    RelayerCancel.market_id == market_id,
                    RelayerCancel.seq > seq,
                    RelayerCancel.reason != CANCEL_OCO,
                )
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
                    .where(RelayerOrder.status.in_(LIVE_STATUSES))
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
        """Book-type orders that another writer (the settlement worker) closed: status
        ``cancelled``, ``rejected`` or ``expired`` with no ``relayer_cancels`` row, updated at
        or after ``since`` (all of them when None). The relayer takes them off its book."""
        journaled = select(RelayerCancel.id).where(
            RelayerCancel.order_hash == RelayerOrder.order_hash
        )
        query = select(RelayerOrder).where(
            RelayerOrder.status.in_((ORDER_CANCELLED, ORDER_REJECTED, ORDER_EXPIRED)),
            or_(
                and_(
                    RelayerOrder.order_type == "limit",
                    RelayerOrder.time_in_force.in_(("gtc", "post_only")),
                ),
                RelayerOrder.order_type.in_(sorted(CONDITIONAL_TYPES)),
            ),
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
