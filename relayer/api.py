"""HTTP and WebSocket API of the relayer, mounted under ``/relayer`` (see relayer/README.md).

Thin routes over :class:`relayer.service.RelayerService`: the service is started by this
router's lifespan (in the background, so a missing chain or deployment makes the relayer answer
``relayer_unavailable`` instead of stopping the whole API) and kept on ``app.state.relayer``.

Integers that can exceed 2**53 (token amounts) travel as decimal strings; prices are in ticks
and quantities in lots of the market (uint64, JSON integers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from eth_utils import to_checksum_address
from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    Path,
    Query,
    Request,
    WebSocket,
    WebSocketDisconnect,
)
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from relayer import conditional, marketdata
from relayer.cancels import CANCEL_FIELDS, CancelOrders, cancel_domain
from relayer.conditional import OrderTypeName
from relayer.errors import (
    MarketUnknown,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    RelayerError,
    RelayerUnavailable,
    from_order_error,
)
from relayer.hub import Subscriber
from relayer.models import ORDER_OPEN, ORDER_PENDING, RelayerFill, RelayerOrder
from relayer.orders import EIP712_DOMAIN_FIELDS, ORDER_FIELDS, OrderError, domain
from relayer.ratelimit import TokenBuckets
from relayer.service import LiveOrder, MarketConfig, OrderAck, RelayerService, Submission
from relayer.settings import RelayerSettings, get_relayer_settings
from relayer.signatures import trusted_order
from tigerex.deps import SessionDep
from tigerex.settings import Settings

log = logging.getLogger(__name__)

_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
_HASH = r"^0x[0-9a-fA-F]{64}$"
_HEX = r"^0x([0-9a-fA-F]{2})*$"
_UINT64 = 2**64 - 1
_LIVE_STATUSES = (ORDER_OPEN, ORDER_PENDING)


# --------------------------------------------------------------------------------- runtime


class RelayerRuntime:
    """The relayer of one API process: the service once started, or why it is not."""

    def __init__(self, settings: Settings, relayer_settings: RelayerSettings) -> None:
        self.settings = settings
        self.relayer_settings = relayer_settings
        self.service: RelayerService | None = None
        self.problem = "starting"
        self.ip_limits = TokenBuckets(
            scope="ip", rate=relayer_settings.ip_rate, burst=relayer_settings.ip_burst
        )
        self.maker_limits = TokenBuckets(
            scope="maker", rate=relayer_settings.maker_rate, burst=relayer_settings.maker_burst
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self, app: FastAPI) -> None:
        self._task = asyncio.create_task(self._start_when_possible(app))

    async def _start_when_possible(self, app: FastAPI) -> None:
        while True:
            try:
                service = await asyncio.to_thread(
                    RelayerService.from_settings,
                    self.settings,
                    self.relayer_settings,
                    app.state.session_factory,
                )
                await service.start()
                self.service = service
                self.problem = ""
                return
            except asyncio.CancelledError:
                raise
            except Exception as err:  # no chain / deployment yet: say why, try again
                self.problem = f"{type(err).__name__}: {err}".splitlines()[0]
                log.warning("relayer not started: %s", self.problem)
            await asyncio.sleep(2.0)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.service is not None:
            await self.service.stop()


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Tests and embedders may set app.state.relayer_settings before start-up.
    relayer_settings = getattr(app.state, "relayer_settings", None) or get_relayer_settings()
    runtime = RelayerRuntime(app.state.settings, relayer_settings)
    app.state.relayer = runtime
    await runtime.start(app)
    try:
        yield
    finally:
        await runtime.stop()


router = APIRouter(prefix="/relayer", tags=["relayer"], lifespan=_lifespan)


def _runtime(request: Request) -> RelayerRuntime:
    runtime: RelayerRuntime | None = getattr(request.app.state, "relayer", None)
    if runtime is None:
        raise RelayerUnavailable("the relayer is not mounted in this app")
    return runtime


# Dependencies are ``async def`` although they never await: FastAPI runs a plain ``def``
# dependency in its thread pool, a thread hop per request for a dictionary lookup.
async def get_service(request: Request) -> RelayerService:
    runtime = _runtime(request)
    service = runtime.service
    if service is None or not service.ready:
        why = runtime.problem if service is None else service.unavailable_reason
        raise RelayerUnavailable(f"the relayer is not taking requests: {why}", details={})
    return service


ServiceDep = Annotated[RelayerService, Depends(get_service)]


async def _limit_ip(request: Request) -> None:
    runtime = _runtime(request)
    if runtime.relayer_settings.rate_limit_enabled:
        runtime.ip_limits.take(request.client.host if request.client else "unknown")


RateLimitIp = Depends(_limit_ip)


# ---------------------------------------------------------------------------------- models


class ErrorPublic(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class MarketPublic(BaseModel):
    market_id: int
    base: str
    quote: str
    lot_size: str = Field(description="base units per lot")
    tick_size: str = Field(description="quote units per lot per tick")
    min_quantity_lots: int
    min_notional: str = Field(description="smallest quantity * price * tick_size, quote units")
    maker_fee_bps: int
    taker_fee_bps: int
    active: bool
    order_types: list[str] = Field(
        description="limit, market, stop / take-profit (market or limit), trailing stop"
    )
    time_in_force: list[str]
    iceberg: bool = Field(default=True, description="limit orders may set display_lots")
    oco: bool = Field(default=True, description="orders may set oco_with")


class TypedDataPublic(BaseModel):
    domain: dict[str, Any]
    types: dict[str, list[dict[str, str]]]
    primary_type: str


class DomainPublic(BaseModel):
    chain_id: int
    exchange: str
    order: TypedDataPublic
    cancel: TypedDataPublic
    order_types: list[str]
    time_in_force: list[str]


class OrderCreate(BaseModel):
    """A signed order (fields of IExchange.Order) and how the relayer should handle it."""

    maker: str = Field(pattern=_ADDRESS)
    market_id: int = Field(ge=0, le=2**32 - 1)
    is_buy: bool
    price_ticks: int = Field(ge=0, le=_UINT64)
    quantity_lots: int = Field(ge=0, le=_UINT64)
    expiry: int = Field(ge=0, le=_UINT64, description="unix seconds")
    salt: int = Field(ge=0, le=_UINT64)
    epoch: int = Field(default=0, ge=0, le=2**32 - 1)
    max_fee_bps: int = Field(ge=0, le=2**16 - 1)
    signature: str = Field(pattern=_HEX, description="65-byte ECDSA, or EIP-1271 bytes")
    time_in_force: Literal["gtc", "ioc", "fok", "post_only"] | None = Field(
        default=None, description="default: ioc for the market-style types, else gtc"
    )
    order_type: OrderTypeName = Field(
        default="limit",
        description="market types: immediate-or-cancel at the signed price as worst (once "
        "triggered for stop / take-profit / trailing); *_limit: a limit at the signed price "
        "once triggered",
    )
    trigger_price: int | None = Field(
        default=None, ge=0, le=_UINT64, description="ticks: stop_* and take_profit_* types"
    )
    trailing_delta: int | None = Field(
        default=None, ge=0, le=_UINT64, description="ticks: trailing_stop_market"
    )
    trailing_bps: int | None = Field(
        default=None, ge=0, le=_UINT64, description="1..9999: trailing_stop_market"
    )
    display_lots: int | None = Field(
        default=None, ge=0, le=_UINT64, description="iceberg: lots shown at a time (limit GTC)"
    )
    oco_with: str | None = Field(
        default=None, pattern=_HASH, description="hash of the maker's live order to pair with"
    )
    chain_id: int | None = Field(default=None, description="optional: checked if given")
    exchange: str | None = Field(default=None, pattern=_ADDRESS)


class OrdersCreate(BaseModel):
    orders: list[OrderCreate] = Field(min_length=1)


class FillPublic(BaseModel):
    fill_id: int
    market_id: int
    price_ticks: int
    quantity_lots: int
    taker_side: Literal["buy", "sell"]
    maker: str
    taker: str
    maker_order_hash: str
    taker_order_hash: str
    status: str = Field(description="pending, submitted, settled or skipped (on chain)")
    time: datetime


class OrderAckPublic(BaseModel):
    order_hash: str
    seq: int
    status: str
    matched_lots: int
    remaining_lots: int
    fills: list[FillPublic]


class OrderResultPublic(BaseModel):
    accepted: bool
    order: OrderAckPublic | None = None
    error: ErrorPublic | None = None


class OrdersResultPublic(BaseModel):
    results: list[OrderResultPublic]


class CancelCreate(BaseModel):
    """A signed ``CancelOrders(address maker,bytes32[] orderHashes,uint64 deadline)``."""

    maker: str = Field(pattern=_ADDRESS)
    order_hashes: list[str] = Field(min_length=1, max_length=1000)
    deadline: int = Field(ge=0, le=_UINT64, description="unix seconds")
    signature: str = Field(pattern=_HEX)


class CancelResultPublic(BaseModel):
    order_hash: str
    cancelled: bool
    status: str | None = None
    error: ErrorPublic | None = None


class CancelsResultPublic(BaseModel):
    results: list[CancelResultPublic]


class OrderPublic(BaseModel):
    order_hash: str
    seq: int
    maker: str
    market_id: int
    is_buy: bool
    price_ticks: int
    quantity_lots: int
    expiry: int
    salt: int
    epoch: int
    max_fee_bps: int
    signature: str | None = Field(
        description="null while a conditional order waits for its trigger: a held stop's "
        "signature is a valid order on chain, so it is published only once it fires"
    )
    order_type: str
    time_in_force: str
    status: str = Field(description="pending_trigger, open, filled, cancelled, expired or rejected")
    matched_lots: int
    remaining_lots: int
    settled_lots: int
    created_at: datetime
    trigger_price: int | None = None
    trailing_delta: int | None = None
    trailing_bps: int | None = None
    display_lots: int | None = None
    oco_with: str | None = None
    triggered_at: datetime | None = None
    trigger_last_price: int | None = Field(
        default=None, description="the last trade price (ticks) that fired the trigger"
    )
    trailing_watermark: int | None = Field(
        default=None,
        description="a waiting trailing stop: the highest (sell) / lowest (buy) last price "
        "since placement, in ticks",
    )
    trailing_trigger_price: int | None = Field(
        default=None,
        description="a waiting trailing stop: it fires when the last price reaches this (ticks; "
        "a sell at or below, a buy at or above); it moves with the watermark",
    )


class OrderDetailPublic(OrderPublic):
    fills: list[FillPublic]


class BalancePublic(BaseModel):
    token: str
    balance: str
    pending_withdrawal: str
    reserved_open_orders: str
    reserved_unsettled_fills: str
    available: str


class LevelPublic(BaseModel):
    price_ticks: int
    quantity_lots: int
    orders: int


class BookPublic(BaseModel):
    market_id: int
    seq: int = Field(description="the book's sequence number: WebSocket deltas continue from it")
    bids: list[LevelPublic]
    asks: list[LevelPublic]


class TradesPublic(BaseModel):
    market_id: int
    includes_unsettled: bool = Field(
        default=True, description="trades are listed once matched; status says if settled"
    )
    trades: list[FillPublic]


class AggregatePublic(BaseModel):
    open_time: datetime
    open: int
    high: int
    low: int
    close: int
    volume_lots: int
    volume_base: str
    volume_quote: str
    trades: int
    settled_trades: int


class TickerPublic(BaseModel):
    market_id: int
    includes_unsettled: bool = True
    last_24h: AggregatePublic | None


class CandlesPublic(BaseModel):
    market_id: int
    interval: str
    includes_unsettled: bool = True
    candles: list[AggregatePublic]


# ------------------------------------------------------------------------------- converters


def _error(err: RelayerError | OrderError) -> ErrorPublic:
    if isinstance(err, OrderError):
        err = from_order_error(err)
    return ErrorPublic(code=err.code, message=err.message, details=_jsonable(err.details))


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    """Large integers as decimal strings (JSON numbers lose precision above 2**53)."""
    return {
        key: str(value) if isinstance(value, int) and abs(value) >= 2**53 else value
        for key, value in details.items()
    }


def _submission(body: OrderCreate) -> Submission:
    # The schema bounds every field to its Solidity width, so no second validation.
    order = trusted_order(
        {
            "maker": body.maker,
            "market_id": body.market_id,
            "is_buy": body.is_buy,
            "price_ticks": body.price_ticks,
            "quantity_lots": body.quantity_lots,
            "expiry": body.expiry,
            "salt": body.salt,
            "epoch": body.epoch,
            "max_fee_bps": body.max_fee_bps,
        }
    )
    options = conditional.PLAIN
    if (
        body.trigger_price is not None
        or body.trailing_delta is not None
        or body.trailing_bps is not None
        or body.display_lots is not None
        or body.oco_with is not None
    ):
        options = conditional.OrderOptions(
            trigger_price=body.trigger_price,
            trailing_delta=body.trailing_delta,
            trailing_bps=body.trailing_bps,
            display_lots=body.display_lots,
            oco_with=body.oco_with.lower() if body.oco_with is not None else None,
        )
    return Submission(
        order=order,
        signature=bytes.fromhex(body.signature[2:]),
        time_in_force=body.time_in_force or conditional.default_time_in_force(body.order_type),
        order_type=body.order_type,
        chain_id=body.chain_id,
        exchange=body.exchange,
        options=options,
    )


def _fill_public(fill: Any) -> FillPublic:
    return FillPublic(
        fill_id=fill.fill_id,
        market_id=fill.market_id,
        price_ticks=fill.price_ticks,
        quantity_lots=fill.quantity_lots,
        taker_side="buy" if fill.taker_is_buy else "sell",
        maker=fill.maker,
        taker=fill.taker,
        maker_order_hash=fill.maker_order_hash,
        taker_order_hash=fill.taker_order_hash,
        status=fill.status,
        time=fill.created_at,
    )


def _ack_public(ack: OrderAck) -> OrderAckPublic:
    return OrderAckPublic(
        order_hash=ack.order_hash,
        seq=ack.seq,
        status=ack.status,
        matched_lots=ack.matched_lots,
        remaining_lots=ack.remaining_lots,
        fills=[_fill_public(f) for f in ack.fills],
    )


def _market_public(config: MarketConfig) -> MarketPublic:
    market = config.market
    return MarketPublic(
        market_id=market.market_id,
        base=market.base,
        quote=market.quote,
        lot_size=str(market.lot_size),
        tick_size=str(market.tick_size),
        min_quantity_lots=market.min_quantity_lots,
        min_notional=str(config.min_notional),
        maker_fee_bps=market.maker_fee_bps,
        taker_fee_bps=market.taker_fee_bps,
        active=market.active,
        order_types=list(conditional.ORDER_TYPES),
        time_in_force=list(conditional.TIME_IN_FORCE),
    )


def _order_public(row: RelayerOrder, live: LiveOrder | None) -> dict[str, Any]:
    """``row`` as the API shows it; ``live``: the relayer's view of it while it is live."""
    trailing: dict[str, int] = {}
    if live is not None and live.pending and live.watermark:
        trailing = {
            "trailing_watermark": live.watermark,
            "trailing_trigger_price": conditional.trailing_trigger_price(
                live.options, live.is_buy, live.watermark
            ),
        }
    return {
        "order_hash": row.order_hash,
        "seq": row.seq,
        "maker": row.maker,
        "market_id": row.market_id,
        "is_buy": row.is_buy,
        "price_ticks": row.price_ticks,
        "quantity_lots": row.quantity_lots,
        "expiry": row.expiry,
        "salt": row.salt,
        "epoch": row.epoch,
        "max_fee_bps": row.max_fee_bps,
        # Never before the trigger fires: anyone holding it could fill it on chain at once.
        "signature": None if row.status == ORDER_PENDING else row.signature,
        "order_type": row.order_type,
        "time_in_force": row.time_in_force,
        "status": row.status,
        "matched_lots": row.matched_lots,
        "remaining_lots": (
            row.quantity_lots - row.matched_lots if row.status in _LIVE_STATUSES else 0
        ),
        "settled_lots": row.settled_lots,
        "created_at": marketdata._utc(row.created_at),
        "trigger_price": row.trigger_price,
        "trailing_delta": row.trailing_delta,
        "trailing_bps": row.trailing_bps,
        "display_lots": row.display_lots,
        "oco_with": row.oco_with,
        "triggered_at": marketdata._utc(row.triggered_at) if row.triggered_at else None,
        "trigger_last_price": row.trigger_last_price,
        **trailing,
    }


