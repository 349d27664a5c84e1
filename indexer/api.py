"""The indexer's read API: a FastAPI router mounted by ``tigerex.api.create_app`` at /indexer.

Thin routes over keyword-only query functions that take the connection explicitly. Amounts
leave as decimal strings (exact); addresses are lower-case hex (any case is accepted).
Lists are paged with an opaque ``cursor`` (pass ``next_cursor`` back unchanged). Errors are the
kernel's ``{code, message, details}``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Connection, Engine, and_, select, tuple_
from sqlalchemy.exc import OperationalError, ProgrammingError

from indexer.errors import IndexerError, InvalidCursor
from indexer.models import (
    BALANCES,
    CHECKPOINTS,
    EVENT_ACCOUNTS,
    EVENTS,
    TRANSFERS,
    Checkpoint,
)
from tigerex.db import make_engine

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
MAX_LIMIT = 1000


class AddressInvalid(IndexerError):
    """A path or query parameter is not a 20-byte hex address."""

    code = "address_invalid"

    def __init__(self, value: str) -> None:
        super().__init__(
            f"{value!r} is not an address (0x + 40 hex digits)", details={"address": value}
        )


class DatabaseNotMigrated(IndexerError):
    """The indexer's tables are missing."""

    code = "database_not_migrated"


# ------------------------------------------------------------------------------- public models


class ChainStatusPublic(BaseModel):
    chain_id: int
    network: str
    start_block: int
    head_block: int
    indexed_block: int
    finalized_block: int
    confirmations: int
    lag_blocks: int
    events_per_second: float
    events_total: int
    unknown_total: int
    reorgs_total: int
    updated_at: datetime | None


class StatusPublic(BaseModel):
    chains: list[ChainStatusPublic]


class EventPublic(BaseModel):
    chain_id: int
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    address: str
    contract: str | None
    event: str | None
    args: dict[str, Any] | None
    topics: list[str] | None
    data: str | None
    final: bool


class EventPage(BaseModel):
    items: list[EventPublic]
    next_cursor: str | None


class BalancePublic(BaseModel):
    chain_id: int
    token: str
    contract: str
    balance: str


class BalancesPublic(BaseModel):
    account: str
    balances: list[BalancePublic]


class TransferPublic(BaseModel):
    chain_id: int
    block_number: int
    tx_hash: str
    log_index: int
    token: str
    contract: str
    from_address: str
    to_address: str
    amount: str
    direction: str
    final: bool


class TransferPage(BaseModel):
    items: list[TransferPublic]
    next_cursor: str | None


# ----------------------------------------------------------------------------------- helpers


