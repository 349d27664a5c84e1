"""Handlers: one function per ``Contract:Event``, registered through ``on``.

A handler maps one decoded event to rows of domain tables (decode -> map -> write: it never
touches the database itself; the engine writes every row of a block range in one transaction,
with the checkpoint). The ``Contract`` half of the key is, in order of precedence of meaning:

- a deployments name (``TUSD:Minted``): that instance only;
- a contract type from the build (``TigerUSD:Minted``, ``Exchange:Deposited``): every instance;
- an interface the config detected (``ERC20:Transfer``): every contract of that shape.

Every matching handler runs. Adding the exchange's events is one function each::

    @on("Exchange:Deposited")
    def deposited(event: Event, out: Batch) -> None:
        out.add(ExchangeDeposit, event.key | {"account": event.args["account"], ...})

    registry.event_table(ExchangeDeposit)   # rows keyed (chain_id, tx_hash, log_index)

Domain tables whose rows belong to one log are registered with ``event_table`` (they must have
``chain_id``, ``tx_hash``, ``log_index`` and ``block_number`` columns): a reorg deletes their
rows past the fork point. State derived from such rows (balances) is kept by a ``reducer``
that is applied with ``sign=+1`` when rows are written and ``sign=-1`` when they are rolled back.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table

from indexer.config import ContractConfig
from tigerex.db import Base


@dataclass(slots=True)
class Event:
    """A decoded log, as handlers see it.

    Attributes:
        chain_id / block_number / block_hash / tx_hash / tx_index / log_index: Where it is.
        address: The emitting contract (lower-case hex).
        contract: The contract's config (name, type, interfaces).
        name: The event name.
        args: Decoded arguments (ints as ``int``, addresses lower-case hex).
    """

    chain_id: int
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    address: str
    contract: ContractConfig
    name: str
    args: dict[str, Any]

    @property
    def key(self) -> dict[str, Any]:
        """The columns every per-log domain row starts with."""
        return {
            "chain_id": self.chain_id,
            "tx_hash": self.tx_hash,
            "log_index": self.log_index,
            "block_number": self.block_number,
            "block_hash": self.block_hash,
        }


@dataclass
class Batch:
    """The rows produced for one block range, written in one transaction."""

    events: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[Table, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    unknown: int = 0
    # Contracts created by followed factories in this range (rows of ``indexer_children``).
    children: list[dict[str, Any]] = field(default_factory=list)

    def add(self, model: type[Base], row: dict[str, Any]) -> None:
        """Queue one row of a domain table.

        Args:
            model: The table's model (registered with ``HandlerRegistry.event_table``).
            row: Column values.
        """
        self.tables[model.__table__].append(row)  # type: ignore[index]


Handler = Callable[[Event, Batch], None]
Reducer = Callable[[Connection, int, list[dict[str, Any]], int], None]


class HandlerRegistry:
    """Where handlers, per-log domain tables and reducers are registered."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self.event_tables: list[Table] = []
        self.reducers: dict[Table, list[Reducer]] = defaultdict(list)
        self.state_tables: list[Table] = []
        self._cache: dict[tuple[str, str], tuple[Handler, ...]] = {}

    def on(self, key: str) -> Callable[[Handler], Handler]:
        """Register the decorated function for ``Contract:Event``.

        Args:
            key: ``"<name|type|interface>:<Event>"``.

        Returns:
            The decorator (it returns the function unchanged).

        Raises:
            ValueError: The key is not ``Contract:Event``.
        """
        contract, sep, event = key.partition(":")
        if not (contract and sep and event):
            raise ValueError(f"handler key must be 'Contract:Event', got {key!r}")

        def register(fn: Handler) -> Handler:
            if fn not in self._handlers[key]:
                self._handlers[key].append(fn)
            self._cache.clear()
            return fn

        return register

    def event_table(self, model: type[Base]) -> type[Base]:
        """Declare a domain table whose rows belong to one log (rolled back on reorg).

        Args:
            model: The model; it needs ``chain_id``, ``tx_hash``, ``log_index``, ``block_number``.

        Returns:
            The model.
        """
        table: Table = model.__table__  # type: ignore[assignment]
        missing = {"chain_id", "tx_hash", "log_index", "block_number"} - set(table.columns.keys())
        if missing:
            raise ValueError(f"{table.name} lacks {sorted(missing)} for an event table")
        if table not in self.event_tables:
            self.event_tables.append(table)
        return model

    def state_table(self, model: type[Base]) -> type[Base]:
        """Declare a table of derived state (kept by reducers; emptied on a full re-index).

        Args:
            model: The model; it needs a ``chain_id`` column.

        Returns:
            The model.
        """
        table: Table = model.__table__  # type: ignore[assignment]
        if table not in self.state_tables:
            self.state_tables.append(table)
        return model

    def reducer(self, model: type[Base]) -> Callable[[Reducer], Reducer]:
        """Register the decorated function to keep derived state from ``model``'s rows.

        Args:
            model: An event table.

        Returns:
            The decorator.
        """

        def register(fn: Reducer) -> Reducer:
            table: Table = model.__table__  # type: ignore[assignment]
            if fn not in self.reducers[table]:
                self.reducers[table].append(fn)
            return fn

        return register

    def handlers_for(self, contract: ContractConfig, event: str) -> tuple[Handler, ...]:
        """Every handler for an event of a contract (name, then type, then interfaces).

        Args:
            contract: The emitting contract.
            event: The event name.

        Returns:
            The handlers, each once.
        """
        cache_key = (contract.address, event)
        found = self._cache.get(cache_key)
        if found is None:
            keys = [contract.name, contract.contract_type, *sorted(contract.interfaces)]
            ordered: list[Handler] = []
            for prefix in keys:
                for fn in self._handlers.get(f"{prefix}:{event}", []):
                    if fn not in ordered:
                        ordered.append(fn)
            found = tuple(ordered)
            self._cache[cache_key] = found
        return found

    def keys(self) -> list[str]:
        """The registered ``Contract:Event`` keys."""
        return sorted(k for k, v in self._handlers.items() if v)


registry = HandlerRegistry()
on = registry.on

# Handler modules register themselves on import; a new contract's module is added here.
HANDLER_MODULES = (
    "indexer.handlers.tokens",
    "indexer.handlers.exchange",
    "indexer.handlers.custody",
    "indexer.handlers.earn",
)


def load_handlers() -> HandlerRegistry:
    """Import every handler module (idempotent) and return the registry.

    Returns:
        The process-wide registry.
    """
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    return registry