def _aggregate_public(agg: marketdata.Aggregate, config: MarketConfig) -> AggregatePublic:
    return AggregatePublic(
        open_time=agg.open_time,
        open=agg.open,
        high=agg.high,
        low=agg.low,
        close=agg.close,
        volume_lots=agg.volume_lots,
        volume_base=str(agg.volume_lots * config.market.lot_size),
        volume_quote=str(agg.volume_ticks_lots * config.market.tick_size),
        trades=agg.trades,
        settled_trades=agg.settled_trades,
    )


def _market(service: RelayerService, market_id: int) -> MarketConfig:
    config = service.markets.get(market_id)
    if config is None:
        raise MarketUnknown(f"no market {market_id}", market_id=market_id)
    return config


# ----------------------------------------------------------------------------------- routes


@router.get("/markets", response_model=list[MarketPublic])
def list_markets(service: ServiceDep) -> list[MarketPublic]:
    """Every market the relayer serves, with the parameters an order must respect."""
    return [_market_public(c) for _id, c in sorted(service.markets.items())]


@router.get("/domain", response_model=DomainPublic)
def get_domain(service: ServiceDep) -> DomainPublic:
    """The EIP-712 domains and types of orders and gasless cancels (for any standard signer)."""
    eip712_domain = [{"name": n, "type": t} for n, t in EIP712_DOMAIN_FIELDS]
    return DomainPublic(
        chain_id=service.chain_id,
        exchange=service.exchange_address,
        order=TypedDataPublic(
            domain=domain(service.chain_id, service.exchange_address),
            types={
                "EIP712Domain": eip712_domain,
                "Order": [{"name": n, "type": t} for n, t in ORDER_FIELDS],
            },
            primary_type="Order",
        ),
        cancel=TypedDataPublic(
            domain=cancel_domain(service.chain_id, service.exchange_address),
            types={
                "EIP712Domain": eip712_domain,
                "CancelOrders": [{"name": n, "type": t} for n, t in CANCEL_FIELDS],
            },
            primary_type="CancelOrders",
        ),
        order_types=list(conditional.ORDER_TYPES),
        time_in_force=list(conditional.TIME_IN_FORCE),
    )


