"""Trades, 24h ticker and candles from the relayer's own fills journal.

A fill is a trade as soon as the engine matched it (``relayer_fills``), before it settles on
chain; every trade carries its settlement ``status`` and the aggregates say how many of their
trades are settled, so a reader can tell matched from final. Prices are in ticks and quantities
in lots (integers); amounts in base units are given as decimal strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from relayer.models import FILL_SETTLED, RelayerFill, RelayerOrder

CANDLE_INTERVALS: Final[dict[str, int]] = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "1h": 3_600,
    "4h": 14_400,
    "1d": 86_400,
}


def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; the journal writes UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Trade:
    fill_id: int
    market_id: int
    price_ticks: int
    quantity_lots: int
    taker_side: str
    maker: str
    taker: str
    maker_order_hash: str
    taker_order_hash: str
    status: str
    time: datetime


def recent_trades(session: Session, *, market_id: int, limit: int) -> list[Trade]:
    """The newest ``limit`` fills of a market, newest first."""
    maker = aliased(RelayerOrder)
    taker = aliased(RelayerOrder)
    rows = session.execute(
        select(RelayerFill, maker.maker, taker.maker)
        .join(maker, maker.order_hash == RelayerFill.maker_order_hash)
        .join(taker, taker.order_hash == RelayerFill.taker_order_hash)
        .where(RelayerFill.market_id == market_id)
        .order_by(RelayerFill.id.desc())
        .limit(limit)
    ).all()
    return [
        Trade(
            fill_id=fill.id,
            market_id=fill.market_id,
            price_ticks=fill.price_ticks,
            quantity_lots=fill.quantity_lots,
            taker_side="buy" if fill.taker_is_buy else "sell",
            maker=maker_address,
            taker=taker_address,
            maker_order_hash=fill.maker_order_hash,
            taker_order_hash=fill.taker_order_hash,
            status=fill.status,
            time=_utc(fill.created_at),
        )
        for fill, maker_address, taker_address in rows
    ]


@dataclass(frozen=True, slots=True)
class Aggregate:
    """OHLC in ticks, volume in lots and in quote ticks*lots (multiply by tick size)."""

    open_time: datetime
    open: int
    high: int
    low: int
    close: int
    volume_lots: int
    volume_ticks_lots: int
    trades: int
    settled_trades: int


def _fills_since(
    session: Session, market_id: int, since: datetime
) -> list[tuple[int, int, datetime, str]]:
    rows = session.execute(
        select(
            RelayerFill.price_ticks,
            RelayerFill.quantity_lots,
            RelayerFill.created_at,
            RelayerFill.status,
        )
        .where(RelayerFill.market_id == market_id, RelayerFill.created_at >= since)
        .order_by(RelayerFill.id)
    ).all()
    return [(price, qty, _utc(at), status) for price, qty, at, status in rows]


def _aggregate(open_time: datetime, rows: list[tuple[int, int, datetime, str]]) -> Aggregate:
    prices = [price for price, _q, _t, _s in rows]
    return Aggregate(
        open_time=open_time,
        open=prices[0],
        high=max(prices),
        low=min(prices),
        close=prices[-1],
        volume_lots=sum(qty for _p, qty, _t, _s in rows),
        volume_ticks_lots=sum(price * qty for price, qty, _t, _s in rows),
        trades=len(rows),
        settled_trades=sum(1 for *_rest, status in rows if status == FILL_SETTLED),
    )


def ticker(session: Session, *, market_id: int, now: datetime) -> Aggregate | None:
    """The last 24 hours of a market, or None if it did not trade."""
    since = now - timedelta(days=1)
    rows = _fills_since(session, market_id, since)
    return _aggregate(since, rows) if rows else None


def candles(
    session: Session, *, market_id: int, interval: str, limit: int, now: datetime
) -> list[Aggregate]:
    """Up to ``limit`` candles of ``interval`` ending with the current one, oldest first;
    intervals without trades are left out.

    Raises:
        KeyError: ``interval`` is not one of :data:`CANDLE_INTERVALS`.
    """
    seconds = CANDLE_INTERVALS[interval]
    current = int(now.timestamp()) // seconds * seconds
    start = datetime.fromtimestamp(current - seconds * (limit - 1), UTC)
    buckets: dict[int, list[tuple[int, int, datetime, str]]] = {}
    for row in _fills_since(session, market_id, start):
        bucket = int(row[2].timestamp()) // seconds * seconds
        buckets.setdefault(bucket, []).append(row)
    return [
        _aggregate(datetime.fromtimestamp(bucket, UTC), rows)
        for bucket, rows in sorted(buckets.items())
    ]
