"""Pure-Python reference model of the matching rules, for differential testing.

Written from the rules in ``relayer/matcher/include/tigerex/matcher/engine.hpp`` (the contract),
not from the C++ code: plain dicts of price -> FIFO list, sorted on demand, no pools or indexes.
It is slow on purpose-free simplicity; it only has to be obviously right.

Commands are dicts with the field names of ``relayer.matcher.COMMAND_DTYPE`` (missing fields
are 0). Events are tuples in the order of ``Event.as_tuple()``::

    (type, side, reason, market, order_id, maker_id, owner, maker_owner,
     price, qty, remaining, maker_remaining, seq)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from relayer.matcher.enums import (
    CommandType,
    EventType,
    Flag,
    OrderType,
    Reason,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

EventTuple = tuple[int, int, int, int, int, int, int, int, int, int, int, int, int]

BUY, SELL = int(Side.BUY), int(Side.SELL)
INT64_MAX = (1 << 63) - 1
MASK64 = (1 << 64) - 1
MAX_QTY_LIMIT = 1 << 48
LIMIT_PRICED = {OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
STOP_TYPES = {
    OrderType.STOP_MARKET,
    OrderType.STOP_LIMIT,
    OrderType.TAKE_PROFIT_MARKET,
    OrderType.TAKE_PROFIT_LIMIT,
    OrderType.TRAILING_STOP_MARKET,
}


class Rejected(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.name)
        self.reason = reason


@dataclass
class Resting:
    id: int
    owner: int
    side: int
    price: int
    visible: int
    hidden: int
    display: int
    link: int
    stp: int
    flags: int


@dataclass
class Stop:
    id: int
    owner: int
    side: int
    type: OrderType
    stop_price: int
    limit_price: int
    qty: int
    watermark: int
    link: int
    tif: int
    stp: int
    flags: int


@dataclass
class Market:
    id: int
    tick: int
    lot: int
    min_qty: int
    max_qty: int
    min_notional: int
    last_price: int = 0
    book_seq: int = 0
    # side -> price -> FIFO list
    book: tuple[dict[int, list[Resting]], dict[int, list[Resting]]] = field(
        default_factory=lambda: ({}, {})
    )
    stops: list[Stop] = field(default_factory=list)

    def prices_best_first(self, side: int) -> list[int]:
        return sorted(self.book[side], reverse=(side == BUY))


@dataclass
class Taker:
    id: int
    owner: int
    side: int
    limit_priced: bool
    tif: int
    price: int  # limit, or bound (0 = none) for market types
    remaining: int
    quote: bool
    stp: int
    flags: int
    display: int
    link: int
    link_established: bool = False


def _crosses(side: int, bound: int, level_price: int) -> bool:
    if bound == 0:
        return True
    return level_price <= bound if side == BUY else level_price >= bound


def _stop_fires(s: Stop, last: int) -> bool:
    buy = s.side == BUY
    if s.type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT):
        return last >= s.stop_price if buy else last <= s.stop_price
    if s.type in (OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT):
        return last <= s.stop_price if buy else last >= s.stop_price
    # trailing stop
    if s.flags & Flag.TRAIL_BPS:
        if buy:
            return last * 10000 >= s.watermark * (10000 + s.stop_price)
        return last * 10000 <= s.watermark * (10000 - s.stop_price)
    return last >= s.watermark + s.stop_price if buy else last <= s.watermark - s.stop_price


class ReferenceEngine:
    """The rules, executed naively."""

    def __init__(self) -> None:
        self.markets: dict[int, Market] = {}
        self.events: list[EventTuple] = []
        # order id -> (market, resting order); stops are found by scanning their market
        self.resting: dict[int, tuple[Market, Resting]] = {}

    # ------------------------------------------------------------------ setup / lookup
    def add_market(
        self, market: int, tick: int, lot: int, min_qty: int, max_qty: int, min_notional: int = 0
    ) -> Reason:
        if market in self.markets:
            return Reason.MARKET_EXISTS
        if (
            tick <= 0
            or lot <= 0
            or min_qty <= 0
            or min_qty > max_qty
            or max_qty > MAX_QTY_LIMIT
            or min_qty % lot
            or max_qty % lot
            or min_notional < 0
        ):
            return Reason.INVALID_MARKET_CONFIG
        self.markets[market] = Market(market, tick, lot, min_qty, max_qty, min_notional)
        return Reason.OK

    def _find_resting(self, order_id: int) -> tuple[Market, Resting] | None:
        return self.resting.get(order_id)

    def _find_stop(self, m: Market, order_id: int) -> Stop | None:
        return next((s for s in m.stops if s.id == order_id), None)

    def _is_live(self, order_id: int) -> bool:
        if self._find_resting(order_id) is not None:
            return True
        return any(self._find_stop(m, order_id) for m in self.markets.values())

    # ------------------------------------------------------------------ events
    def _ev(self, etype: EventType, market: int, **kw: int) -> None:
        self.events.append(
            (
                int(etype),
                kw.get("side", 0),
                kw.get("reason", 0),
                market,
                kw.get("order_id", 0),
                kw.get("maker_id", 0),
                kw.get("owner", 0),
                kw.get("maker_owner", 0),
                kw.get("price", 0),
                kw.get("qty", 0),
                kw.get("remaining", 0),
                kw.get("maker_remaining", 0),
                kw.get("seq", 0),
            )
        )

    def _book_delta(self, m: Market, side: int, price: int) -> None:
        queue = m.book[side].get(price, [])
        m.book_seq += 1
        self._ev(
            EventType.BOOK_DELTA,
            m.id,
            side=side,
            price=price,
            qty=sum(o.visible for o in queue),
            seq=m.book_seq,
        )

    # ------------------------------------------------------------------ removal / OCO
    def _take_out(self, m: Market, o: Resting) -> None:
        queue = m.book[o.side][o.price]
        queue.remove(o)
        del self.resting[o.id]
        if not queue:
            del m.book[o.side][o.price]
        self._book_delta(m, o.side, o.price)

    def _set_link(self, m: Market, order_id: int, value: int) -> None:
        found = self.resting.get(order_id)
        if found is not None:
            found[1].link = value
            return
        s = self._find_stop(m, order_id)
        if s is not None:
            s.link = value

    def _cancel_partner(self, m: Market, partner: int) -> None:
        if partner:
            self._set_link(m, partner, 0)
            self._cancel(m, partner, Reason.OCO_SIBLING)

    def _cancel(self, m: Market, order_id: int, reason: Reason) -> bool:
        found = self._find_resting(order_id)
        if found is not None and found[0] is m:
            o = found[1]
            self._ev(
                EventType.CANCELLED,
                m.id,
                side=o.side,
                reason=int(reason),
                order_id=o.id,
                owner=o.owner,
                price=o.price,
                remaining=o.visible + o.hidden,
            )
            self._take_out(m, o)
            partner = o.link
        else:
            s = self._find_stop(m, order_id)
            if s is None:
                return False
            self._ev(
                EventType.CANCELLED,
                m.id,
                side=s.side,
                reason=int(reason),
                order_id=s.id,
                owner=s.owner,
                price=s.limit_price,
                remaining=s.qty,
            )
            m.stops.remove(s)
            partner = s.link
        self._cancel_partner(m, partner)
        return True

    # ------------------------------------------------------------------ matching
    def _fok_ok(self, m: Market, t: Taker) -> bool:
        other = 1 - t.side
        blocking = t.stp in (SelfTradePrevention.CANCEL_TAKER, SelfTradePrevention.CANCEL_BOTH)
        total = 0
        for price in m.prices_best_first(other):
            if not _crosses(t.side, t.price, price):
                return False
            for o in m.book[other][price]:
                same = t.stp != SelfTradePrevention.NONE and o.owner == t.owner
                if same and blocking:
                    return False
                if same or o.link:
                    continue
                total += o.visible + o.hidden
            if total >= t.remaining:
                return True
        return False

    def _match(self, m: Market, t: Taker) -> bool:
        """Returns True when self-trade prevention cancelled the taker."""
        other = 1 - t.side
        while t.remaining > 0 and m.book[other]:
            price = max(m.book[other]) if other == BUY else min(m.book[other])
            if not _crosses(t.side, t.price, price):
                break
            queue = m.book[other][price]
            maker = queue[0]
            if t.stp != SelfTradePrevention.NONE and maker.owner == t.owner:
                if t.stp == SelfTradePrevention.CANCEL_TAKER:
                    return True
                self._cancel(m, maker.id, Reason.SELF_TRADE)
                if t.stp == SelfTradePrevention.CANCEL_BOTH:
                    return True
                continue
            if t.quote:
                lots_affordable = t.remaining // price // m.lot
                if lots_affordable == 0:
                    break
                qty = min(maker.visible, lots_affordable * m.lot)
                t.remaining -= qty * price
            else:
                qty = min(maker.visible, t.remaining)
                t.remaining -= qty
            maker.visible -= qty
            self._ev(
                EventType.FILL,
                m.id,
                side=t.side,
                order_id=t.id,
                maker_id=maker.id,
                owner=t.owner,
                maker_owner=maker.owner,
                price=price,
                qty=qty,
                remaining=t.remaining,
                maker_remaining=maker.visible + maker.hidden,
            )
            m.last_price = price
            maker_partner, maker.link = maker.link, 0
            if maker.visible == 0 and maker.hidden > 0:
                maker.visible = min(maker.display, maker.hidden)
                maker.hidden -= maker.visible
                queue.remove(maker)
                queue.append(maker)
                self._book_delta(m, other, price)
            elif maker.visible == 0:
                self._take_out(m, maker)
            else:
                self._book_delta(m, other, price)
            self._cancel_partner(m, maker_partner)
            if t.link:
                partner, t.link = t.link, 0
                self._cancel_partner(m, partner)
        return False

    def _run_taker(self, m: Market, t: Taker) -> bool:
        """Executes a taker; returns True if it traded."""
        seq_before = len(self.events)
        if t.limit_priced and t.tif == TimeInForce.FOK and not self._fok_ok(m, t):
            self._ev(
                EventType.EXPIRED,
                m.id,
                side=t.side,
                reason=int(Reason.FOK_UNFILLABLE),
                order_id=t.id,
                owner=t.owner,
                price=t.price,
                remaining=t.remaining,
            )
            return False
        stp_cancelled = self._match(m, t)
        traded = any(e[0] == EventType.FILL for e in self.events[seq_before:])
        if stp_cancelled:
            self._ev(
                EventType.CANCELLED,
                m.id,
                side=t.side,
                reason=int(Reason.SELF_TRADE),
                order_id=t.id,
                owner=t.owner,
                price=t.price,
                remaining=t.remaining,
            )
            if t.link_established:
                self._cancel_partner(m, t.link)
            return traded
        if t.remaining == 0:
            return traded
        if t.limit_priced and t.tif == TimeInForce.GTC:
            visible = min(t.display, t.remaining) if t.display else t.remaining
            o = Resting(
                id=t.id,
                owner=t.owner,
                side=t.side,
                price=t.price,
                visible=visible,
                hidden=t.remaining - visible,
                display=t.display,
                link=t.link,
                stp=t.stp,
                flags=t.flags & Flag.POST_ONLY,
            )
            m.book[t.side].setdefault(t.price, []).append(o)
            self.resting[o.id] = (m, o)
            if t.link:
                self._set_link(m, t.link, t.id)
            self._book_delta(m, t.side, t.price)
        else:
            self._ev(
                EventType.EXPIRED,
                m.id,
                side=t.side,
                reason=int(Reason.UNFILLED),
                order_id=t.id,
                owner=t.owner,
                price=t.price,
                remaining=t.remaining,
            )
        return traded

    def _after_trades(self, m: Market) -> None:
        """Fire stops until a round fires nothing (the last price only moves by trading)."""
        while m.last_price and m.stops:
            last = m.last_price
            for s in m.stops:
                if s.type == OrderType.TRAILING_STOP_MARKET:
                    if s.side == SELL:
                        s.watermark = max(s.watermark, last)
                    else:
                        s.watermark = min(s.watermark, last)
            fired = [s.id for s in m.stops if _stop_fires(s, last)]
            if not fired:
                return
            traded = False
            for order_id in fired:
                found = self._find_stop(m, order_id)
                if found is None:  # cancelled as an OCO partner earlier in this round
                    continue
                s = found
                m.stops.remove(s)
                self._ev(
                    EventType.TRIGGERED,
                    m.id,
                    side=s.side,
                    order_id=s.id,
                    owner=s.owner,
                    price=last,
                    qty=s.qty,
                    remaining=s.qty,
                )
                self._cancel_partner(m, s.link)
                t = Taker(
                    id=s.id,
                    owner=s.owner,
                    side=s.side,
                    limit_priced=s.type in LIMIT_PRICED,
                    tif=s.tif,
                    price=s.limit_price,
                    remaining=s.qty,
                    quote=False,
                    stp=s.stp,
                    flags=0,
                    display=0,
                    link=0,
                )
                traded = self._run_taker(m, t) or traded
            if not traded:
                return

    # ------------------------------------------------------------------ commands
    def execute(self, c: dict[str, int]) -> Reason:
        cmd = {name: int(c.get(name, 0)) for name in _FIELDS}
        try:
            kind = cmd["type"]
            if kind == CommandType.PLACE:
                self._place(cmd)
            elif kind == CommandType.CANCEL:
                self._cancel_cmd(cmd)
            elif kind == CommandType.AMEND:
                self._amend(cmd)
            elif kind == CommandType.MASS_CANCEL:
                self._mass_cancel(cmd)
            else:
                raise Rejected(Reason.INVALID_COMMAND)
        except Rejected as r:
            self._ev(
                EventType.REJECTED,
                cmd["market"],
                side=cmd["side"],
                reason=int(r.reason),
                order_id=cmd["order_id"],
                owner=cmd["owner"],
                price=cmd["price"],
                qty=cmd["qty"],
            )
            return r.reason
        return Reason.OK

    def _market(self, market_id: int) -> Market:
        m = self.markets.get(market_id)
        if m is None:
            raise Rejected(Reason.UNKNOWN_MARKET)
        return m

    @staticmethod
    def _check_qty(m: Market, qty: int) -> None:
        if qty <= 0:
            raise Rejected(Reason.INVALID_QUANTITY)
        if qty % m.lot:
            raise Rejected(Reason.QUANTITY_NOT_LOT_MULTIPLE)
        if not m.min_qty <= qty <= m.max_qty:
            raise Rejected(Reason.QUANTITY_OUT_OF_RANGE)

    @staticmethod
    def _check_notional(m: Market, price: int, qty: int) -> None:
        notional = price * qty
        if notional > INT64_MAX:
            raise Rejected(Reason.NOTIONAL_OVERFLOW)
        if notional < m.min_notional:
            raise Rejected(Reason.NOTIONAL_TOO_SMALL)

    @staticmethod
    def _would_take(m: Market, side: int, price: int) -> bool:
        other = m.book[1 - side]
        if not other:
            return False
        best = max(other) if side == SELL else min(other)
        return price >= best if side == BUY else price <= best

    def _place(self, c: dict[str, int]) -> None:
        m = self._market(c["market"])
        if c["order_id"] == 0:
            raise Rejected(Reason.INVALID_ORDER_ID)
        if c["side"] not in (BUY, SELL):
            raise Rejected(Reason.INVALID_SIDE)
        if c["order_type"] not in OrderType._value2member_map_:
            raise Rejected(Reason.INVALID_ORDER_TYPE)
        if c["tif"] not in TimeInForce._value2member_map_:
            raise Rejected(Reason.INVALID_TIME_IN_FORCE)
        if c["stp"] not in SelfTradePrevention._value2member_map_:
            raise Rejected(Reason.INVALID_SELF_TRADE_PREVENTION)
        otype = OrderType(c["order_type"])
        tif, side, fl, qty, price = c["tif"], c["side"], c["flags"], c["qty"], c["price"]
        # plain ints: ~ on an IntFlag drops bits the enum does not define
        if fl & ~int(Flag.POST_ONLY | Flag.QUOTE_QUANTITY | Flag.TRAIL_BPS):
            raise Rejected(Reason.INVALID_FLAGS)
        if fl & Flag.POST_ONLY and not (otype == OrderType.LIMIT and tif == TimeInForce.GTC):
            raise Rejected(Reason.INVALID_FLAGS)
        if fl & Flag.QUOTE_QUANTITY and otype != OrderType.MARKET:
            raise Rejected(Reason.INVALID_FLAGS)
        if fl & Flag.TRAIL_BPS and otype != OrderType.TRAILING_STOP_MARKET:
            raise Rejected(Reason.INVALID_FLAGS)
        if self._is_live(c["order_id"]):
            raise Rejected(Reason.DUPLICATE_ORDER_ID)
        quote = bool(fl & Flag.QUOTE_QUANTITY)
        if quote:
            if qty <= 0:
                raise Rejected(Reason.INVALID_QUANTITY)
            if qty < m.min_notional:
                raise Rejected(Reason.NOTIONAL_TOO_SMALL)
        else:
            self._check_qty(m, qty)
        if otype in LIMIT_PRICED:
            if price <= 0:
                raise Rejected(Reason.INVALID_PRICE)
            if price % m.tick:
                raise Rejected(Reason.PRICE_OFF_TICK)
            self._check_notional(m, price, qty)
        else:
            if price < 0:
                raise Rejected(Reason.INVALID_PRICE)
            if price % m.tick:
                raise Rejected(Reason.PRICE_OFF_TICK)
        visible = c["visible"]
        if visible != 0 and (
            visible < 0
            or visible > qty
            or visible % m.lot
            or otype != OrderType.LIMIT
            or tif != TimeInForce.GTC
        ):
            raise Rejected(Reason.INVALID_ICEBERG)
        stop_price = c["stop_price"]
        if otype == OrderType.TRAILING_STOP_MARKET:
            limit = 10000 if fl & Flag.TRAIL_BPS else None
            if stop_price <= 0 or (limit is not None and stop_price >= limit):
                raise Rejected(Reason.INVALID_STOP_PRICE)
            if m.last_price == 0:
                raise Rejected(Reason.NO_REFERENCE_PRICE)
        elif otype in STOP_TYPES:
            if stop_price <= 0 or stop_price % m.tick:
                raise Rejected(Reason.INVALID_STOP_PRICE)
        elif stop_price != 0:
            raise Rejected(Reason.INVALID_STOP_PRICE)
        stop: Stop | None = None
        if otype in STOP_TYPES:
            stop = Stop(
                id=c["order_id"],
                owner=c["owner"],
                side=side,
                type=otype,
                stop_price=stop_price,
                limit_price=price,
                qty=qty,
                watermark=m.last_price,
                link=0,
                tif=tif,
                stp=c["stp"],
                flags=fl & Flag.TRAIL_BPS,
            )
            if (
                otype != OrderType.TRAILING_STOP_MARKET
                and m.last_price
                and _stop_fires(stop, m.last_price)
            ):
                raise Rejected(Reason.STOP_WOULD_TRIGGER)
        link = c["link"]
        if link:
            if link == c["order_id"]:
                raise Rejected(Reason.INVALID_LINK)
            found = self._find_resting(link)
            partner: Resting | Stop | None
            if found is not None:
                partner = found[1] if found[0] is m else None
            else:
                partner = self._find_stop(m, link)
            if partner is None or partner.owner != c["owner"] or partner.side != side:
                raise Rejected(Reason.INVALID_LINK)
            if partner.link:
                raise Rejected(Reason.INVALID_LINK)
        if fl & Flag.POST_ONLY and self._would_take(m, side, price):
            raise Rejected(Reason.POST_ONLY_WOULD_TAKE)

        self._ev(
            EventType.ACCEPTED,
            m.id,
            side=side,
            order_id=c["order_id"],
            owner=c["owner"],
            price=price,
            qty=qty,
            remaining=qty,
        )
        if stop is not None:
            stop.link = link
            m.stops.append(stop)
            if link:
                self._set_link(m, link, stop.id)
            return
        t = Taker(
            id=c["order_id"],
            owner=c["owner"],
            side=side,
            limit_priced=otype in LIMIT_PRICED,
            tif=tif,
            price=price,
            remaining=qty,
            quote=quote,
            stp=c["stp"],
            flags=fl,
            display=visible,
            link=link,
        )
        if self._run_taker(m, t):
            self._after_trades(m)

    def _cancel_cmd(self, c: dict[str, int]) -> None:
        m = self._market(c["market"])
        found = self._find_resting(c["order_id"])
        owner: int
        if found is not None:
            if found[0] is not m:
                raise Rejected(Reason.UNKNOWN_ORDER)
            owner = found[1].owner
        else:
            s = self._find_stop(m, c["order_id"])
            if s is None:
                raise Rejected(Reason.UNKNOWN_ORDER)
            owner = s.owner
        if owner != c["owner"]:
            raise Rejected(Reason.NOT_OWNER)
        self._cancel(m, c["order_id"], Reason.USER_CANCEL)

    def _amend(self, c: dict[str, int]) -> None:
        m = self._market(c["market"])
        found = self._find_resting(c["order_id"])
        if found is None or found[0] is not m:
            if found is None and self._find_stop(m, c["order_id"]) is not None:
                raise Rejected(Reason.NOT_AMENDABLE)
            raise Rejected(Reason.UNKNOWN_ORDER)
        o = found[1]
        if o.owner != c["owner"]:
            raise Rejected(Reason.NOT_OWNER)
        current = o.visible + o.hidden
        new_price, new_qty = o.price, current
        if c["price"]:
            if c["price"] < 0:
                raise Rejected(Reason.INVALID_PRICE)
            if c["price"] % m.tick:
                raise Rejected(Reason.PRICE_OFF_TICK)
            new_price = c["price"]
        if c["qty"]:
            self._check_qty(m, c["qty"])
            new_qty = c["qty"]
        if c["price"] or c["qty"]:
            self._check_notional(m, new_price, new_qty)
        if o.flags & Flag.POST_ONLY and self._would_take(m, o.side, new_price):
            raise Rejected(Reason.POST_ONLY_WOULD_TAKE)
        self._ev(
            EventType.AMENDED,
            m.id,
            side=o.side,
            order_id=o.id,
            owner=o.owner,
            price=new_price,
            qty=new_qty,
            remaining=new_qty,
        )
        if new_price == o.price and new_qty <= current:
            old_visible = o.visible
            o.visible = min(o.visible, new_qty)
            o.hidden = new_qty - o.visible
            if o.visible != old_visible:
                self._book_delta(m, o.side, o.price)
            return
        t = Taker(
            id=o.id,
            owner=o.owner,
            side=o.side,
            limit_priced=True,
            tif=TimeInForce.GTC,
            price=new_price,
            remaining=new_qty,
            quote=False,
            stp=o.stp,
            flags=o.flags,
            display=o.display,
            link=o.link,
            link_established=o.link != 0,
        )
        self._take_out(m, o)
        if self._run_taker(m, t):
            self._after_trades(m)

    def _mass_cancel(self, c: dict[str, int]) -> None:
        if c["flags"] & ~int(Flag.ALL_MARKETS):
            raise Rejected(Reason.INVALID_FLAGS)
        if c["flags"] & Flag.ALL_MARKETS:
            targets = [self.markets[k] for k in sorted(self.markets)]
        else:
            targets = [self._market(c["market"])]
        for m in targets:
            ids = [
                o.id
                for side in (BUY, SELL)
                for queue in m.book[side].values()
                for o in queue
                if o.owner == c["owner"]
            ]
            ids += [s.id for s in m.stops if s.owner == c["owner"]]
            for order_id in sorted(ids):
                self._cancel(m, order_id, Reason.MASS_CANCEL)

    # ------------------------------------------------------------------ state
    def canonical_words(self) -> list[int]:
        words: list[int] = [len(self.markets)]
        for mid in sorted(self.markets):
            m = self.markets[mid]
            words += [
                m.id,
                m.tick,
                m.lot,
                m.min_qty,
                m.max_qty,
                m.min_notional,
                m.last_price,
                m.book_seq,
            ]
            for side in (BUY, SELL):
                prices = m.prices_best_first(side)
                words.append(len(prices))
                for price in prices:
                    queue = m.book[side][price]
                    words += [price, len(queue)]
                    for o in queue:
                        words += [o.id, o.owner, o.visible, o.hidden, o.display, o.link]
                        words += [o.stp, o.flags]
            words.append(len(m.stops))
            for s in m.stops:
                words += [s.id, s.owner, s.side, int(s.type), s.stop_price, s.limit_price]
                words += [s.qty, s.watermark, s.link, s.tif, s.stp, s.flags]
        return words

    def state_hash(self) -> int:
        """64-bit FNV-1a over the canonical words, 8 little-endian bytes each."""
        h = 0xCBF29CE484222325
        for word in self.canonical_words():
            for byte in (word & MASK64).to_bytes(8, "little"):
                h = ((h ^ byte) * 0x100000001B3) & MASK64
        return h

    def depth(self, market: int, side: int, levels: int) -> list[tuple[int, int, int]]:
        """(price, visible quantity, order count) from the best level outwards."""
        m = self.markets[market]
        return [
            (p, sum(o.visible for o in m.book[side][p]), len(m.book[side][p]))
            for p in m.prices_best_first(side)[:levels]
        ]

    def best(self, market: int, side: int) -> tuple[int, int] | None:
        m = self.markets[market]
        prices = m.prices_best_first(side)
        if not prices:
            return None
        return prices[0], sum(o.visible for o in m.book[side][prices[0]])


_FIELDS = (
    "type",
    "side",
    "order_type",
    "tif",
    "stp",
    "flags",
    "market",
    "order_id",
    "owner",
    "price",
    "qty",
    "stop_price",
    "visible",
    "link",
)


def events_of(rows: Any) -> list[EventTuple]:
    """Convert an EVENT_DTYPE array (or a list of Event objects) to reference tuples."""
    out: list[EventTuple] = []
    for r in rows:
        if hasattr(r, "as_tuple"):
            out.append(r.as_tuple())
            continue
        out.append(
            (
                int(r["type"]),
                int(r["side"]),
                int(r["reason"]),
                int(r["market"]),
                int(r["order_id"]),
                int(r["maker_id"]),
                int(r["owner"]),
                int(r["maker_owner"]),
                int(r["price"]),
                int(r["qty"]),
                int(r["remaining"]),
                int(r["maker_remaining"]),
                int(r["seq"]),
            )
        )
    return out
