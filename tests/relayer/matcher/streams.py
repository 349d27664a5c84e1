"""Random command streams covering every command and order type, for differential tests.

Prices cluster around a centre so orders cross often; ids are reused, links point at live and
dead orders, and a share of the commands is invalid on purpose.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from relayer.matcher import COMMAND_DTYPE, CommandType, Flag, OrderType

# (market, tick, lot, min_qty, max_qty, min_notional, centre price)
MARKETS: tuple[tuple[int, int, int, int, int, int, int], ...] = (
    (1, 1, 1, 1, 1_000, 0, 100),
    (2, 5, 10, 10, 1_000, 500, 500),
    (7, 1, 1, 1, 50, 0, 40),
)


def setup_markets(engine: Any) -> None:
    """Create the stream's markets on an engine or reference model."""
    for market, tick, lot, min_qty, max_qty, min_notional, _centre in MARKETS:
        engine.add_market(market, tick, lot, min_qty, max_qty, min_notional)


@dataclass
class StreamState:
    next_id: int = 1
    # deep: wider price band and fewer removals, so books grow to hundreds of orders and levels
    # (exercises level bookkeeping: kept empty levels, compaction, long FIFO queues)
    deep: bool = False
    # id -> (owner, market, side) of every placed id, live or not
    owners: dict[int, tuple[int, int, int]] = field(default_factory=dict)


def _pick_market(rng: random.Random) -> tuple[int, int, int, int, int, int, int]:
    return MARKETS[rng.randrange(len(MARKETS))]