def encode_cursor(chain_id: int, block_number: int, log_index: int) -> str:
    """An opaque cursor for the position after ``(chain_id, block_number, log_index)``.

    Args:
        chain_id: Chain of the last item.
        block_number: Its block.
        log_index: Its log index.

    Returns:
        The cursor.
    """
    raw = f"{chain_id}:{block_number}:{log_index}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int, int]:
    """The position a cursor stands for.

    Args:
        cursor: A cursor from ``encode_cursor``.

    Returns:
        ``(chain_id, block_number, log_index)``.

    Raises:
        InvalidCursor: The cursor was not issued by this API.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        chain_id, block, log_index = (int(p) for p in raw.split(":"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor(cursor) from None
    return chain_id, block, log_index


def _address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise AddressInvalid(value)
    return value.lower()


def _finalized(conn: Connection) -> dict[int, int]:
    cp = CHECKPOINTS
    return {r[0]: r[1] for r in conn.execute(select(cp.c.chain_id, cp.c.finalized_block))}


# ----------------------------------------------------------------------------------- queries


def read_status(*, conn: Connection) -> StatusPublic:
    """Every indexed chain's checkpoint and figures.

    Args:
        conn: A connection.

    Returns:
        The status.
    """
    rows = conn.execute(select(CHECKPOINTS).order_by(Checkpoint.chain_id)).all()
    return StatusPublic(
        chains=[
            ChainStatusPublic(
                chain_id=r.chain_id,
                network=r.network,
                start_block=r.start_block,
                head_block=r.head_block,
                indexed_block=r.block_number,
                finalized_block=r.finalized_block,
                confirmations=r.confirmations,
                lag_blocks=max(0, r.head_block - r.block_number),
                events_per_second=r.events_per_second,
                events_total=r.events_total,
                unknown_total=r.unknown_total,
                reorgs_total=r.reorgs_total,
                updated_at=r.updated_at,
            )
            for r in rows
        ]
    )


def read_events(
    *,
    conn: Connection,
    chain_id: int | None = None,
    contract: str | None = None,
    event: str | None = None,
    account: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> EventPage:
    """Events in chain order, filtered, one page.

    Args:
        conn: A connection.
        chain_id: Only this chain.
        contract: Only this contract (deployments name, e.g. ``TUSD``).
        event: Only this event name.
        account: Only events with this account as an indexed address argument.
        cursor: Continue after this cursor.
        limit: Page size.

    Returns:
        The page and the next cursor (None at the end).

    Raises:
        InvalidCursor: ``cursor`` is not one this API issued.
        AddressInvalid: ``account`` is not an address.
    """
    ev = EVENTS
    query = select(ev)
    if account is not None:
        acc = EVENT_ACCOUNTS
        query = query.join(
            acc,
            and_(
                acc.c.chain_id == ev.c.chain_id,
                acc.c.block_number == ev.c.block_number,
                acc.c.log_index == ev.c.log_index,
                acc.c.tx_hash == ev.c.tx_hash,
            ),
        ).where(acc.c.account == _address(account))
    if chain_id is not None:
        query = query.where(ev.c.chain_id == chain_id)
    if contract is not None:
        query = query.where(ev.c.contract == contract)
    if event is not None:
        query = query.where(ev.c.event == event)
    if cursor is not None:
        query = query.where(
            tuple_(ev.c.chain_id, ev.c.block_number, ev.c.log_index) > decode_cursor(cursor)
        )
    query = query.order_by(ev.c.chain_id, ev.c.block_number, ev.c.log_index).limit(limit + 1)
    rows = conn.execute(query).all()
    finalized = _finalized(conn)
    items = [
        EventPublic(
            chain_id=r.chain_id,
            block_number=r.block_number,
            block_hash=r.block_hash,
            tx_hash=r.tx_hash,
            log_index=r.log_index,
            address=r.address,
            contract=r.contract,
            event=r.event,
            args=r.args,
            topics=r.topics,
            data=r.data,
            final=r.block_number <= finalized.get(r.chain_id, -1),
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    last = items[-1] if items else None
    return EventPage(
        items=items,
        next_cursor=encode_cursor(last.chain_id, last.block_number, last.log_index)
        if more and last
        else None,
    )


def read_balances(*, conn: Connection, account: str, chain_id: int | None = None) -> BalancesPublic:
    """An account's non-zero balances of every followed token.

    Args:
        conn: A connection.
        account: The account.
        chain_id: Only this chain.

    Returns:
        The balances (exact, as decimal strings of base units).

    Raises:
        AddressInvalid: ``account`` is not an address.
    """
    addr = _address(account)
    bal = BALANCES
    query = select(bal).where(bal.c.account == addr)
    if chain_id is not None:
        query = query.where(bal.c.chain_id == chain_id)
    rows = conn.execute(query.order_by(bal.c.chain_id, bal.c.contract)).all()
    return BalancesPublic(
        account=addr,
        balances=[
            BalancePublic(
                chain_id=r.chain_id, token=r.token, contract=r.contract, balance=str(r.balance)
            )
            for r in rows
        ],
    )


def read_transfers(
    *,
    conn: Connection,
    account: str,
    chain_id: int | None = None,
    token: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> TransferPage:
    """An account's token transfers (in and out) in chain order, one page.

    Args:
        conn: A connection.
        account: The account.
        chain_id: Only this chain.
        token: Only this token (address or deployments name).
        cursor: Continue after this cursor.
        limit: Page size.

    Returns:
        The page and the next cursor.

    Raises:
        InvalidCursor: ``cursor`` is not one this API issued.
        AddressInvalid: ``account`` is not an address.
    """
    addr = _address(account)
    tr = TRANSFERS
    query = select(tr).where((tr.c.from_address == addr) | (tr.c.to_address == addr))
    if chain_id is not None:
        query = query.where(tr.c.chain_id == chain_id)
    if token is not None:
        query = query.where(
            tr.c.token == token.lower() if token.startswith("0x") else tr.c.contract == token
        )
    if cursor is not None:
        query = query.where(
            tuple_(tr.c.chain_id, tr.c.block_number, tr.c.log_index) > decode_cursor(cursor)
        )
    query = query.order_by(tr.c.chain_id, tr.c.block_number, tr.c.log_index).limit(limit + 1)
    rows = conn.execute(query).all()
    finalized = _finalized(conn)
    items = [
        TransferPublic(
            chain_id=r.chain_id,
            block_number=r.block_number,
            tx_hash=r.tx_hash,
            log_index=r.log_index,
            token=r.token,
            contract=r.contract,
            from_address=r.from_address,
            to_address=r.to_address,
            amount=str(r.amount),
            direction="self"
            if r.from_address == r.to_address
            else ("out" if r.from_address == addr else "in"),
            final=r.block_number <= finalized.get(r.chain_id, -1),
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    last = items[-1] if items else None
    return TransferPage(
        items=items,
        next_cursor=encode_cursor(last.chain_id, last.block_number, last.log_index)
        if more and last
        else None,
    )


# ------------------------------------------------------------------------------------ router


def get_connection(request: Request) -> Iterator[Connection]:
    """A connection to the app's database (the engine is made once per app).

    Args:
        request: The request (its app carries the settings and the engine).

    Yields:
        A connection.

    Raises:
        DatabaseNotMigrated: The indexer's tables are missing.
    """
    state = request.app.state
    engine: Engine | None = getattr(state, "indexer_engine", None)
    if engine is None:
        engine = state.indexer_engine = make_engine(state.settings.database)
    try:
        with engine.connect() as conn:
            yield conn
    except (OperationalError, ProgrammingError) as err:
        raise DatabaseNotMigrated(
            "the indexer's tables are missing or unreadable: run `tigerex db upgrade`",
            details={"error": str(err.orig).splitlines()[0] if err.orig else str(err)},
        ) from err


ConnDep = Annotated[Connection, Depends(get_connection)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def create_router() -> APIRouter:
    """The ``/indexer`` router. It reads the database of the app's settings
    (``app.state.settings``, set by ``tigerex.api.create_app``).

    Returns:
        The router.
    """
    router = APIRouter(prefix="/indexer", tags=["indexer"])

    @router.get("/status", response_model=StatusPublic)
    def status(conn: ConnDep) -> StatusPublic:
        """Per chain: head, indexed and finalized block, lag, events/s, totals."""
        return read_status(conn=conn)

    @router.get("/events", response_model=EventPage)
    def events(
        conn: ConnDep,
        chain_id: int | None = None,
        contract: str | None = None,
        event: str | None = None,
        account: str | None = None,
        cursor: str | None = None,
        limit: Limit = 100,
    ) -> EventPage:
        """Events by contract / event / account, in chain order, cursor-paged."""
        return read_events(
            conn=conn,
            chain_id=chain_id,
            contract=contract,
            event=event,
            account=account,
            cursor=cursor,
            limit=limit,
        )

    @router.get("/accounts/{account}/balances", response_model=BalancesPublic)
    def balances(conn: ConnDep, account: str, chain_id: int | None = None) -> BalancesPublic:
        """An account's token balances (base units, exact)."""
        return read_balances(conn=conn, account=account, chain_id=chain_id)

    @router.get("/accounts/{account}/transfers", response_model=TransferPage)
    def transfers(
        conn: ConnDep,
        account: str,
        chain_id: int | None = None,
        token: str | None = None,
        cursor: str | None = None,
        limit: Limit = 100,
    ) -> TransferPage:
        """An account's token transfers, in chain order, cursor-paged."""
        return read_transfers(
            conn=conn, account=account, chain_id=chain_id, token=token, cursor=cursor, limit=limit
        )

    return router