def _limit_makers(request: Request, makers: list[str]) -> dict[str, RateLimited]:
    runtime = _runtime(request)
    refused: dict[str, RateLimited] = {}
    if not runtime.relayer_settings.rate_limit_enabled:
        return refused
    counts: dict[str, int] = {}
    for maker in makers:
        counts[maker.lower()] = counts.get(maker.lower(), 0) + 1
    for maker, count in counts.items():
        try:
            runtime.maker_limits.take(maker, count)
        except RateLimited as err:
            refused[maker] = err
    return refused


@router.post(
    "/order",
    response_model=OrderAckPublic,
    status_code=201,
    responses={
        400: {"model": ErrorPublic},
        409: {"model": ErrorPublic},
        429: {"model": ErrorPublic},
    },
    dependencies=[RateLimitIp],
)
async def post_order(body: OrderCreate, request: Request, service: ServiceDep) -> OrderAckPublic:
    """Submit one signed order. 201 once it is journaled (and matched); else the rejection."""
    refused = _limit_makers(request, [body.maker])
    if refused:
        raise next(iter(refused.values()))
    [result] = await service.submit([_submission(body)])
    if isinstance(result, OrderRejected):
        raise result
    return _ack_public(result)


@router.post(
    "/orders",
    response_model=OrdersResultPublic,
    responses={429: {"model": ErrorPublic}},
    dependencies=[RateLimitIp],
)
async def post_orders(
    body: OrdersCreate, request: Request, service: ServiceDep
) -> OrdersResultPublic:
    """Submit a batch: each order is validated and matched in order; one result per order."""
    runtime = _runtime(request)
    if len(body.orders) > runtime.relayer_settings.max_batch:
        raise OrderRejected(
            f"at most {runtime.relayer_settings.max_batch} orders per batch",
            max_batch=runtime.relayer_settings.max_batch,
        )
    refused = _limit_makers(request, [o.maker for o in body.orders])
    results: list[OrderResultPublic | None] = [None] * len(body.orders)
    submissions: list[Submission] = []
    positions: list[int] = []
    for index, item in enumerate(body.orders):
        if item.maker.lower() in refused:
            results[index] = OrderResultPublic(
                accepted=False, error=_error(refused[item.maker.lower()])
            )
            continue
        try:
            submissions.append(_submission(item))
            positions.append(index)
        except RelayerError as err:
            results[index] = OrderResultPublic(accepted=False, error=_error(err))
    answers = await service.submit(submissions) if submissions else []
    for index, answer in zip(positions, answers, strict=True):
        if isinstance(answer, OrderRejected):
            results[index] = OrderResultPublic(accepted=False, error=_error(answer))
        else:
            results[index] = OrderResultPublic(accepted=True, order=_ack_public(answer))
    return OrdersResultPublic(results=[r for r in results if r is not None])


