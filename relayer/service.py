"""The relayer service: order intake, one matching engine per market, the journal, market data.

Flow of an order (``submit``):

1. **Validation, concurrent and side-effect free**: market known and active, domain, options,
   price / quantity / notional / fee cap, expiry, EIP-712 signature (ECDSA with low s, or
   EIP-1271 ``isValidSignature`` for contract makers), not already in the journal, not filled
   or cancelled on chain, epoch not stale. Chain views are read in one JSON-RPC batch per
   request; vault balances and epochs are cached for ``balance_ttl`` seconds.
2. **The sequencer** (one task; the single writer of engines and journal) checks funds against
   the in-memory reservations (vault balance - pending withdrawal - open orders - unsettled
   fills), gives the order the next journal ``seq``, runs it through its market's engine, and
   commits the order, its fills, the makers' updates and any cancels in ONE transaction.
3. Only after that commit are the orders acknowledged and the fills / book deltas published.

Funds rejected on a cached balance are re-checked once against a fresh chain read before the
order is refused. Restart: each market's engine is restored from its latest snapshot and the
journal's orders and cancels after it are replayed in ``seq`` order (the engine is
deterministic, so the book and every fill come out identical; fills are already journaled with
their order and are not written again). Reservations are rebuilt from open orders and fills
that are not final on chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import heapq
import logging
import time
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol, TypeVar

from eth_utils import to_checksum_address
from eth_utils.abi import event_abi_to_log_topic
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.contract import Contract

from relayer import conditional, marketdata, matcher
from relayer.cancels import CancelOrders, cancel_digest
from relayer.chainview import EIP1271_MAGIC, Call, ExchangeReader
from relayer.errors import (
    CancelInvalid,
    DomainMismatch,
    EpochStale,
    FeeBelowMarket,
    InsufficientFunds,
    MarketInactive,
    MarketUnknown,
    NoLastPrice,
    NotionalTooSmall,
    OcoLinkInvalid,
    OrderCancelledOnChain,
    OrderExists,
    OrderExpired,
    OrderFilledOnChain,
    OrderNotOpen,
    OrderOptionInvalid,
    OrderRejected,
    PostOnlyWouldTake,
    PriceInvalid,
    QuantityInvalid,
    RelayerError,
    RelayerUnavailable,
    SignatureInvalid,
    StopWouldTrigger,
)
from relayer.hashfilter import OrderHashFilter
from relayer.hub import Hub, Message, Subscriber
from relayer.journal import PENDING_FILL_STATUSES, Journal, JournalTx
from relayer.matcher import EventType, MatcherError, Side, TimeInForce
from relayer.models import (
    CANCEL_CHAIN,
    CANCEL_EXPIRED,
    CANCEL_FUNDS,
    CANCEL_MAKER,
    CANCEL_OCO,
    CANCEL_SETTLEMENT,
    FILL_PENDING,
    ORDER_CANCELLED,
    ORDER_EXPIRED,
    ORDER_FILLED,
    ORDER_OPEN,
    ORDER_PENDING,
    RelayerFill,
    RelayerOrder,
)
from relayer.orders import Market, Order, OrderError, domain_separator
from relayer.settings import RelayerSettings
from relayer.signatures import order_digest, recover_digest_bytes
from tigerex.chain import connect
from tigerex.deployments import ContractRegistry, DeploymentsFile
from tigerex.settings import Settings

log = logging.getLogger(__name__)

ORDER_TYPES: Final = conditional.ORDER_TYPES
TIME_IN_FORCE: Final = conditional.TIME_IN_FORCE
#: The engine's bounds: quantities up to 2**48 lots, price * quantity inside int64.
MAX_ENGINE_QUANTITY: Final = 1 << 48
MAX_ENGINE_NOTIONAL: Final = (1 << 63) - 1
_TIF = {"gtc": TimeInForce.GTC, "ioc": TimeInForce.IOC, "fok": TimeInForce.FOK}
_RECENT_HASHES = 200_000
_LOG_SPAN = 10_000  # blocks per eth_getLogs while indexing order events at start-up
_PARALLEL_RECOVERY_FROM = 64  # orders in one request
# Reading the journal back after a refused commit, while the database is unreachable.
_REBUILD_RETRY_FIRST = 0.5
_REBUILD_RETRY_MAX = 10.0
_ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
_PLAIN = conditional.PLAIN
_LIVE_STATUSES = (ORDER_OPEN, ORDER_PENDING)
_CONDITIONAL_TYPES = conditional.CONDITIONAL_TYPES
_SHOWS_REMAINING = (ORDER_OPEN, ORDER_PENDING, "triggered")
_ENGINE_REASONS: dict[int, type[OrderRejected]] = {
    int(matcher.Reason.POST_ONLY_WOULD_TAKE): PostOnlyWouldTake,
    int(matcher.Reason.PRICE_OFF_TICK): PriceInvalid,
    int(matcher.Reason.INVALID_PRICE): PriceInvalid,
    int(matcher.Reason.NOTIONAL_TOO_SMALL): NotionalTooSmall,
    int(matcher.Reason.NOTIONAL_OVERFLOW): QuantityInvalid,
    int(matcher.Reason.INVALID_QUANTITY): QuantityInvalid,
    int(matcher.Reason.QUANTITY_OUT_OF_RANGE): QuantityInvalid,
    int(matcher.Reason.QUANTITY_NOT_LOT_MULTIPLE): QuantityInvalid,
    int(matcher.Reason.STOP_WOULD_TRIGGER): StopWouldTrigger,
    int(matcher.Reason.NO_REFERENCE_PRICE): NoLastPrice,
    int(matcher.Reason.INVALID_LINK): OcoLinkInvalid,
    int(matcher.Reason.INVALID_ICEBERG): OrderOptionInvalid,
    int(matcher.Reason.INVALID_STOP_PRICE): OrderOptionInvalid,
}

T = TypeVar("T")


def owner_id(maker: str) -> int:
    """The engine's owner id of a maker: the first 8 bytes of the address."""
    return int(maker[2:18], 16)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# ----------------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class MarketConfig:
    """A market as the relayer serves it: the contract's parameters plus relayer rules."""

    market: Market
    min_notional: int  # quote base units

    @property
    def market_id(self) -> int:
        return self.market.market_id

    @property
    def engine_min_notional(self) -> int:
        """min_notional in the engine's unit (lots * ticks): ceil(min / tick_size)."""
        return -(-self.min_notional // self.market.tick_size)


@dataclass(slots=True)
class Submission:
    """An order as posted: the signed fields, the signature and how the relayer handles it."""

    order: Order
    signature: bytes
    time_in_force: str = "gtc"
    order_type: str = "limit"
    chain_id: int | None = None
    exchange: str | None = None
    options: conditional.OrderOptions = conditional.PLAIN  # trigger, trailing, iceberg, OCO


@dataclass(slots=True)
class FillView:
    fill_id: int
    market_id: int
    maker_order_hash: str
    taker_order_hash: str
    maker: str
    taker: str
    price_ticks: int
    quantity_lots: int
    taker_is_buy: bool
    status: str
    created_at: datetime


@dataclass(slots=True)
class OrderAck:
    order_hash: str
    seq: int
    status: str
    matched_lots: int
    remaining_lots: int
    fills: list[FillView] = field(default_factory=list)


@dataclass(slots=True)
class LiveOrder:
    """An order resting in an engine, with what it reserves."""

    order_hash: str
    seq: int
    maker: str
    market_id: int
    is_buy: bool
    price_ticks: int
    quantity_lots: int
    expiry: int
    epoch: int
    token: str  # what it pays: quote for a buy, base for a sell
    unit: int  # base units per lot (sell) or quote units per lot at its limit (buy)
    remaining: int
    matched: int = 0
    expired: bool = False
    order_type: str = "limit"
    options: conditional.OrderOptions = conditional.PLAIN
    pending: bool = False  # a conditional order whose trigger has not fired
    partner: str | None = None  # OCO partner's order_hash while the pair stands
    # What the OCO partner's reservation already covers (both legs waiting for a trigger: only
    # one can ever trade, and neither signature is public, so the pair reserves the larger).
    shared: int = 0
    # A waiting trailing stop: its peak (sell) / trough (buy) last price, as the engine keeps
    # it, refreshed after each committed step that traded in its market; else 0.
    watermark: int = 0

    @property
    def reserved(self) -> int:
        """What this order adds to its maker's reservation of ``token``."""
        return self.remaining * self.unit - self.shared


@dataclass(slots=True)
class _Checked:
    """A submission that passed validation and waits for the sequencer."""

    sub: Submission
    digest: bytes
    order_hash: str
    config: MarketConfig
    token: str
    unit: int
    available: int  # vault balance - pending withdrawal, as read
    fresh: bool  # read from the chain for this request (not from the cache)
    index: int  # position in the request
    # filled / cancelled read from the chain for this request; False when no OrderFilled or
    # OrderCancelled event named the hash, so no read was needed (see ``_on_chain``)
    chain_read: bool = True


class _OrderFields(Protocol):
    """What replay and intake read of an order: a journal row or a :class:`_NewOrder`."""

    order_hash: str
    seq: int
    maker: str
    market_id: int
    is_buy: bool
    price_ticks: int
    quantity_lots: int
    expiry: int
    epoch: int
    order_type: str
    time_in_force: str
    matched_lots: int
    status: str
    trigger_price: int | None
    trailing_delta: int | None
    trailing_bps: int | None
    display_lots: int | None
    oco_with: str | None
    oco_link_seq: int | None


class _NewOrder:
    """The journal row of an order being accepted, without the ORM's per-instance cost."""

    # Options a plain order leaves out of its row (relayer/conditional.py).
    trigger_price: int | None = None
    trailing_delta: int | None = None
    trailing_bps: int | None = None
    display_lots: int | None = None
    oco_with: str | None = None
    oco_link_seq: int | None = None

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __getattr__(self, name: str) -> Any:  # typed access for mypy; fields set in __init__
        raise AttributeError(name)


class _NeedsFreshBalance:
    """Sequencer answer: the cached balance is too small, or an event named the order after
    validation skipped reading its state; re-read the chain and try again."""


_NEEDS_FRESH = _NeedsFreshBalance()
Result = OrderAck | OrderRejected


@dataclass(frozen=True, slots=True)
class _ReplayedMarket:
    engine: matcher.Engine
    book_seq: int
    snapshot_seq: int
    replayed: int


@dataclass(frozen=True, slots=True)
class _JournalImage:
    """What a rebuild reads from the journal, with the engines already replayed. Built off
    the event loop (it waits on the database and may fail there) from nothing the service
    holds; applied on the loop in one synchronous step, so no request ever sees half a book."""

    seq: int
    fill_id: int
    markets: dict[int, _ReplayedMarket]
    open_orders: list[RelayerOrder]
    closed_elsewhere: list[RelayerOrder]
    pending_fills: list[tuple[RelayerFill, RelayerOrder, RelayerOrder]]


@dataclass(slots=True)
class _Work:
    kind: str  # "place" | "cancel" | "call"
    payload: Any
    future: asyncio.Future[Any]


class _HashLookup:
    """Which order hashes the journal already has, one SQL query for all concurrent callers
    (the same coalescing as :class:`ExchangeReader`: the next query carries every hash that
    arrived while the previous one ran).

    ``known`` holds every journaled hash (:class:`OrderHashFilter`): a hash it has certainly
    never seen skips the query, so a new order costs no database read and no thread hop.
    """

    def __init__(self, lookup: Callable[[list[str]], set[str]]) -> None:
        self._lookup = lookup
        self.known = OrderHashFilter()
        self._waiting: list[tuple[list[str], asyncio.Future[set[str]]]] = []
        self._flushing = False

    async def check(self, hashes: list[str]) -> set[str]:
        hashes = [h for h in hashes if self.known.may_contain(bytes.fromhex(h[2:]))]
        if not hashes:
            return set()
        future: asyncio.Future[set[str]] = asyncio.get_running_loop().create_future()
        self._waiting.append((hashes, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    found = await asyncio.to_thread(
                        self._lookup, [h for hashes, _f in group for h in hashes]
                    )
                except Exception as err:
                    for _hashes, future in group:
                        if not future.done():
                            future.set_exception(err)
                    continue
                for _hashes, future in group:
                    if not future.done():
                        future.set_result(found)
        finally:
            self._flushing = False


#: Young (generation 1) collections between two full ones; CPython's default is 10.
_FULL_COLLECTION_EVERY = 1_000
_default_gc_thresholds: tuple[int, int, int] | None = None


def _tune_garbage_collector() -> None:
    """Keep full garbage collections, which stop the event loop, rare and small.

    A full collection walks every tracked object: with web3, SQLAlchemy, FastAPI and pydantic
    loaded that is ~200,000 objects, 100-200 ms, every few seconds under intake load (it was
    the p99 of the single-order endpoint). So every object alive now (the libraries, the
    rebuilt books) is frozen: never walked again (garbage is collected first so none is
    frozen). What comes later is collected as usual by the young generations; a full
    collection then walks the book (one object per resting order) and what intake promoted,
    30-40 ms at 50,000 resting orders on this machine, and CPython would run one about every
    10 young-generation-1 collections (each second at 1,000 orders/s, reclaiming nothing): now
    every 1,000. Cyclic garbage that outlives two young collections waits that long.
    :meth:`RelayerService.stop` undoes both.
    """
    global _default_gc_thresholds
    gc.collect()
    gc.freeze()
    if _default_gc_thresholds is None:
        _default_gc_thresholds = gc.get_threshold()
        gc.set_threshold(*_default_gc_thresholds[:2], _FULL_COLLECTION_EVERY)


def _restore_garbage_collector() -> None:
    global _default_gc_thresholds
    gc.unfreeze()  # what the service held can be collected again once it is garbage
    if _default_gc_thresholds is not None:
        gc.set_threshold(*_default_gc_thresholds)
        _default_gc_thresholds = None


def _side(is_buy: bool) -> Side:
    return Side.BUY if is_buy else Side.SELL


def _book_seq_of(snapshot: bytes) -> int:
    """The book sequence number of a one-market engine snapshot (see engine.hpp's layout:
    magic, n_markets, then id, tick, lot, min_qty, max_qty, min_notional, last_price, book_seq)."""
    offset = 8 + 8 * 8
    return int.from_bytes(snapshot[offset : offset + 8], "little")


def load_markets(
    exchange: Contract, from_block: int, only: Sequence[int] | None, min_notional: int
) -> dict[int, MarketConfig]:
    """Every market the Exchange created (or ``only`` those), read with ``market(id)``."""
    ids = (
        list(only)
        if only is not None
        else sorted(
            {
                int(entry["args"]["marketId"])
                for entry in exchange.events.MarketCreated.get_logs(from_block=from_block)
            }
        )
    )
    markets: dict[int, MarketConfig] = {}
    for market_id in ids:
        config = read_market(exchange, market_id, min_notional)
        if config is not None:
            markets[market_id] = config
    return markets


def read_market(exchange: Contract, market_id: int, min_notional: int) -> MarketConfig | None:
    info = exchange.functions.market(market_id).call()
    base, quote, lot, tick, min_qty, maker_fee, taker_fee, active = info[:8]
    if base == _ZERO_ADDRESS:
        return None
    market = Market(
        market_id=market_id,
        base=to_checksum_address(base),
        quote=to_checksum_address(quote),
        lot_size=lot,
        tick_size=tick,
        min_quantity_lots=min_qty,
        maker_fee_bps=maker_fee,
        taker_fee_bps=taker_fee,
        active=active,
    )
    return MarketConfig(market=market, min_notional=min_notional)


# ---------------------------------------------------------------------------------- service


class RelayerService:
    """Owns the engines, reservations and WebSocket hub of one relayer process.

    Args:
        w3: connection to the node (for start-up reads and the chain-event poller).
        exchange: the Exchange contract (address + ABI from the deployments registry).
        exchange_block: its deploy block (where MarketCreated events start).
        factory: SQL sessions of the journal database.
        settings: relayer settings.
        rpc_url: the node's URL for batched intake reads.
    """

    def __init__(
        self,
        *,
        w3: Web3,
        exchange: Contract,
        exchange_block: int,
        factory: sessionmaker[Session],
        settings: RelayerSettings,
        rpc_url: str,
    ) -> None:
        self.w3 = w3
        self.exchange = exchange
        self.exchange_address = to_checksum_address(exchange.address)
        self.exchange_block = exchange_block
        self.settings = settings
        self.factory = factory
        self.journal = Journal(factory)
        self.reader = ExchangeReader(rpc_url, self.exchange_address)
        self._journaled = _HashLookup(self.journal.existing_hashes)
        self.hub = Hub()
        self.chain_id = w3.eth.chain_id
        self.separator = domain_separator(self.chain_id, self.exchange_address)
        self.markets: dict[int, MarketConfig] = {}
        self.engines: dict[int, matcher.Engine] = {}
        self.book_seq: dict[int, int] = {}
        self._live: dict[str, LiveOrder] = {}
        self._by_seq: dict[int, LiveOrder] = {}
        self._by_maker: dict[str, set[str]] = defaultdict(set)
        self._trailing: dict[int, set[int]] = defaultdict(set)  # market -> waiting trailing seqs
        self._expiries: list[tuple[int, int]] = []  # heap of (expiry, seq)
        self._reserved: dict[tuple[str, str], int] = defaultdict(int)
        self._outflows: dict[int, tuple[tuple[str, str, int], ...]] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._vault: dict[tuple[str, str], tuple[int, float]] = {}
        self._epochs: dict[tuple[str, int], tuple[int, float]] = {}
        self._has_code: dict[str, bool] = {}
        # Every order hash an OrderFilled or OrderCancelled event named (start-up scan from the
        # Exchange's deploy block, then the sweep): the contract writes an order's filled /
        # cancelled state only with one of them, so a hash absent here needs no chain read.
        self._on_chain = OrderHashFilter()
        # False (switched off, or the scan failed): intake reads every order's state
        self._on_chain_indexed = False
        self._order_event_topics: dict[bytes, str] = {}
        for abi in exchange.abi:
            name = abi.get("name")
            if abi.get("type") == "event" and name in ("OrderFilled", "OrderCancelled"):
                topic = event_abi_to_log_topic(abi)  # type: ignore[arg-type]
                self._order_event_topics[bytes(topic)] = str(name)
        self._seq = 0
        self._fill_id = 0
        self._snapshot_seq: dict[int, int] = {}
        self._changed_since_snapshot: set[int] = set()
        self._queue: asyncio.Queue[_Work] | None = None
        # The journal has one writer at a time: the sequencer's commits and snapshot saves.
        self._journal_writer = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[Any]] = set()
        self._log_block: int | None = None
        self._traded: set[int] = set()
        self._orphans: list[str] = []
        self._closed_checked_at = datetime.now(UTC)
        self._ready = False
        self._unavailable = "starting"

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        relayer_settings: RelayerSettings,
        factory: sessionmaker[Session],
    ) -> RelayerService:
        """A service for the kernel settings' chain and deployments file.

        Raises:
            ChainUnreachable, ChainIdMismatch, DeploymentNotFound: from the kernel.
        """
        w3 = connect(settings.rpc_url, expected_chain_id=settings.chain_id)
        registry = ContractRegistry(w3, DeploymentsFile.load(settings.deployments_file))
        entry = registry.deployments.get(relayer_settings.exchange)
        return cls(
            w3=w3,
            exchange=registry.contract(relayer_settings.exchange),
            exchange_block=entry.block_number,
            factory=factory,
            settings=relayer_settings,
            rpc_url=settings.rpc_url,
        )

    # ------------------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Load markets, rebuild every book from snapshot + journal, start the background
        tasks (sequencer, sweeper, snapshots)."""
        await asyncio.to_thread(self._load)
        self.journal.start()
        self._queue = asyncio.Queue()
        self._tasks = [
            asyncio.create_task(self._sequencer(), name="relayer-sequencer"),
            asyncio.create_task(self._every(self.settings.poll_interval, self.sweep)),
            asyncio.create_task(self._every(self.settings.snapshot_interval, self.snapshot)),
        ]
        self._ready = True
        await self.cancel_orders(self._orphans, CANCEL_SETTLEMENT)
        try:
            await self.recheck_live_orders()
        except RelayerError:
            log.exception("re-checking open orders against the chain failed; the sweep goes on")
        _tune_garbage_collector()

    async def stop(self) -> None:
        self._ready = False
        self._unavailable = "stopping"
        tasks = [*self._tasks, *self._background]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        await self.reader.close()
        self.journal.close()
        _restore_garbage_collector()

    @property
    def ready(self) -> bool:
        return self._ready

    @property
    def unavailable_reason(self) -> str:
        """Why requests are refused right now ("" when ready)."""
        return "" if self._ready else self._unavailable

    def _load(self) -> None:
        self.markets = load_markets(
            self.exchange, self.exchange_block, self.settings.markets, self.settings.min_notional
        )
        self._log_block = self.w3.eth.block_number
        if self.settings.order_state_from_events:
            self._index_order_events(self._log_block)
        self._rebuild()
        for order_hash in self.journal.order_hashes():
            self._journaled.known.add(bytes.fromhex(order_hash[2:]))

    def _index_order_events(self, to_block: int) -> None:
        """Put every order hash named by an OrderFilled or OrderCancelled event up to
        ``to_block`` into ``_on_chain`` (the sweep adds later blocks). If the node refuses the
        scan, intake reads every order's state from the chain instead."""
        start = self.exchange_block
        try:
            while start <= to_block:
                end = min(start + _LOG_SPAN - 1, to_block)
                for entry in self.w3.eth.get_logs(
                    {
                        "address": self.exchange_address,
                        "fromBlock": start,
                        "toBlock": end,
                        "topics": [["0x" + t.hex() for t in self._order_event_topics]],
                    }
                ):
                    topics = [bytes(t) for t in entry["topics"]]
                    if self._order_event_topics.get(topics[0]) == "OrderCancelled":
                        self._on_chain.add(topics[1])
                    else:  # OrderFilled(makerOrderHash, takerOrderHash: zero for fillOrder)
                        self._mark_filled(topics[1], topics[2])
                start = end + 1
        except Exception:
            log.warning(
                "indexing OrderFilled/OrderCancelled failed: every order's state will "
                "be read from the chain",
                exc_info=True,
            )
            return
        self._on_chain_indexed = True

    def _mark_filled(self, maker_hash: bytes, taker_hash: bytes) -> None:
        self._on_chain.add(maker_hash)
        if any(taker_hash):
            self._on_chain.add(taker_hash)

    def _rebuild(self) -> None:
        """Engines from snapshot + journal, then live orders and reservations from SQL."""
        self._apply_image(self._read_journal())

    def _read_journal(self) -> _JournalImage:
        """Everything a rebuild needs from the journal; touches no state of the service."""
        seq, fill_id = self.journal.counters()
        return _JournalImage(
            seq=seq,
            fill_id=fill_id,
            markets={market_id: self._replay_market(market_id) for market_id in self.markets},
            open_orders=self.journal.open_orders(),
            closed_elsewhere=self.journal.closed_elsewhere(None),
            pending_fills=self.journal.pending_fills(),
        )

    def _apply_image(self, image: _JournalImage) -> None:
        """Replace the books, live orders and reservations with ``image`` (no I/O)."""
        self._seq, self._fill_id = image.seq, image.fill_id
        # After a refused commit the orders of that step were never journaled: they may be
        # submitted again (the journal itself answers for what it holds).
        self._recent.clear()
        self.engines.clear()
        for market_id, replayed in image.markets.items():
            self.engines[market_id] = replayed.engine
            self.book_seq[market_id] = replayed.book_seq
            self._snapshot_seq[market_id] = replayed.snapshot_seq
            if replayed.replayed:
                self._changed_since_snapshot.add(market_id)
        self._live.clear()
        self._by_seq.clear()
        self._by_maker.clear()
        self._expiries.clear()
        self._trailing.clear()
        self._reserved.clear()
        self._outflows.clear()
        links: list[tuple[LiveOrder, int]] = []
        for row in image.open_orders:
            config = self.markets.get(row.market_id)
            engine = self.engines.get(row.market_id)
            if config is None or engine is None:
                continue
            info = engine.order(row.seq)
            if info is None:
                log.error("journal says %s is open but the rebuilt book lacks it", row.order_hash)
                continue
            self._restore_live(row, config, info, links)
        # Orders another writer closed while the book still held them: back in as live so the
        # sequencer can take them off (journaled) once it runs; see start().
        self._orphans = []
        for row in image.closed_elsewhere:
            config = self.markets.get(row.market_id)
            engine = self.engines.get(row.market_id)
            info = engine.order(row.seq) if engine is not None else None
            if config is None or info is None or row.order_hash in self._live:
                continue
            self._orphans.append(self._restore_live(row, config, info, links).order_hash)
        self._restore_links(links)
        for fill, maker, taker in image.pending_fills:
            config = self.markets.get(fill.market_id)
            if config is None:
                continue
            self._track_outflows(
                fill.id,
                config,
                maker.maker,
                maker.is_buy,
                taker.maker,
                fill.price_ticks,
                fill.quantity_lots,
            )

    def _restore_live(
        self,
        row: RelayerOrder,
        config: MarketConfig,
        info: matcher.OrderInfo,
        links: list[tuple[LiveOrder, int]],
    ) -> LiveOrder:
        """A journaled order back among the live ones, as far as the rebuilt engine has it;
        its OCO link is appended to ``links`` (restored once every order is back)."""
        live = self._live_order(row, config)
        live.remaining = info.remaining
        live.matched = row.quantity_lots - info.remaining
        live.pending = not info.resting
        if info.link:
            links.append((live, info.link))
        self._add_live(live)
        self._reserved[(live.maker, live.token)] += live.remaining * live.unit
        return live

    def _replay_market(self, market_id: int) -> _ReplayedMarket:
        config = self.markets[market_id]
        snapshot = self.journal.latest_snapshot(market_id)
        if snapshot is not None:
            engine = matcher.Engine.from_snapshot(snapshot.blob)
            after = snapshot.seq
        else:
            engine = matcher.Engine()
            engine.add_market(
                market_id, tick_size=1, lot_size=1, min_qty=1, max_qty=MAX_ENGINE_QUANTITY
            )
            after = 0
        replayed = 0
        for _seq, entry in self.journal.entries_after(market_id, after):
            replayed += 1
            try:
                if isinstance(entry, RelayerOrder):
                    self._engine_place(engine, entry, config)
                else:
                    order_seq, maker = entry
                    engine.cancel(market_id, order_seq, owner_id(maker))
            except MatcherError as err:
                # The live path refused the same command the same way and journaled nothing
                # for it, or the cancel raced a fill: nothing to redo.
                log.debug("replay of seq %s: %s", _seq, err)
        log.info("market %s: snapshot after %s, %s entries replayed", market_id, after, replayed)
        return _ReplayedMarket(
            engine=engine,
            book_seq=_book_seq_of(engine.snapshot()),
            snapshot_seq=after,
            replayed=replayed,
        )

    @staticmethod
    def _engine_place(engine: matcher.Engine, row: _OrderFields, config: MarketConfig) -> Any:
        return conditional.place(engine, row, owner_id(row.maker), _side(row.is_buy))

    def _live_order(self, row: _OrderFields, config: MarketConfig) -> LiveOrder:
        market = config.market
        return LiveOrder(
            order_hash=row.order_hash,
            seq=row.seq,
            maker=row.maker,
            market_id=row.market_id,
            is_buy=row.is_buy,
            price_ticks=row.price_ticks,
            quantity_lots=row.quantity_lots,
            expiry=row.expiry,
            epoch=row.epoch,
            token=market.quote if row.is_buy else market.base,
            unit=row.price_ticks * market.tick_size if row.is_buy else market.lot_size,
            remaining=row.quantity_lots - row.matched_lots,
            matched=row.matched_lots,
            order_type=row.order_type,
            options=conditional.options_of(row) if conditional.has_options(row) else _PLAIN,
            pending=row.status == ORDER_PENDING,
        )

    def _restore_links(self, links: list[tuple[LiveOrder, int]]) -> None:
        """OCO pairs of a rebuilt book (the engine keeps the links): partners, and the shared
        reservation of two waiting legs, exactly as when the later leg was placed."""
        for live, partner_seq in links:
            partner = self._by_seq.get(partner_seq)
            if partner is None:
                continue
            live.partner = partner.order_hash
            if live.pending and partner.pending and live.seq > partner.seq:
                live.shared = min(live.remaining * live.unit, partner.remaining * partner.unit)
                self._reserved[(live.maker, live.token)] -= live.shared

    def _unlink(self, live: LiveOrder) -> None:
        """``live`` left the book: its OCO partner stands alone and reserves in full again."""
        partner = self._live.get(live.partner) if live.partner is not None else None
        live.partner = None
        if partner is None:
            return
        partner.partner = None
        if partner.shared:
            self._reserved[(partner.maker, partner.token)] += partner.shared
            partner.shared = 0

    def _link(
        self, live: LiveOrder, partner: LiveOrder, engine: matcher.Engine, tx: JournalTx
    ) -> None:
        """Record the OCO pair the engine formed when ``live`` rested or started waiting (it
        does not form if ``live`` traded on arrival: then the partner was cancelled)."""
        info = engine.order(live.seq)
        if partner.order_hash in self._live and info is not None and info.link == partner.seq:
            live.partner = partner.order_hash
            partner.partner = live.order_hash
            partner.options = dataclasses.replace(partner.options, oco_with=live.order_hash)
            tx.links[partner.order_hash] = live.order_hash
        elif live.shared:
            self._reserved[(live.maker, live.token)] += live.shared
            live.shared = 0

    def _oco_partner(self, checked: _Checked) -> LiveOrder | OrderRejected | _NeedsFreshBalance:
        """The live order a submission's ``oco_with`` names, if it can be its OCO partner."""
        order = checked.sub.order
        partner_hash = checked.sub.options.oco_with
        assert partner_hash is not None
        partner = self._live.get(partner_hash)
        if partner is None:
            if not checked.fresh and partner_hash not in self._recent:
                # Possibly the first leg of the same request, itself waiting for a fresh
                # balance read: the second pass places both in order.
                return _NEEDS_FRESH
            return OcoLinkInvalid(
                "oco_with names no live order on this relayer", oco_with=partner_hash
            )
        if (partner.maker, partner.market_id, partner.is_buy) != (
            order.maker,
            order.market_id,
            order.is_buy,
        ):
            return OcoLinkInvalid(
                "an OCO pair is two orders of the same maker, market and side",
                oco_with=partner_hash,
            )
        if partner.partner is not None:
            return OcoLinkInvalid(
                "that order already has an OCO partner",
                oco_with=partner_hash,
                partner=partner.partner,
            )
        return partner

    def _add_live(self, live: LiveOrder) -> None:
        self._live[live.order_hash] = live
        self._by_seq[live.seq] = live
        self._by_maker[live.maker].add(live.order_hash)
        heapq.heappush(self._expiries, (live.expiry, live.seq))
        if live.pending and live.order_type == "trailing_stop_market":
            self._trailing[live.market_id].add(live.seq)
            info = self.engines[live.market_id].order(live.seq)
            live.watermark = info.watermark if info is not None else 0

    def _drop_live(self, live: LiveOrder) -> None:
        self._live.pop(live.order_hash, None)
        self._by_seq.pop(live.seq, None)
        self._stop_trailing(live)
        hashes = self._by_maker.get(live.maker)
        if hashes is not None:
            hashes.discard(live.order_hash)
            if not hashes:
                del self._by_maker[live.maker]

    def _stop_trailing(self, live: LiveOrder) -> None:
        trailing = self._trailing.get(live.market_id)
        if trailing is not None:
            trailing.discard(live.seq)
            if not trailing:
                del self._trailing[live.market_id]

    def _refresh_watermarks(self, markets: set[int]) -> None:
        """The engine moved the watermarks of waiting trailing stops in ``markets`` (they
        traded in a step that is now committed): copy them to the live orders."""
        for market_id in markets & self._trailing.keys():
            engine = self.engines[market_id]
            for seq in self._trailing[market_id]:
                info = engine.order(seq)
                if info is not None:
                    self._by_seq[seq].watermark = info.watermark

    def _track_outflows(
        self,
        fill_id: int,
        config: MarketConfig,
        maker: str,
        maker_is_buy: bool,
        taker: str,
        price_ticks: int,
        quantity_lots: int,
    ) -> None:
        market = config.market
        base = quantity_lots * market.lot_size
        quote = quantity_lots * price_ticks * market.tick_size
        if maker_is_buy:
            flows = ((maker, market.quote, quote), (taker, market.base, base))
        else:
            flows = ((maker, market.base, base), (taker, market.quote, quote))
        self._outflows[fill_id] = flows
        for account, token, amount in flows:
            self._reserved[(account, token)] += amount

    def _release_outflows(self, fill_id: int) -> None:
        for account, token, amount in self._outflows.pop(fill_id, ()):
            self._reserved[(account, token)] -= amount

    # ------------------------------------------------------------------------------ sequencer

    def _require_ready(self) -> asyncio.Queue[_Work]:
        if not self._ready or self._queue is None:
            raise RelayerUnavailable(f"the relayer is {self._unavailable}: retry in a moment")
        return self._queue

    async def _enqueue(self, kind: str, payload: Any) -> Any:
        queue = self._require_ready()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        queue.put_nowait(_Work(kind, payload, future))
        return await future

    async def run_in_sequencer(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` between sequencer steps: it sees a book whose every change is committed
        and published (used for WebSocket snapshots)."""
        result: T = await self._enqueue("call", fn)
        return result

    async def _sequencer(self) -> None:
        """The single writer: takes waiting work in arrival order, steps it as one group (one
        journal transaction), and runs "call" work alone between groups."""
        assert self._queue is not None
        queue = self._queue
        carry: _Work | None = None
        while True:
            work = carry or await queue.get()
            carry = None
            group = [work]
            while work.kind != "call" and not queue.empty() and len(group) < 256:
                nxt = queue.get_nowait()
                if nxt.kind == "call":
                    carry = nxt
                    break
                group.append(nxt)
            try:
                await self._step(group)
            except Exception as err:  # never let the single writer die silently
                log.exception("sequencer step crashed")
                for item in group:
                    if not item.future.done():
                        item.future.set_exception(err)

    async def _step(self, group: list[_Work]) -> None:
        if len(group) == 1 and group[0].kind == "call":
            work = group[0]
            try:
                work.future.set_result(work.payload())
            except Exception as err:
                work.future.set_exception(err)
            return
        tx = JournalTx()
        messages: list[tuple[Any, Message]] = []
        results: list[Any] = []
        for work in group:
            try:
                if work.kind == "place":
                    results.append([self._place(c, tx, messages) for c in work.payload])
                else:
                    results.append([self._cancel(h, r, tx, messages) for h, r in work.payload])
            except Exception as err:  # a bug: fail this request, keep the others
                log.exception("sequencer step failed")
                results.append(err)
        if tx:
            try:
                async with self._journal_writer:
                    small = self.journal.is_small(tx)
                    if not (small and self.journal.write(tx, wait_for_lock=False)):
                        await asyncio.to_thread(self.journal.write, tx)
            except Exception as err:
                log.exception("journal commit failed; rebuilding from the journal")
                # Not ready first: a client told to retry must not land on the books this
                # step changed in memory but never committed.
                self._ready = False
                self._unavailable = "rebuilding its books from the journal after a refused write"
                failure = RelayerUnavailable(
                    f"the journal refused the write ({type(err).__name__}); nothing was accepted",
                )
                for work in group:
                    if not work.future.done():
                        work.future.set_exception(failure)
                await self._recover_from_journal()
                return
        if self._trailing:
            self._refresh_watermarks(
                {channel[1] for channel, _ in messages if channel[0] == "trades"}
            )
        for work, result in zip(group, results, strict=True):
            if work.future.done():
                continue
            if isinstance(result, Exception):
                work.future.set_exception(result)
            else:
                work.future.set_result(result)
        for channel, message in messages:
            self.hub.publish(channel, message)

    async def _recover_from_journal(self) -> None:
        """Make the books what the journal holds again, after a refused commit left changes
        in memory that it does not. The caller has stopped taking requests; while the
        database stays unreachable the read is retried with backoff."""
        delay = _REBUILD_RETRY_FIRST
        while True:
            try:
                image = await asyncio.to_thread(self._read_journal)
                break
            except Exception:
                log.exception("reading the journal back failed; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _REBUILD_RETRY_MAX)
        self._apply_image(image)
        self._ready = True
        log.info("books rebuilt from the journal; taking requests again")
        if self._orphans:
            # Not awaited: the cancels go through the sequencer, which is running this.
            task = asyncio.create_task(self.cancel_orders(self._orphans, CANCEL_SETTLEMENT))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _place(
        self, checked: _Checked, tx: JournalTx, messages: list[tuple[Any, Message]]
    ) -> Result | _NeedsFreshBalance:
        sub = checked.sub
        order = sub.order
        if checked.order_hash in self._live or checked.order_hash in self._recent:
            return OrderExists("the relayer already has this order", order_hash=checked.order_hash)
        if not checked.chain_read and self._on_chain.may_contain(checked.digest):
            return _NEEDS_FRESH  # the sweep saw an event naming it after validation
        key = (order.maker, checked.token)
        need = order.quantity_lots * checked.unit
        options = sub.options
        partner: LiveOrder | None = None
        shared = 0
        if options.oco_with is not None:
            found = self._oco_partner(checked)
            if not isinstance(found, LiveOrder):
                return found
            partner = found
            if sub.order_type in _CONDITIONAL_TYPES and partner.pending:
                shared = min(need, partner.reserved)
            need -= shared
        free = checked.available - self._reserved[key]
        if free < need:
            if not checked.fresh:
                return _NEEDS_FRESH
            return InsufficientFunds(
                f"needs {need} of {checked.token}; {max(free, 0)} free after open orders",
                token=checked.token,
                needed=str(need),
                available=str(max(checked.available, 0)),
                reserved=str(self._reserved[key]),
            )
        config = checked.config
        engine = self.engines[order.market_id]
        seq = self._next_seq()
        row = {
            "order_hash": checked.order_hash,
            "seq": seq,
            "chain_id": self.chain_id,
            "exchange": self.exchange_address,
            "maker": order.maker,
            "market_id": order.market_id,
            "is_buy": order.is_buy,
            "price_ticks": order.price_ticks,
            "quantity_lots": order.quantity_lots,
            "expiry": order.expiry,
            "salt": order.salt,
            "epoch": order.epoch,
            "max_fee_bps": order.max_fee_bps,
            "signature": "0x" + sub.signature.hex(),
            "order_type": sub.order_type,
            "time_in_force": sub.time_in_force,
            "status": ORDER_PENDING if sub.order_type in _CONDITIONAL_TYPES else ORDER_OPEN,
            "matched_lots": 0,
            "settled_lots": 0,
        }
        if options is not _PLAIN:
            # Plain rows leave the option columns out (NULL): a leaner INSERT on the hot path.
            row.update(conditional.option_columns(options, partner.seq if partner else None))
        record = _NewOrder(**row)
        try:
            events = self._engine_place(engine, record, config)
        except MatcherError as err:
            code = int(err.code) if err.code is not None else -1
            cls = _ENGINE_REASONS.get(code, OrderRejected)
            return cls(f"the matching engine refused the order: {err.detail}", engine_code=code)
        live = self._live_order(record, config)
        live.shared = shared
        self._reserved[key] += need
        ack = OrderAck(checked.order_hash, seq, ORDER_OPEN, 0, order.quantity_lots)
        created = datetime.now(UTC)
        self._apply(config, events, live, tx, messages, ack, created)
        if live.expired:
            ack.status = ORDER_EXPIRED
        elif live.remaining == 0:
            ack.status = ORDER_FILLED
        else:
            if live.pending:
                ack.status = ORDER_PENDING
            self._add_live(live)
            if partner is not None:
                self._link(live, partner, engine, tx)
        ack.matched_lots = live.matched
        ack.remaining_lots = live.remaining if ack.status in _LIVE_STATUSES else 0
        row["status"] = ack.status
        row["matched_lots"] = live.matched
        row["created_at"] = created
        row["updated_at"] = created
        tx.orders.append(row)
        # Fills reference the order row, which the transaction inserts first.
        self._recent[checked.order_hash] = None
        self._journaled.known.add(checked.digest)
        if len(self._recent) > _RECENT_HASHES:
            self._recent.popitem(last=False)
        self._changed_since_snapshot.add(order.market_id)
        messages.append((("orders", order.maker), _order_message(live, ack.status, config)))
        return ack

    def _apply(
        self,
        config: MarketConfig,
        events: Sequence[matcher.Event],
        taker: LiveOrder | None,
        tx: JournalTx,
        messages: list[tuple[Any, Message]],
        ack: OrderAck | None,
        created: datetime,
    ) -> None:
        """Book the engine's events of one command. ``taker`` is the command's new order (not
        yet in the live maps); conditional orders the command triggered trade as takers too."""
        market = config.market
        market_id = market.market_id
        fired: list[LiveOrder] = []
        for event in events:
            kind = event.type
            if kind == EventType.FILL:
                taking = (
                    taker
                    if taker is not None and event.order_id == taker.seq
                    else self._by_seq[event.order_id]
                )
                maker = (
                    taker
                    if taker is not None and event.maker_id == taker.seq
                    else self._by_seq[event.maker_id]
                )
                quantity, price = event.qty, event.price
                self._fill_id += 1
                fill_id = self._fill_id
                # Reservations: the maker's lots move from "open" to "unsettled fill" (same
                # amount); the taker's move at the maker's price (a buyer frees the difference).
                self._reserved[(maker.maker, maker.token)] -= quantity * maker.unit
                self._reserved[(taking.maker, taking.token)] -= quantity * taking.unit
                self._track_outflows(
                    fill_id, config, maker.maker, maker.is_buy, taking.maker, price, quantity
                )
                maker.remaining = event.maker_remaining
                maker.matched += quantity
                taking.remaining -= quantity
                taking.matched += quantity
                maker_status = ORDER_OPEN
                if maker.remaining == 0:
                    maker_status = ORDER_FILLED
                    self._drop_live(maker)
                tx.updates[maker.order_hash] = (maker.matched, maker_status)
                tx.fills.append(
                    {
                        "id": fill_id,
                        "market_id": market_id,
                        "maker_order_hash": maker.order_hash,
                        "taker_order_hash": taking.order_hash,
                        "quantity_lots": quantity,
                        "price_ticks": price,
                        "taker_is_buy": taking.is_buy,
                        "status": FILL_PENDING,
                        "created_at": created,
                    }
                )
                fill = FillView(
                    fill_id,
                    market_id,
                    maker.order_hash,
                    taking.order_hash,
                    maker.maker,
                    taking.maker,
                    price,
                    quantity,
                    taking.is_buy,
                    FILL_PENDING,
                    created,
                )
                if ack is not None and (taking is taker or maker is taker):
                    ack.fills.append(fill)
                self._traded.add(market_id)
                trade = fill_message(fill, config)
                messages.append((("trades", market_id), trade))
                messages.append((("orders", maker.maker), {**trade, "channel": "fills"}))
                if taking.maker != maker.maker:
                    messages.append((("orders", taking.maker), {**trade, "channel": "fills"}))
                messages.append(
                    (("orders", maker.maker), _order_message(maker, maker_status, config))
                )
            elif kind == EventType.BOOK_DELTA:
                self.book_seq[market_id] = event.seq
                messages.append(
                    (
                        ("book", market_id),
                        {
                            "channel": "book",
                            "type": "delta",
                            "market_id": market_id,
                            "seq": event.seq,
                            "side": "buy" if event.side == Side.BUY else "sell",
                            "price_ticks": event.price,
                            "quantity_lots": event.qty,
                        },
                    )
                )
            elif kind == EventType.EXPIRED:
                # IOC / FOK / market remainder (of the new order or of a triggered one):
                # nothing rests, the reservation is freed.
                gone = (
                    taker
                    if taker is not None and event.order_id == taker.seq
                    else self._by_seq.get(event.order_id)
                )
                if gone is not None:
                    self._reserved[(gone.maker, gone.token)] -= event.remaining * gone.unit
                    gone.remaining -= event.remaining
                    gone.expired = True
            elif kind == EventType.CANCELLED:
                live = self._by_seq.get(event.order_id)
                if live is not None:
                    self._reserved[(live.maker, live.token)] -= (
                        event.remaining * live.unit - live.shared
                    )
                    live.shared = 0
                    live.remaining -= event.remaining
                    self._drop_live(live)
                    if live.partner is not None:
                        self._unlink(live)
                    if event.reason == matcher.Reason.OCO_SIBLING:
                        self._oco_cancelled(live, config, tx, messages, created)
            elif kind == EventType.TRIGGERED:
                live = self._by_seq[event.order_id]
                live.pending = False
                self._stop_trailing(live)
                fired.append(live)
                tx.triggers[live.order_hash] = (event.price, created)
                message = _order_message(live, "triggered", config)
                message["trigger_last_price"] = event.price
                messages.append((("orders", live.maker), message))
        for live in fired:
            self._settle_triggered(live, config, tx, messages)

    def _settle_triggered(
        self,
        live: LiveOrder,
        config: MarketConfig,
        tx: JournalTx,
        messages: list[tuple[Any, Message]],
    ) -> None:
        """The journal status of a conditional order after the command that triggered it:
        filled, expired (the rest of a market-style order), or open (a limit resting)."""
        if live.expired:
            status = ORDER_EXPIRED
        elif live.remaining == 0:
            status = ORDER_FILLED
        elif live.order_hash in self._live:
            status = ORDER_OPEN
        else:
            return  # cancelled after it fired; journaled with its cancel
        if status != ORDER_OPEN:
            self._drop_live(live)
        tx.updates[live.order_hash] = (live.matched, status)
        messages.append((("orders", live.maker), _order_message(live, status, config)))

    def _oco_cancelled(
        self,
        live: LiveOrder,
        config: MarketConfig,
        tx: JournalTx,
        messages: list[tuple[Any, Message]],
        created: datetime,
    ) -> None:
        """Journal the engine's cancel of an OCO leg whose partner filled, fired or left."""
        tx.cancels.append(
            {
                "seq": self._next_seq(),
                "order_hash": live.order_hash,
                "market_id": live.market_id,
                "reason": CANCEL_OCO,
                "created_at": created,
            }
        )
        tx.updates[live.order_hash] = (live.matched, ORDER_CANCELLED)
        self._changed_since_snapshot.add(live.market_id)
        message = _order_message(live, ORDER_CANCELLED, config)
        message["reason"] = CANCEL_OCO
        messages.append((("orders", live.maker), message))

    def _cancel(
        self, order_hash: str, reason: str, tx: JournalTx, messages: list[tuple[Any, Message]]
    ) -> OrderAck | OrderRejected:
        live = self._live.get(order_hash)
        if live is None:
            return OrderNotOpen("the order is not open on the relayer", order_hash=order_hash)
        config = self.markets[live.market_id]
        engine = self.engines[live.market_id]
        try:
            events = engine.cancel(live.market_id, live.seq, owner_id(live.maker))
        except MatcherError as err:
            return OrderNotOpen(f"the engine has no such order: {err.detail}")
        self._apply(config, events, None, tx, messages, None, datetime.now(UTC))
        self._drop_live(live)
        seq = self._next_seq()
        status = ORDER_EXPIRED if reason == CANCEL_EXPIRED else ORDER_CANCELLED
        tx.cancels.append(
            {
                "seq": seq,
                "order_hash": order_hash,
                "market_id": live.market_id,
                "reason": reason,
                "created_at": datetime.now(UTC),
            }
        )
        tx.updates[order_hash] = (live.matched, status)
        self._changed_since_snapshot.add(live.market_id)
        message = _order_message(live, status, config)
        message["reason"] = reason
        messages.append((("orders", live.maker), message))
        return OrderAck(order_hash, seq, status, live.matched, 0)

    # ------------------------------------------------------------------------------- intake

    async def submit(self, submissions: Sequence[Submission]) -> list[Result]:
        """Validate, journal and match ``submissions`` (in order). One result per submission:
        an :class:`OrderAck` (journaled, then acknowledged) or the :class:`OrderRejected`."""
        self._require_ready()
        results: list[Result | None] = [None] * len(submissions)
        checked = await self._validate(submissions, results, force_fresh=False)
        pending = checked
        for attempt in range(2):
            if not pending:
                break
            answers = await self._enqueue("place", pending)
            retry: list[_Checked] = []
            for item, answer in zip(pending, answers, strict=True):
                if isinstance(answer, _NeedsFreshBalance):
                    retry.append(item)
                else:
                    results[item.index] = answer
            if not retry:
                break
            if attempt == 0:
                retry = await self._refresh_balances(retry, results)
            pending = retry
        unprocessed = OrderRejected("the relayer did not process this order; resubmit it")
        return [r if r is not None else unprocessed for r in results]

    async def _validate(
        self,
        submissions: Sequence[Submission],
        results: list[Result | None],
        *,
        force_fresh: bool,
    ) -> list[_Checked]:
        now = time.time()
        passed: list[tuple[int, Submission, MarketConfig, bytes]] = []
        for index, sub in enumerate(submissions):
            try:
                config = self._static_checks(sub, now)
            except OrderRejected as err:
                results[index] = err
                continue
            passed.append((index, sub, config, order_digest(sub.order, self.separator)))
        if not passed:
            return []
        calls: list[Call] = []
        wallet_calls: dict[int, tuple[Call, Call, str]] = {}
        problems = await self._ecdsa_problems(passed)
        for (index, sub, _config, digest), problem in zip(passed, problems, strict=True):
            if problem is None:
                continue
            if self._has_code.get(sub.order.maker) is False:
                results[index] = SignatureInvalid(problem, maker=sub.order.maker)
                continue
            code = self.reader.code(sub.order.maker)
            check = self.reader.is_valid_signature(sub.order.maker, digest, sub.signature)
            wallet_calls[index] = (code, check, problem)
            calls += (code, check)
        passed = [p for p in passed if results[p[0]] is None]
        state_calls: dict[int, tuple[Call, Call]] = {}
        for index, _sub, _config, digest in passed:
            if self._on_chain_indexed and not self._on_chain.may_contain(digest):
                continue  # no event ever named it: filled 0, not cancelled, as of the sweep
            pair = (self.reader.filled(digest), self.reader.cancelled(digest))
            state_calls[index] = pair
            calls += pair
        stamp = time.monotonic()
        epoch_calls: dict[tuple[str, int], tuple[Call, Call]] = {}
        vault_calls: dict[tuple[str, str], tuple[Call, Call]] = {}
        for _index, sub, config, _digest in passed:
            order = sub.order
            epoch_key = (order.maker, order.market_id)
            cached = self._epochs.get(epoch_key)
            fresh_epoch = cached is not None and stamp - cached[1] < self.settings.balance_ttl
            if not fresh_epoch and epoch_key not in epoch_calls:
                epoch_pair = (
                    self.reader.epoch(order.maker),
                    self.reader.market_epoch(order.maker, order.market_id),
                )
                epoch_calls[epoch_key] = epoch_pair
                calls += epoch_pair
            token = config.market.quote if order.is_buy else config.market.base
            vault_key = (order.maker, token)
            cached_vault = self._vault.get(vault_key)
            fresh_vault = (
                not force_fresh
                and cached_vault is not None
                and stamp - cached_vault[1] < self.settings.balance_ttl
            )
            if not fresh_vault and vault_key not in vault_calls:
                vault_pair = (
                    self.reader.balance_of(token, order.maker),
                    self.reader.pending_withdrawal(token, order.maker),
                )
                vault_calls[vault_key] = vault_pair
                calls += vault_pair
        hashes = ["0x" + digest.hex() for _i, _s, _c, digest in passed]
        _, existing = await asyncio.gather(self.reader.run(calls), self._journaled.check(hashes))
        for epoch_key, (epoch_call, market_epoch_call) in epoch_calls.items():
            self._epochs[epoch_key] = (
                max(epoch_call.as_int(), market_epoch_call.as_int()),
                stamp,
            )
        for vault_key, (balance_call, pending_call) in vault_calls.items():
            self._vault[vault_key] = (
                max(balance_call.as_int() - pending_call.as_int(), 0),
                stamp,
            )
        checked: list[_Checked] = []
        for index, sub, config, digest in passed:
            order = sub.order
            order_hash = "0x" + digest.hex()
            if index in wallet_calls:
                code, check, problem = wallet_calls[index]
                self._has_code[order.maker] = bool(code.result)
                if not code.result:
                    results[index] = SignatureInvalid(problem, maker=order.maker)
                    continue
                if check.result is None or check.result[:4] != EIP1271_MAGIC:
                    results[index] = SignatureInvalid(
                        "the maker is a contract and its isValidSignature (EIP-1271) refused "
                        "the signature",
                        maker=order.maker,
                    )
                    continue
            if order_hash in existing:
                results[index] = OrderExists(
                    "the relayer already has this order", order_hash=order_hash
                )
                continue
            if index in state_calls:
                rejected = _state_rejection(order_hash, *state_calls[index])
                if rejected is not None:
                    results[index] = rejected
                    continue
            chain_epoch = self._epochs[(order.maker, order.market_id)][0]
            if order.epoch < chain_epoch:
                results[index] = EpochStale(
                    f"order epoch {order.epoch} is below the maker's epoch {chain_epoch}",
                    epoch=order.epoch,
                    chain_epoch=chain_epoch,
                )
                continue
            token = config.market.quote if order.is_buy else config.market.base
            unit = (
                order.price_ticks * config.market.tick_size
                if order.is_buy
                else config.market.lot_size
            )
            available, read_at = self._vault[(order.maker, token)]
            checked.append(
                _Checked(
                    sub=sub,
                    digest=digest,
                    order_hash=order_hash,
                    config=config,
                    token=token,
                    unit=unit,
                    available=available,
                    fresh=read_at == stamp,
                    index=index,
                    chain_read=index in state_calls,
                )
            )
        return checked

    async def _ecdsa_problems(
        self, passed: list[tuple[int, Submission, MarketConfig, bytes]]
    ) -> list[str | None]:
        """:meth:`_ecdsa_problem` of each order. Large requests are split over two worker
        threads: libsecp256k1 runs without the GIL, so recovery uses both cores while the
        event loop keeps serving other requests."""

        def check(chunk: list[tuple[int, Submission, MarketConfig, bytes]]) -> list[str | None]:
            return [self._ecdsa_problem(s.order.maker, d, s.signature) for _i, s, _c, d in chunk]

        if len(passed) < _PARALLEL_RECOVERY_FROM:
            return check(passed)
        half = len(passed) // 2
        first, second = await asyncio.gather(
            asyncio.to_thread(check, passed[:half]), asyncio.to_thread(check, passed[half:])
        )
        return first + second

    def _ecdsa_problem(self, maker: str, digest: bytes, signature: bytes) -> str | None:
        """None if ``signature`` is the maker's low-s ECDSA signature of ``digest``, else why
        not (the caller then asks the maker's contract, if it is one, under EIP-1271)."""
        if self._has_code.get(maker):
            return "the maker is a contract wallet"
        try:
            signer = recover_digest_bytes(digest, signature)
        except OrderError as err:
            return err.message
        if signer != bytes.fromhex(maker[2:]):
            return f"signed by {to_checksum_address(signer)}, not by the maker {maker}"
        return None

    def _static_checks(self, sub: Submission, now: float) -> MarketConfig:
        order = sub.order
        if sub.chain_id is not None and sub.chain_id != self.chain_id:
            raise DomainMismatch(
                f"the order is for chain {sub.chain_id}; this relayer serves chain {self.chain_id}",
                chain_id=sub.chain_id,
                expected=self.chain_id,
            )
        if sub.exchange is not None and sub.exchange.lower() != self.exchange_address.lower():
            raise DomainMismatch(
                f"the order is for exchange {sub.exchange}; this relayer serves "
                f"{self.exchange_address}",
                exchange=sub.exchange,
                expected=self.exchange_address,
            )
        config = self.markets.get(order.market_id)
        if config is None:
            raise MarketUnknown(f"no market {order.market_id}", market_id=order.market_id)
        market = config.market
        if not market.active:
            raise MarketInactive(f"market {order.market_id} is not active")
        conditional.check_options(
            sub.order_type, sub.time_in_force, sub.options, order.quantity_lots
        )
        if order.price_ticks == 0:
            raise PriceInvalid("price_ticks must be at least 1")
        if order.quantity_lots < max(market.min_quantity_lots, 1):
            raise QuantityInvalid(
                f"quantity {order.quantity_lots} lots is below the market minimum "
                f"{market.min_quantity_lots}",
                minimum=market.min_quantity_lots,
            )
        if order.quantity_lots > MAX_ENGINE_QUANTITY:
            raise QuantityInvalid(f"quantity above {MAX_ENGINE_QUANTITY} lots")
        if order.quantity_lots * order.price_ticks > MAX_ENGINE_NOTIONAL:
            raise QuantityInvalid("price_ticks * quantity_lots exceeds the engine's range")
        notional = order.quantity_lots * order.price_ticks * market.tick_size
        if notional < config.min_notional:
            raise NotionalTooSmall(
                f"notional {notional} is below the minimum {config.min_notional}",
                notional=str(notional),
                minimum=str(config.min_notional),
            )
        fee_needed = (
            market.maker_fee_bps
            if sub.time_in_force == "post_only"
            else max(market.maker_fee_bps, market.taker_fee_bps)
        )
        if order.max_fee_bps < fee_needed:
            raise FeeBelowMarket(
                f"max_fee_bps {order.max_fee_bps} is below the market fee {fee_needed}: the "
                "contract would skip every match",
                max_fee_bps=order.max_fee_bps,
                market_fee_bps=fee_needed,
            )
        if order.expiry <= now + self.settings.min_expiry_seconds:
            raise OrderExpired(
                f"expiry {order.expiry} must be more than {self.settings.min_expiry_seconds} s "
                "in the future",
                expiry=order.expiry,
                now=int(now),
            )
        return config

    async def _refresh_balances(
        self, items: list[_Checked], results: list[Result | None]
    ) -> list[_Checked]:
        """Re-read the vault balances of ``items`` (and the filled / cancelled state of those
        validated without it); returns the items still to place, the others get their
        rejection in ``results``."""
        calls: dict[tuple[str, str], tuple[Call, Call]] = {}
        states: dict[int, tuple[Call, Call]] = {}
        for item in items:
            key = (item.sub.order.maker, item.token)
            if key not in calls:
                calls[key] = (
                    self.reader.balance_of(item.token, item.sub.order.maker),
                    self.reader.pending_withdrawal(item.token, item.sub.order.maker),
                )
            if not item.chain_read:
                states[item.index] = (
                    self.reader.filled(item.digest),
                    self.reader.cancelled(item.digest),
                )
        await self.reader.run(
            [call for pair in (*calls.values(), *states.values()) for call in pair]
        )
        stamp = time.monotonic()
        for key, (balance, pending) in calls.items():
            self._vault[key] = (max(balance.as_int() - pending.as_int(), 0), stamp)
        remaining: list[_Checked] = []
        for item in items:
            if item.index in states:
                rejected = _state_rejection(item.order_hash, *states[item.index])
                if rejected is not None:
                    results[item.index] = rejected
                    continue
                item.chain_read = True
            item.available = self._vault[(item.sub.order.maker, item.token)][0]
            item.fresh = True
            remaining.append(item)
        return remaining

    # -------------------------------------------------------------------------------- cancels

    async def cancel_signed(
        self, cancel: CancelOrders, signature: bytes
    ) -> list[OrderAck | OrderRejected]:
        """Take the maker's orders off the book with a signed :class:`CancelOrders`.

        Raises:
            CancelInvalid: deadline passed, or not signed by the maker (ECDSA or EIP-1271).
        """
        self._require_ready()
        if cancel.deadline <= time.time():
            raise CancelInvalid("the cancel's deadline has passed", deadline=cancel.deadline)
        digest = cancel_digest(cancel, self.chain_id, self.exchange_address)
        problem = self._ecdsa_problem(cancel.maker, digest, signature)
        if problem is not None:
            code = self.reader.code(cancel.maker)
            check = self.reader.is_valid_signature(cancel.maker, digest, signature)
            await self.reader.run([code, check])
            if not code.result or check.result is None or check.result[:4] != EIP1271_MAGIC:
                raise CancelInvalid(f"cancel signature: {problem}", maker=cancel.maker)
        targets: list[tuple[str, str]] = []
        results: list[OrderAck | OrderRejected | None] = []
        for digest_bytes in cancel.order_hashes:
            order_hash = "0x" + digest_bytes.hex()
            live = self._live.get(order_hash)
            if live is not None and live.maker != cancel.maker:
                results.append(
                    CancelInvalid("the order belongs to another maker", order_hash=order_hash)
                )
                continue
            results.append(None)
            targets.append((order_hash, CANCEL_MAKER))
        answers = iter(await self._enqueue("cancel", targets) if targets else [])
        return [r if r is not None else next(answers) for r in results]

    async def cancel_orders(self, hashes: Sequence[str], reason: str) -> list[Any]:
        """Take orders off the book for ``reason`` (expiry, on-chain cancel, funds, ...)."""
        if not hashes:
            return []
        result: list[Any] = await self._enqueue("cancel", [(h, reason) for h in hashes])
        return result

    # -------------------------------------------------------------------------------- queries

    def live_order(self, order_hash: str) -> LiveOrder | None:
        return self._live.get(order_hash)

    def depth(self, market_id: int, levels: int) -> dict[str, Any]:
        engine = self.engines.get(market_id)
        if engine is None:
            raise MarketUnknown(f"no market {market_id}", market_id=market_id)
        return {
            "market_id": market_id,
            "seq": self.book_seq.get(market_id, 0),
            "bids": [
                (lv.price, lv.quantity, lv.orders) for lv in engine.depth(market_id, 0, levels)
            ],
            "asks": [
                (lv.price, lv.quantity, lv.orders) for lv in engine.depth(market_id, 1, levels)
            ],
        }

    async def subscribe_book(self, subscriber: Subscriber, market_id: int, levels: int) -> None:
        """Register ``subscriber`` for the book of ``market_id`` and queue the snapshot it
        starts from. Both happen between sequencer steps, so the first delta it receives is
        exactly the one after the snapshot's ``seq``."""
        if market_id not in self.engines:
            raise MarketUnknown(f"no market {market_id}", market_id=market_id)

        def take() -> None:
            book = self.depth(market_id, levels)
            subscriber.queue.put_nowait(
                {
                    "channel": "book",
                    "type": "snapshot",
                    "market_id": market_id,
                    "seq": book["seq"],
                    "bids": [[price, qty] for price, qty, _n in book["bids"]],
                    "asks": [[price, qty] for price, qty, _n in book["asks"]],
                }
            )
            self.hub.subscribe(subscriber, ("book", market_id))

        await self.run_in_sequencer(take)

    async def vault(self, maker: str) -> list[dict[str, Any]]:
        """Per token of the served markets: vault balance, pending withdrawal, and what open
        orders and unsettled fills reserve (read fresh from the chain)."""
        maker = to_checksum_address(maker)
        tokens = sorted({t for c in self.markets.values() for t in (c.market.base, c.market.quote)})
        calls = [
            (self.reader.balance_of(token, maker), self.reader.pending_withdrawal(token, maker))
            for token in tokens
        ]
        await self.reader.run([call for pair in calls for call in pair])
        open_reserved: dict[str, int] = defaultdict(int)
        for order_hash in self._by_maker.get(maker, ()):
            live = self._live[order_hash]
            open_reserved[live.token] += live.reserved
        rows = []
        for token, (balance, pending) in zip(tokens, calls, strict=True):
            total = self._reserved.get((maker, token), 0)
            free = balance.as_int() - pending.as_int() - total
            rows.append(
                {
                    "token": token,
                    "balance": balance.as_int(),
                    "pending_withdrawal": pending.as_int(),
                    "reserved_open_orders": open_reserved[token],
                    "reserved_unsettled_fills": total - open_reserved[token],
                    "available": max(free, 0),
                }
            )
        return rows

    # ------------------------------------------------------------------------------ background

    async def _every(self, interval: float, fn: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await fn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relayer background task %s failed", fn.__name__)

    async def sweep(self) -> None:
        """Expire orders, follow settlement, apply on-chain cancels, epochs and withdrawals."""
        if not self._ready:
            # Rebuilding after a refused commit: the sequencer takes no cancels, and events
            # read now would be lost with them. The next sweep reads from the same block.
            return
        await self._expire()
        await self._follow_settlement()
        await self._follow_chain()
        await self._publish_tickers()

    async def _publish_tickers(self) -> None:
        traded, self._traded = self._traded, set()
        for market_id in sorted(traded):
            if self.hub.has_subscribers(("ticker", market_id)):
                message = await asyncio.to_thread(self.ticker_message, market_id)
                self.hub.publish(("ticker", market_id), message)
            for interval in marketdata.CANDLE_INTERVALS:
                channel = ("candles", market_id, interval)
                if self.hub.has_subscribers(channel):
                    candle = await asyncio.to_thread(self.candle_message, market_id, interval)
                    self.hub.publish(channel, candle)

    def candle_message(self, market_id: int, interval: str) -> Message:
        """The current candle of ``interval`` (matched trades, settled or not)."""
        config = self.markets[market_id]
        with self.factory() as session:
            rows = marketdata.candles(
                session, market_id=market_id, interval=interval, limit=1, now=datetime.now(UTC)
            )
        body: Message = {
            "channel": "candles",
            "type": "candle",
            "market_id": market_id,
            "interval": interval,
            "includes_unsettled": True,
        }
        if not rows:
            return {**body, "candle": None}
        candle = rows[-1]
        return {
            **body,
            "candle": {
                "open_time": int(candle.open_time.timestamp()),
                "open": candle.open,
                "high": candle.high,
                "low": candle.low,
                "close": candle.close,
                "volume_lots": candle.volume_lots,
                "volume_quote": str(candle.volume_ticks_lots * config.market.tick_size),
                "trades": candle.trades,
                "settled_trades": candle.settled_trades,
            },
        }

    def ticker_message(self, market_id: int) -> Message:
        """The 24h ticker of a market from the fills journal (matched trades, settled or not)."""
        config = self.markets[market_id]
        with self.factory() as session:
            agg = marketdata.ticker(session, market_id=market_id, now=datetime.now(UTC))
        body: dict[str, Any] = {"channel": "ticker", "type": "ticker", "market_id": market_id}
        if agg is None:
            return {**body, "last_24h": None}
        return {
            **body,
            "includes_unsettled": True,
            "last_24h": {
                "open": agg.open,
                "high": agg.high,
                "low": agg.low,
                "close": agg.close,
                "volume_lots": agg.volume_lots,
                "volume_quote": str(agg.volume_ticks_lots * config.market.tick_size),
                "trades": agg.trades,
                "settled_trades": agg.settled_trades,
            },
        }

    async def _expire(self) -> None:
        horizon = time.time() + self.settings.min_expiry_seconds
        due: list[str] = []
        while self._expiries and self._expiries[0][0] <= horizon:
            expiry, seq = heapq.heappop(self._expiries)
            live = self._by_seq.get(seq)
            if live is not None and live.expiry == expiry:
                due.append(live.order_hash)
        await self.cancel_orders(due, CANCEL_EXPIRED)

    async def _follow_settlement(self) -> None:
        """Free what settled or skipped fills reserved; drop orders the settlement worker
        marked ``rejected``; tell makers how their fills ended."""
        if self._outflows:
            statuses = await asyncio.to_thread(self.journal.fill_statuses, list(self._outflows))
            for fill_id, (status, skip_reason) in statuses.items():
                if status in PENDING_FILL_STATUSES:
                    continue
                flows = self._outflows.get(fill_id, ())
                self._release_outflows(fill_id)
                for account in {flow[0] for flow in flows}:
                    self.hub.publish(
                        ("orders", account),
                        {
                            "channel": "fills",
                            "type": "fill_status",
                            "fill_id": fill_id,
                            "status": status,
                            "skip_reason": skip_reason,
                        },
                    )
        # Orders the settlement worker closed (skipped match, funds gone, cancelled on chain):
        # off the book. The window overlaps the previous sweep: timestamps are the database's.
        since = self._closed_checked_at - timedelta(seconds=10)
        self._closed_checked_at = datetime.now(UTC)
        closed = await asyncio.to_thread(self.journal.closed_elsewhere, since)
        await self.cancel_orders(
            [row.order_hash for row in closed if row.order_hash in self._live], CANCEL_SETTLEMENT
        )

    async def _follow_chain(self) -> None:
        head = self.reader.block_number()
        await self.reader.run([head])
        if head.result is None:
            raise RelayerUnavailable("the node did not say its block number")
        events: list[tuple[str, dict[str, Any]]] = []
        if self._log_block is None or head.as_int() > self._log_block:
            events = await asyncio.to_thread(self._read_chain_events, head.as_int())
        # Index first, before anything awaits: an order validated without reading its state
        # and placed after this point is caught by ``_place``; one placed before is live by
        # now and is taken off below.
        for name, args in events:
            if name == "OrderCancelled":
                self._on_chain.add(bytes(args["orderHash"]))
            elif name == "OrderFilled":
                self._mark_filled(bytes(args["makerOrderHash"]), bytes(args["takerOrderHash"]))
        to_cancel: dict[str, str] = {}
        filled_elsewhere: set[str] = set()
        withdrawals: set[tuple[str, str]] = set()
        for name, args in events:
            if name == "OrderCancelled":
                to_cancel[_hex(args["orderHash"])] = CANCEL_CHAIN
            elif name in ("EpochAdvanced", "MarketEpochAdvanced"):
                maker: str = to_checksum_address(args["maker"])
                market_id = args.get("marketId")
                for epoch_key in [k for k in self._epochs if k[0] == maker]:
                    self._epochs.pop(epoch_key, None)
                for order_hash in self._by_maker.get(maker, ()):
                    live = self._live[order_hash]
                    if live.epoch < args["epoch"] and market_id in (None, live.market_id):
                        to_cancel[order_hash] = CANCEL_CHAIN
            elif name in ("Deposited", "Withdrawn", "WithdrawalRequested"):
                vault_key = (
                    str(to_checksum_address(args["account"])),
                    str(to_checksum_address(args["token"])),
                )
                self._vault.pop(vault_key, None)
                if name == "WithdrawalRequested":
                    withdrawals.add(vault_key)
            elif name == "OrderFilled":
                for key in ("makerOrderHash", "takerOrderHash"):
                    if _hex(args[key]) in self._live:
                        filled_elsewhere.add(_hex(args[key]))
            elif name == "MarketUpdated":
                market_id = int(args["marketId"])
                config = await asyncio.to_thread(
                    read_market, self.exchange, market_id, self.settings.min_notional
                )
                if config is not None and market_id in self.markets:
                    self.markets[market_id] = config
        to_cancel.update(dict.fromkeys(await self._overfilled(filled_elsewhere), CANCEL_CHAIN))
        await self.cancel_orders(list(to_cancel), CANCEL_CHAIN)
        for maker, token in withdrawals:
            await self._enforce_funds(maker, token)
        # Only now: if anything above failed (node, journal, a rebuild), the next sweep reads
        # the same blocks again, and every step above is idempotent.
        self._log_block = max(self._log_block or 0, head.as_int())

    async def _overfilled(self, hashes: set[str]) -> list[str]:
        """Live orders filled on chain beyond what this relayer matched (someone took them
        directly with ``fillOrder``): the book would offer lots that no longer exist."""
        live = [self._live[h] for h in sorted(hashes) if h in self._live]
        calls = [self.reader.filled(bytes.fromhex(o.order_hash[2:])) for o in live]
        await self.reader.run(calls)
        return [
            o.order_hash for o, call in zip(live, calls, strict=True) if call.as_int() > o.matched
        ]

    async def recheck_live_orders(self) -> None:
        """After a (re)start: take off the book what was cancelled, voided by an epoch, or
        filled elsewhere on chain while the relayer was not following events."""
        live = list(self._live.values())
        calls: list[Call] = []
        for order in live:
            digest = bytes.fromhex(order.order_hash[2:])
            calls += (
                self.reader.cancelled(digest),
                self.reader.filled(digest),
                self.reader.epoch(order.maker),
                self.reader.market_epoch(order.maker, order.market_id),
            )
        for start in range(0, len(calls), 2_000):
            await self.reader.run(calls[start : start + 2_000])
        stale = [
            order.order_hash
            for i, order in enumerate(live)
            if calls[4 * i].as_int()
            or calls[4 * i + 1].as_int() > order.matched
            or order.epoch < max(calls[4 * i + 2].as_int(), calls[4 * i + 3].as_int())
        ]
        await self.cancel_orders(stale, CANCEL_CHAIN)

    async def _enforce_funds(self, maker: str, token: str) -> None:
        """After a withdrawal request: cancel the maker's newest orders paying ``token`` until
        what is reserved fits what stays in the vault."""
        balance, pending = (
            self.reader.balance_of(token, maker),
            self.reader.pending_withdrawal(token, maker),
        )
        await self.reader.run([balance, pending])
        available = max(balance.as_int() - pending.as_int(), 0)
        self._vault[(maker, token)] = (available, time.monotonic())
        excess = self._reserved.get((maker, token), 0) - available
        if excess <= 0:
            return
        victims: list[str] = []
        candidates = sorted(
            (self._live[h] for h in self._by_maker.get(maker, ()) if self._live[h].token == token),
            key=lambda live: -live.seq,
        )
        for live in candidates:
            if excess <= 0:
                break
            victims.append(live.order_hash)
            excess -= live.reserved
        await self.cancel_orders(victims, CANCEL_FUNDS)

    _WATCHED_EVENTS: Final = (
        "OrderCancelled",
        "EpochAdvanced",
        "MarketEpochAdvanced",
        "Deposited",
        "Withdrawn",
        "WithdrawalRequested",
        "MarketUpdated",
        "OrderFilled",
    )

    def _read_chain_events(self, head: int) -> list[tuple[str, dict[str, Any]]]:
        start = (self._log_block or head) + 1
        if start > head:
            return []
        topics: dict[bytes, str] = {}
        for name in self._WATCHED_EVENTS:
            abi = next(
                e for e in self.exchange.abi if e.get("type") == "event" and e.get("name") == name
            )
            topics[event_abi_to_log_topic(abi)] = name  # type: ignore[arg-type]
        logs = self.w3.eth.get_logs(
            {
                "address": self.exchange_address,
                "fromBlock": start,
                "toBlock": head,
                "topics": [["0x" + t.hex() for t in topics]],
            }
        )
        decoded: list[tuple[str, dict[str, Any]]] = []
        for entry in logs:
            found = topics.get(bytes(entry["topics"][0]))
            if found is None:
                continue
            name = found
            event = getattr(self.exchange.events, name)().process_log(entry)
            decoded.append((name, dict(event["args"])))
        return decoded

    async def snapshot(self) -> None:
        """Snapshot every market that changed since its last snapshot."""
        for market_id in sorted(self._changed_since_snapshot):
            engine = self.engines[market_id]

            def take(market: int = market_id, eng: matcher.Engine = engine) -> tuple[bytes, int]:
                self._changed_since_snapshot.discard(market)
                return eng.snapshot(), self._seq

            blob, seq = await self.run_in_sequencer(take)
            async with self._journal_writer:
                await asyncio.to_thread(
                    self.journal.save_snapshot, market_id, seq, blob, self.settings.snapshot_keep
                )
            self._snapshot_seq[market_id] = seq


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex()


def _state_rejection(order_hash: str, filled: Call, cancelled: Call) -> OrderRejected | None:
    """The rejection for an order filled or cancelled on chain, from its two view calls."""
    if filled.as_int():
        return OrderFilledOnChain(
            f"the order already has {filled.as_int()} lots filled on chain",
            order_hash=order_hash,
            filled_lots=filled.as_int(),
        )
    if cancelled.as_int():
        return OrderCancelledOnChain("the order was cancelled on chain", order_hash=order_hash)
    return None


def fill_message(fill: FillView, config: MarketConfig) -> Message:
    market = config.market
    return {
        "channel": "trades",
        "type": "trade",
        "market_id": fill.market_id,
        "fill_id": fill.fill_id,
        "price_ticks": fill.price_ticks,
        "quantity_lots": fill.quantity_lots,
        "base_amount": str(fill.quantity_lots * market.lot_size),
        "quote_amount": str(fill.quantity_lots * fill.price_ticks * market.tick_size),
        "taker_side": "buy" if fill.taker_is_buy else "sell",
        "maker_order_hash": fill.maker_order_hash,
        "taker_order_hash": fill.taker_order_hash,
        "maker": fill.maker,
        "taker": fill.taker,
        "status": fill.status,
        "time": int(fill.created_at.timestamp() * 1000),
    }


def _order_message(live: LiveOrder, status: str, config: MarketConfig) -> Message:
    message: Message = {
        "channel": "orders",
        "type": "order",
        "order_hash": live.order_hash,
        "market_id": live.market_id,
        "maker": live.maker,
        "side": "buy" if live.is_buy else "sell",
        "order_type": live.order_type,
        "price_ticks": live.price_ticks,
        "quantity_lots": live.quantity_lots,
        "matched_lots": live.matched,
        "remaining_lots": live.remaining if status in _SHOWS_REMAINING else 0,
        "status": status,
    }
    if live.options is not _PLAIN:
        message.update(live.options.public())
    return message
