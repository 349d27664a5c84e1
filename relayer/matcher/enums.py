"""Integer enums shared by the compiled engine, the batch record layouts and callers.

The values are part of the engine's stable interface (they appear in packed Command/Event
records and in snapshots); they mirror ``include/tigerex/matcher/types.hpp``.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag


class Side(IntEnum):
    BUY = 0
    SELL = 1


class CommandType(IntEnum):
    PLACE = 1
    CANCEL = 2
    AMEND = 3
    MASS_CANCEL = 4


class OrderType(IntEnum):
    LIMIT = 0
    MARKET = 1
    STOP_MARKET = 2
    STOP_LIMIT = 3
    TAKE_PROFIT_MARKET = 4
    TAKE_PROFIT_LIMIT = 5
    TRAILING_STOP_MARKET = 6


class TimeInForce(IntEnum):
    GTC = 0
    IOC = 1
    FOK = 2


class SelfTradePrevention(IntEnum):
    NONE = 0
    CANCEL_TAKER = 1
    CANCEL_MAKER = 2
    CANCEL_BOTH = 3


class Flag(IntFlag):
    POST_ONLY = 1
    QUOTE_QUANTITY = 2
    TRAIL_BPS = 4
    ALL_MARKETS = 8


class EventType(IntEnum):
    ACCEPTED = 1
    REJECTED = 2
    FILL = 3
    CANCELLED = 4
    TRIGGERED = 5
    EXPIRED = 6
    AMENDED = 7
    BOOK_DELTA = 8


class Reason(IntEnum):
    """Stable codes: 1..63 reject a command (nothing changed); 64.. explain cancels/expiries."""

    OK = 0
    UNKNOWN_MARKET = 1
    DUPLICATE_ORDER_ID = 2
    UNKNOWN_ORDER = 3
    INVALID_ORDER_ID = 4
    INVALID_QUANTITY = 5
    QUANTITY_NOT_LOT_MULTIPLE = 6
    QUANTITY_OUT_OF_RANGE = 7
    INVALID_PRICE = 8
    PRICE_OFF_TICK = 9
    NOTIONAL_TOO_SMALL = 10
    NOTIONAL_OVERFLOW = 11
    POST_ONLY_WOULD_TAKE = 12
    INVALID_SIDE = 13
    INVALID_ORDER_TYPE = 14
    INVALID_TIME_IN_FORCE = 15
    INVALID_SELF_TRADE_PREVENTION = 16
    INVALID_FLAGS = 17
    INVALID_ICEBERG = 18
    INVALID_STOP_PRICE = 19
    STOP_WOULD_TRIGGER = 20
    NO_REFERENCE_PRICE = 21
    INVALID_LINK = 22
    NOT_OWNER = 23
    NOT_AMENDABLE = 24
    INVALID_COMMAND = 25
    MARKET_EXISTS = 26
    INVALID_MARKET_CONFIG = 27
    USER_CANCEL = 64
    SELF_TRADE = 65
    OCO_SIBLING = 66
    MASS_CANCEL = 67
    UNFILLED = 68
    FOK_UNFILLABLE = 69