@router.post(
    "/cancel",
    response_model=CancelsResultPublic,
    responses={400: {"model": ErrorPublic}, 429: {"model": ErrorPublic}},
    dependencies=[RateLimitIp],
)
async def post_cancel(
    body: CancelCreate, request: Request, service: ServiceDep
) -> CancelsResultPublic:
    """Gasless cancel: the maker signs ``CancelOrders`` (see GET /relayer/domain). The orders
    leave the relayer's book; they stay valid on chain (cancel there for a guarantee)."""
    for order_hash in body.order_hashes:
        if len(order_hash) != 66 or not order_hash.startswith("0x"):
            raise OrderRejected("order hashes are 0x + 64 hex digits", order_hash=order_hash)
    refused = _limit_makers(request, [body.maker] * len(body.order_hashes))
    if refused:
        raise next(iter(refused.values()))
    try:
        cancel = CancelOrders(
            maker=body.maker,
            order_hashes=tuple(bytes.fromhex(h[2:]) for h in body.order_hashes),
            deadline=body.deadline,
        )
    except (OrderError, ValueError) as err:
        raise OrderRejected(f"malformed cancel: {err}") from err
    answers = await service.cancel_signed(cancel, bytes.fromhex(body.signature[2:]))
    results = []
    for order_hash, answer in zip(body.order_hashes, answers, strict=True):
        if isinstance(answer, OrderRejected):
            results.append(
                CancelResultPublic(order_hash=order_hash, cancelled=False, error=_error(answer))
            )
        else:
            results.append(
                CancelResultPublic(order_hash=order_hash, cancelled=True, status=answer.status)
            )
    return CancelsResultPublic(results=results)