def next_command(
    rng: random.Random, st: StreamState, live: list[int] | None = None
) -> dict[str, int]:
    """Draw one command dict (COMMAND_DTYPE field names).

    Args:
        rng: the random source.
        st: ids handed out so far.
        live: ids currently live in the book (so cancels, amends and links mostly hit).
    """
    market, tick, lot, _min_qty, max_qty, _mn, centre = _pick_market(rng)
    roll = rng.random()
    if st.deep:
        # limit-heavy (60%), no mass cancels or malformed commands
        roll = rng.random() * 0.36 if rng.random() < 0.6 else 0.36 + rng.random() * 0.565
    if rng.random() < 0.02:
        market = 99  # unknown market
    known = list(st.owners)
    if live and rng.random() < 0.85:
        known = [i for i in live if i in st.owners]

    def price_near(spread: int = 8) -> int:
        if st.deep:
            spread *= 25
        p = centre + tick * rng.randint(-spread, spread)
        if p <= 0:
            p = tick * rng.randint(1, 5)
        r = rng.random()
        if r < 0.02:
            return p + 1 if tick > 1 else 0  # off tick / zero
        if r < 0.03:
            return -tick
        return max(p, tick)

    def quantity() -> int:
        r = rng.random()
        if r < 0.02:
            return 0
        if r < 0.03:
            return lot + 1 if lot > 1 else max_qty + 1
        if r < 0.04:
            return -lot
        return lot * rng.randint(1, min(12, max_qty // lot))

    def order_id() -> int:
        r = rng.random()
        if known and r < 0.04:
            return rng.choice(known)  # duplicate if still live
        if r < 0.05:
            return 0
        oid = st.next_id
        st.next_id += 1
        return oid

    def owner_for(oid: int) -> int:
        if oid in st.owners and rng.random() < 0.9:
            return st.owners[oid][0]
        return rng.randint(1, 4)

    owner = rng.randint(1, 4)
    stp = rng.choice((0, 0, 0, 1, 2, 3))
    if roll < 0.36:  # limit
        oid = order_id()
        qty = quantity()
        tif = rng.choice((0, 0, 0, 1, 2))
        flags = int(Flag.POST_ONLY) if rng.random() < 0.1 else 0
        visible = 0
        if rng.random() < 0.12:
            visible = lot * rng.randint(1, 3)
        side = rng.randint(0, 1)
        link = 0
        same_market = [k for k in known[-50:] if st.owners[k][1] == market]
        if same_market and rng.random() < 0.1:
            link = rng.choice(same_market)
            if rng.random() < 0.9:  # a valid pair: same owner and side
                owner, _, side = st.owners[link]
        if rng.random() < 0.01:
            tif = 5  # invalid
        st.owners[oid] = (owner, market, side)
        price = price_near()
        if st.deep and rng.random() < 0.9 and price > 0:
            # mostly passive: bids below the centre, asks above, so the book deepens
            offset = abs(price - centre) or tick
            price = centre - offset if side == 0 else centre + offset
            price = max(price, tick)
        return dict(
            type=CommandType.PLACE,
            side=side,
            order_type=OrderType.LIMIT,
            tif=tif,
            stp=stp,
            flags=flags,
            market=market,
            order_id=oid,
            owner=owner,
            price=price,
            qty=qty,
            visible=visible,
            link=link,
        )
    if roll < 0.45:  # market
        oid = order_id()
        quote = rng.random() < 0.3
        qty = quantity() * centre if quote else quantity()
        side = rng.randint(0, 1)
        st.owners[oid] = (owner, market, side)
        return dict(
            type=CommandType.PLACE,
            side=side,
            order_type=OrderType.MARKET,
            stp=stp,
            flags=int(Flag.QUOTE_QUANTITY) if quote else 0,
            market=market,
            order_id=oid,
            owner=owner,
            price=price_near(10) if rng.random() < 0.3 else 0,
            qty=qty,
            link=rng.choice(known) if known and rng.random() < 0.05 else 0,
        )
    if roll < 0.58:  # stop family
        oid = order_id()
        otype = OrderType(rng.randint(2, 6))
        side = rng.randint(0, 1)
        flags = 0
        if otype == OrderType.TRAILING_STOP_MARKET:
            if rng.random() < 0.5:
                flags = int(Flag.TRAIL_BPS)
                stop_price = rng.choice((50, 100, 300, 10000))
            else:
                stop_price = tick * rng.randint(0, 5)
        else:
            stop_price = price_near(6)
        limit_priced = otype in (OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
        link = 0
        same_market = [k for k in known[-50:] if st.owners[k][1] == market]
        if same_market and rng.random() < 0.3:
            link = rng.choice(same_market)
            if rng.random() < 0.9:
                owner, _, side = st.owners[link]
        st.owners[oid] = (owner, market, side)
        return dict(
            type=CommandType.PLACE,
            side=side,
            order_type=otype,
            tif=rng.choice((0, 0, 1, 2)) if limit_priced else 0,
            stp=stp,
            flags=flags,
            market=market,
            order_id=oid,
            owner=owner,
            price=price_near() if limit_priced else 0,
            qty=quantity(),
            stop_price=stop_price,
            link=link,
        )
    if roll < 0.72:  # cancel
        oid = rng.choice(known) if known else 1
        m = st.owners.get(oid, (0, market, 0))[1] if rng.random() < 0.95 else market
        return dict(type=CommandType.CANCEL, market=m, order_id=oid, owner=owner_for(oid))
    if roll < 0.925:  # amend
        oid = rng.choice(known) if known else 1
        m = st.owners.get(oid, (0, market, 0))[1]
        r = rng.random()
        new_price = price_near() if r < 0.7 else 0
        new_qty = quantity() if r > 0.4 else 0
        return dict(
            type=CommandType.AMEND,
            market=m,
            order_id=oid,
            owner=owner_for(oid),
            price=new_price,
            qty=new_qty,
        )
    if roll < 0.94:  # mass cancel
        all_markets = rng.random() < 0.4
        return dict(
            type=CommandType.MASS_CANCEL,
            market=market,
            owner=owner,
            flags=int(Flag.ALL_MARKETS) if all_markets else 0,
        )
    # invalid command shapes
    return dict(
        type=rng.choice((0, 9, 1)),
        side=rng.choice((0, 1, 2)),
        order_type=rng.choice((0, 7)),
        flags=rng.choice((0, 8, 16)),
        market=market,
        order_id=order_id(),
        owner=owner,
        price=price_near(),
        qty=quantity(),
    )


def make_stream(rng: random.Random, n: int, *, deep: bool = False) -> list[dict[str, int]]:
    """A stream drawn with the reference model as oracle of which ids are live."""
    from tests.relayer.matcher.reference import ReferenceEngine

    ref = ReferenceEngine()
    setup_markets(ref)
    st = StreamState(deep=deep)
    out = []
    for _ in range(n):
        live = list(ref.resting) + [s.id for m in ref.markets.values() for s in m.stops]
        cmd = next_command(rng, st, live)
        ref.execute(cmd)
        out.append(cmd)
    return out


def to_array(commands: list[dict[str, int]]) -> npt.NDArray[np.void]:
    arr = np.zeros(len(commands), dtype=COMMAND_DTYPE)
    for i, c in enumerate(commands):
        for k, v in c.items():
            arr[k][i] = int(v)
    return arr
