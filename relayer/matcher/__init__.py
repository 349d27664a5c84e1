"""Compiled matching engine of the TigerEx relayer and custodial exchange.

The C++ core (``relayer/matcher/src``) is deterministic and free of I/O: a command goes in, a
result code and events come out. This module gives it a typed Python face:

* single-command methods on :class:`Engine` (``place_limit``, ``place_market``, ``place_stop``,
  ``cancel``, ``amend``, ``mass_cancel``) return the events as a list and raise an
  :class:`~relayer.matcher.errors.OrderRejected` subclass (reason code on ``.code``) when the
  command is rejected - in which case nothing changed;
* :meth:`Engine.execute_batch` runs a NumPy array of :data:`COMMAND_DTYPE` records with the GIL
  released and returns a NumPy array of :data:`EVENT_DTYPE` records (rejections are
  ``EventType.REJECTED`` events there, not exceptions).

Units: prices are integers in the market's price unit (multiples of the tick size), quantities
integers in its base unit (multiples of the lot size); see ``types.hpp`` for the full contract.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from relayer.matcher import _engine
from relayer.matcher._engine import Event, Level, OrderInfo
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
from relayer.matcher.errors import (
    DuplicateOrderId,
    EngineBusy,
    InvalidNotional,
    InvalidPrice,
    InvalidQuantity,
    InvariantViolation,
    MarketConfigError,
    MatcherError,
    NotOwner,
    OrderRejected,
    PostOnlyWouldTake,
    SnapshotError,
    UnknownMarket,
    UnknownOrder,
    error_for,
)

__all__ = [
    "COMMAND_DTYPE",
    "EVENT_DTYPE",
    "CommandType",
    "DuplicateOrderId",
    "Engine",
    "EngineBusy",
    "Event",
    "EventType",
    "Flag",
    "InvalidNotional",
    "InvalidPrice",
    "InvalidQuantity",
    "InvariantViolation",
    "Level",
    "MarketConfigError",
    "MatcherError",
    "NotOwner",
    "OrderInfo",
    "OrderRejected",
    "OrderType",
    "PostOnlyWouldTake",
    "Reason",
    "SelfTradePrevention",
    "Side",
    "SnapshotError",
    "TimeInForce",
    "UnknownMarket",
    "UnknownOrder",
    "command",
    "new_commands",
]

#: Layout of one packed command record (``tigerex::matcher::Command``, 72 bytes).
COMMAND_DTYPE = np.dtype(
    [
        ("type", "u1"),
        ("side", "u1"),
        ("order_type", "u1"),
        ("tif", "u1"),
        ("stp", "u1"),
        ("flags", "u1"),
        ("reserved0", "<u2"),
        ("market", "<u4"),
        ("reserved1", "<u4"),
        ("order_id", "<u8"),
        ("owner", "<u8"),
        ("price", "<i8"),
        ("qty", "<i8"),
        ("stop_price", "<i8"),
        ("visible", "<i8"),
        ("link", "<u8"),
    ]
)

#: Layout of one packed event record (``tigerex::matcher::Event``, 88 bytes).
EVENT_DTYPE = np.dtype(
    [
        ("type", "u1"),
        ("side", "u1"),
        ("reason", "<u2"),
        ("market", "<u4"),
        ("order_id", "<u8"),
        ("maker_id", "<u8"),
        ("owner", "<u8"),
        ("maker_owner", "<u8"),
        ("price", "<i8"),
        ("qty", "<i8"),
        ("remaining", "<i8"),
        ("maker_remaining", "<i8"),
        ("seq", "<u8"),
        ("command", "<u4"),
        ("reserved", "<u4"),
    ]
)

assert COMMAND_DTYPE.itemsize == _engine.COMMAND_SIZE
assert EVENT_DTYPE.itemsize == _engine.EVENT_SIZE


def _raise_factory(code: int, order_id: int, market: int, detail: str) -> MatcherError:
    return error_for(code, order_id, market, detail)


_engine._set_error_factory(_raise_factory)


def new_commands(count: int) -> npt.NDArray[np.void]:
    """Allocate zeroed command records.

    Args:
        count: number of records.

    Returns:
        A C-contiguous array of :data:`COMMAND_DTYPE`.
    """
    return np.zeros(count, dtype=COMMAND_DTYPE)


def command(type: CommandType, **fields: Any) -> npt.NDArray[np.void]:
    """Build a one-record command array (handy in tests and tools, not on hot paths).

    Args:
        type: the command type.
        **fields: any :data:`COMMAND_DTYPE` field by name.

    Returns:
        An array of length one.

    Raises:
        ValueError: a field name is not part of :data:`COMMAND_DTYPE`.
    """
    rec = new_commands(1)
    rec["type"] = int(type)
    for name, value in fields.items():
        if name not in (COMMAND_DTYPE.names or ()) or name == "type":
            raise ValueError(f"unknown command field {name!r}")
        rec[name] = int(value)
    return rec


class Engine(_engine.Engine):
    """Deterministic multi-market matching engine (see the module docstring)."""

    def execute_batch(self, commands: npt.NDArray[np.void]) -> npt.NDArray[np.void]:
        """Run many commands at once with the GIL released.

        Args:
            commands: a 1-d array of :data:`COMMAND_DTYPE` records.

        Returns:
            The events of all commands as an array of :data:`EVENT_DTYPE`; the ``command``
            field is the index of the command that produced each event.

        Raises:
            TypeError: the array does not have :data:`COMMAND_DTYPE`.
        """
        if commands.dtype != COMMAND_DTYPE:
            raise TypeError(f"expected dtype COMMAND_DTYPE, got {commands.dtype}")
        raw = self._execute_batch(np.ascontiguousarray(commands))
        return np.frombuffer(raw, dtype=EVENT_DTYPE)

    def validate(self) -> None:
        """Check every book invariant.

        Raises:
            InvariantViolation: an invariant does not hold (this is always an engine bug).
        """
        problem = self._validate()
        if problem:
            raise InvariantViolation(problem)

    def restore(self, data: bytes) -> None:
        """Replace the whole state with a snapshot taken by :meth:`snapshot`.

        Args:
            data: the snapshot bytes.

        Raises:
            SnapshotError: the bytes are not a valid snapshot; the engine is unchanged.
        """
        problem = self._restore(bytes(data))
        if problem:
            raise SnapshotError(problem)

    @classmethod
    def from_snapshot(cls, data: bytes) -> Engine:
        """Create an engine from a snapshot.

        Args:
            data: the snapshot bytes.

        Returns:
            A new engine whose future events equal the original's for the same commands.

        Raises:
            SnapshotError: the bytes are not a valid snapshot.
        """
        engine = cls()
        engine.restore(data)
        return engine