@router.get(
    "/orders/{order_hash}",
    response_model=OrderDetailPublic,
    responses={404: {"model": ErrorPublic}},
)
def get_order(
    order_hash: Annotated[str, Path(pattern=_HASH)], session: SessionDep, service: ServiceDep
) -> OrderDetailPublic:
    """One order by its EIP-712 hash, with its fills (and their settlement status)."""
    row = session.get(RelayerOrder, order_hash.lower())
    if row is None:
        raise OrderNotFound(f"no order {order_hash}", details={"order_hash": order_hash})
    fills = session.scalars(
        select(RelayerFill)
        .where(
            or_(
                RelayerFill.maker_order_hash == row.order_hash,
                RelayerFill.taker_order_hash == row.order_hash,
            )
        )
        .order_by(RelayerFill.id)
    ).all()
    counterparties = {
        o.order_hash: o.maker
        for o in session.scalars(
            select(RelayerOrder).where(
                RelayerOrder.order_hash.in_(
                    {f.maker_order_hash for f in fills} | {f.taker_order_hash for f in fills}
                )
            )
        )
    }
    public = [
        FillPublic(
            fill_id=f.id,
            market_id=f.market_id,
            price_ticks=f.price_ticks,
            quantity_lots=f.quantity_lots,
            taker_side="buy" if f.taker_is_buy else "sell",
            maker=counterparties.get(f.maker_order_hash, ""),
            taker=counterparties.get(f.taker_order_hash, ""),
            maker_order_hash=f.maker_order_hash,
            taker_order_hash=f.taker_order_hash,
            status=f.status,
            time=marketdata._utc(f.created_at),
        )
        for f in fills
    ]
    return OrderDetailPublic(**_order_public(row, service.live_order(row.order_hash)), fills=public)


@router.get("/makers/{maker}/orders", response_model=list[OrderPublic])
def maker_orders(
    maker: Annotated[str, Path(pattern=_ADDRESS)],
    session: SessionDep,
    service: ServiceDep,
    status: Annotated[
        Literal["open", "history", "all"],
        Query(
            description="open: on the book (resting or waiting for a trigger); history: "
            "everything else; all: both"
        ),
    ] = "open",
    market_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[OrderPublic]:
    """A maker's open orders or order history, newest first."""
    query = select(RelayerOrder).where(RelayerOrder.maker == to_checksum_address(maker))
    if status == "open":
        query = query.where(RelayerOrder.status.in_(_LIVE_STATUSES))
    elif status == "history":
        query = query.where(RelayerOrder.status.not_in(_LIVE_STATUSES))
    if market_id is not None:
        query = query.where(RelayerOrder.market_id == market_id)
    rows = session.scalars(query.order_by(RelayerOrder.seq.desc()).limit(limit))
    return [OrderPublic(**_order_public(row, service.live_order(row.order_hash))) for row in rows]


@router.get("/makers/{maker}/balances", response_model=list[BalancePublic])
async def maker_balances(
    maker: Annotated[str, Path(pattern=_ADDRESS)], service: ServiceDep
) -> list[BalancePublic]:
    """Vault balances (read now from the chain) and what the relayer reserves against them."""
    rows = await service.vault(maker)
    return [BalancePublic(**{k: str(v) for k, v in row.items()}) for row in rows]


@router.get(
    "/markets/{market_id}/book", response_model=BookPublic, responses={404: {"model": ErrorPublic}}
)
def get_book(
    market_id: int,
    service: ServiceDep,
    levels: Annotated[int, Query(ge=1, le=500)] = 20,
) -> BookPublic:
    """Aggregated depth, best price first, with the book sequence number."""
    book = service.depth(market_id, levels)
    return BookPublic(
        market_id=market_id,
        seq=book["seq"],
        bids=[LevelPublic(price_ticks=p, quantity_lots=q, orders=n) for p, q, n in book["bids"]],
        asks=[LevelPublic(price_ticks=p, quantity_lots=q, orders=n) for p, q, n in book["asks"]],
    )


@router.get("/markets/{market_id}/trades", response_model=TradesPublic)
def get_trades(
    market_id: int,
    session: SessionDep,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> TradesPublic:
    """Recent trades, newest first: matched fills, settled or not (see each ``status``)."""
    _market(service, market_id)
    trades = marketdata.recent_trades(session, market_id=market_id, limit=limit)
    return TradesPublic(
        market_id=market_id,
        trades=[
            FillPublic(
                fill_id=t.fill_id,
                market_id=t.market_id,
                price_ticks=t.price_ticks,
                quantity_lots=t.quantity_lots,
                taker_side="buy" if t.taker_side == "buy" else "sell",
                maker=t.maker,
                taker=t.taker,
                maker_order_hash=t.maker_order_hash,
                taker_order_hash=t.taker_order_hash,
                status=t.status,
                time=t.time,
            )
            for t in trades
        ],
    )


@router.get("/markets/{market_id}/ticker", response_model=TickerPublic)
def get_ticker(market_id: int, session: SessionDep, service: ServiceDep) -> TickerPublic:
    """The last 24 hours: open, high, low, last, volume (matched trades, settled or not)."""
    config = _market(service, market_id)
    agg = marketdata.ticker(session, market_id=market_id, now=datetime.now(UTC))
    return TickerPublic(
        market_id=market_id, last_24h=_aggregate_public(agg, config) if agg else None
    )


@router.get("/markets/{market_id}/candles", response_model=CandlesPublic)
def get_candles(
    market_id: int,
    session: SessionDep,
    service: ServiceDep,
    interval: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "1m",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CandlesPublic:
    """OHLCV candles, oldest first; intervals without trades are left out."""
    config = _market(service, market_id)
    rows = marketdata.candles(
        session, market_id=market_id, interval=interval, limit=limit, now=datetime.now(UTC)
    )
    return CandlesPublic(
        market_id=market_id,
        interval=interval,
        candles=[_aggregate_public(c, config) for c in rows],
    )


# -------------------------------------------------------------------------------- websocket


class _Subscribe(BaseModel):
    op: Literal["subscribe", "unsubscribe"]
    channel: Literal["book", "trades", "ticker", "candles", "orders"]
    market_id: int | None = None
    maker: str | None = Field(default=None, pattern=_ADDRESS)
    levels: int = Field(default=50, ge=1, le=500)
    interval: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "1m"


@router.websocket("/ws")
async def websocket(ws: WebSocket) -> None:
    """Streams. Send ``{"op": "subscribe", "channel": "book", "market_id": 1}`` (or
    ``trades`` / ``ticker`` with ``market_id``, ``candles`` with ``market_id`` and
    ``interval``, ``orders`` with ``maker``). A book subscription
    starts with a ``snapshot`` carrying ``seq``; every ``delta`` has the next ``seq`` of that
    market, so a gap means a message was lost: resubscribe for a fresh snapshot."""
    await ws.accept()
    runtime: RelayerRuntime | None = getattr(ws.app.state, "relayer", None)
    service = runtime.service if runtime is not None else None
    if service is None or not service.ready:
        if service is not None:
            why = service.unavailable_reason
        else:
            why = runtime.problem if runtime is not None else "not mounted in this app"
        await ws.send_json(
            {
                "type": "error",
                "code": "relayer_unavailable",
                "message": f"the relayer is not taking requests: {why}",
            }
        )
        await ws.close(code=1013)
        return
    subscriber = Subscriber()

    async def pump() -> None:
        while True:
            message = await subscriber.queue.get()
            await ws.send_json(message)
            if subscriber.dropped and message.get("code") == "slow_consumer":
                await ws.close(code=1008)
                return

    writer = asyncio.create_task(pump())
    try:
        while True:
            raw = await ws.receive_text()
            try:
                request = _Subscribe.model_validate_json(raw)
                reply = await _handle_ws(service, subscriber, request)
            except (RelayerError, ValueError) as err:
                code = err.code if isinstance(err, RelayerError) else "request_invalid"
                reply = {"type": "error", "code": code, "message": str(err).splitlines()[0]}
            if reply is not None:
                await subscriber.queue.put(reply)
    except WebSocketDisconnect:
        pass
    finally:
        service.hub.unsubscribe(subscriber)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writer


async def _handle_ws(
    service: RelayerService, subscriber: Subscriber, request: _Subscribe
) -> dict[str, Any] | None:
    if request.channel == "orders":
        if request.maker is None:
            raise ValueError("the orders channel needs maker")
        key: Any = ("orders", to_checksum_address(request.maker))
    else:
        if request.market_id is None:
            raise ValueError(f"the {request.channel} channel needs market_id")
        _market(service, request.market_id)
        key = (request.channel, request.market_id)
        if request.channel == "candles":
            key = ("candles", request.market_id, request.interval)
    if request.op == "unsubscribe":
        service.hub.unsubscribe(subscriber, key)
        return {"type": "unsubscribed", "channel": request.channel}
    if request.channel == "book":
        assert request.market_id is not None
        # The snapshot is queued by the sequencer itself, ahead of every later delta.
        await service.subscribe_book(subscriber, request.market_id, request.levels)
        return None
    service.hub.subscribe(subscriber, key)
    return {"type": "subscribed", "channel": request.channel, "key": list(key)[1:]}
