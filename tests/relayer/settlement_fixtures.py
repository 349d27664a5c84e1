"""Fixtures and helpers of the settlement worker tests (imported by tests/relayer/test_settlement*
so that they do not collide with the relayer service's conftest).

The deployed suite on the session Anvil has market 1 = tWETH/tUSDC (lot 1e15 base units, tick
10 quote units, maker fee 10 bps, taker fee 20 bps) and the deployer (dev account 0) as the
operator. Traders are dev accounts 1-3 with vault deposits. Orders are signed with
``relayer.orders`` and journaled by hand, exactly as the relayer service writes them.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.contract import Contract

from relayer.models import (
    FILL_PENDING,
    ORDER_FILLED,
    ORDER_OPEN,
    RelayerFill,
    RelayerOrder,
    RelayerSettlement,
)
from relayer.orders import Market, Order, order_hash, sign_order
from relayer.settlement import SettlementConfig, SettlementWorker
from tigerex.db import Base, make_engine, session_factory
from tigerex.deployments import ContractRegistry
from tigerex.devchain import dev_accounts
from tigerex.node import rpc_call

MARKET_ID = 1
LOT = 10**15
TICK = 10
MAKER_FEE_BPS = 10
TAKER_FEE_BPS = 20
PRICE = 300_000  # 3,000 tUSDC per tWETH: 3 tUSDC (3,000,000 units) per 0.001 tWETH lot
FAR = 2**40
DEPOSIT_BASE = 10 * 10**18
DEPOSIT_QUOTE = 100_000 * 10**6
RELAYER_TABLES = ("relayer_orders", "relayer_fills", "relayer_settlements")


def create_journal_tables(url: str) -> None:
    """The journal tables, until migration 0006_relayer lands (create_all skips existing ones)."""
    engine = make_engine(url)
    try:
        tables = [Base.metadata.tables[name] for name in RELAYER_TABLES]
        Base.metadata.create_all(engine, tables=tables)
        inspector = inspect(engine)
        missing = [
            f"{table.name}.{column.name}"
            for table in tables
            for column in table.columns
            if column.name not in {c["name"] for c in inspector.get_columns(table.name)}
        ]
    finally:
        engine.dispose()
    if missing:
        pytest.fail(f"the migrated journal tables lack the settlement worker's columns: {missing}")


@dataclass
class Trading:
    """The suite's exchange and tokens, with helpers to fund traders and journal orders/fills."""

    w3: Web3
    exchange: Contract
    base: Contract
    quote: Contract
    market: Market
    sessions: sessionmaker[Session]
    chain_id: int
    _seq: Iterator[int]
    _salt: Iterator[int]

    def send(self, call: Any, sender: str) -> Any:
        """Sends a contract call from an unlocked dev account and waits for its receipt (Anvil
        answers eth_sendTransaction before its automine block is written)."""
        receipt = self.w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
        assert receipt["status"] == 1
        return receipt

    def deposit(
        self, trader: LocalAccount, base: int = DEPOSIT_BASE, quote: int = DEPOSIT_QUOTE
    ) -> None:
        for token, amount in ((self.base, base), (self.quote, quote)):
            if amount:
                self.send(token.functions.approve(self.exchange.address, amount), trader.address)
                self.send(self.exchange.functions.deposit(token.address, amount), trader.address)

    def vault(self, token: Contract, account: str) -> int:
        return int(self.exchange.functions.balanceOf(token.address, account).call())

    def order(
        self, trader: LocalAccount, *, is_buy: bool, lots: int, price: int = PRICE, **fields: Any
    ) -> Order:
        return Order(
            maker=trader.address,
            market_id=fields.pop("market_id", MARKET_ID),
            is_buy=is_buy,
            price_ticks=price,
            quantity_lots=lots,
            expiry=fields.pop("expiry", FAR),
            salt=fields.pop("salt", next(self._salt)),
            **fields,
        )

    def signature(self, order: Order, trader: LocalAccount) -> bytes:
        return sign_order(order, trader.key, self.chain_id, self.exchange.address)

    def digest(self, order: Order) -> str:
        return "0x" + order_hash(order, self.chain_id, self.exchange.address).hex()

    def journal_order(self, order: Order, trader: LocalAccount, *, matched: int = 0) -> str:
        """Inserts the order as the relayer does after validating it."""
        digest = self.digest(order)
        with self.sessions() as session:
            session.add(
                RelayerOrder(
                    order_hash=digest,
                    seq=next(self._seq),
                    chain_id=self.chain_id,
                    exchange=self.exchange.address,
                    maker=order.maker,
                    market_id=order.market_id,
                    is_buy=order.is_buy,
                    price_ticks=order.price_ticks,
                    quantity_lots=order.quantity_lots,
                    expiry=order.expiry,
                    salt=order.salt,
                    epoch=order.epoch,
                    max_fee_bps=order.max_fee_bps,
                    signature="0x" + self.signature(order, trader).hex(),
                    status=ORDER_FILLED if matched >= order.quantity_lots else ORDER_OPEN,
                    matched_lots=matched,
                )
            )
            session.commit()
        return digest

    def journal_fill(self, maker: Order, taker: Order, lots: int) -> int:
        """Inserts a pending fill (the engine's match) and the matched lots of both orders."""
        with self.sessions() as session:
            fill = RelayerFill(
                market_id=maker.market_id,
                maker_order_hash=self.digest(maker),
                taker_order_hash=self.digest(taker),
                quantity_lots=lots,
                price_ticks=maker.price_ticks,
                taker_is_buy=taker.is_buy,
                status=FILL_PENDING,
            )
            session.add(fill)
            for order in (maker, taker):
                row = session.get(RelayerOrder, self.digest(order))
                assert row is not None
                row.matched_lots += lots
                if row.matched_lots >= row.quantity_lots:
                    row.status = ORDER_FILLED
            session.commit()
            return fill.id

    def cross(
        self, maker: LocalAccount, taker: LocalAccount, lots: int, *, maker_lots: int | None = None
    ) -> tuple[Order, Order, int]:
        """A resting sell of ``maker`` taken by a buy of ``taker`` for ``lots``: both orders
        and the fill journaled."""
        sell = self.order(maker, is_buy=False, lots=maker_lots or lots)
        buy = self.order(taker, is_buy=True, lots=lots)
        self.journal_order(sell, maker)
        self.journal_order(buy, taker)
        return sell, buy, self.journal_fill(sell, buy, lots)

    # ------------------------------------------------------------------------ journal reads

    def fill(self, fill_id: int) -> RelayerFill:
        with self.sessions() as session:
            fill = session.get(RelayerFill, fill_id)
            assert fill is not None
            return fill

    def order_row(self, order: Order) -> RelayerOrder:
        with self.sessions() as session:
            row = session.get(RelayerOrder, self.digest(order))
            assert row is not None
            return row

    def settlements(self) -> list[RelayerSettlement]:
        with self.sessions() as session:
            return list(session.scalars(select(RelayerSettlement).order_by(RelayerSettlement.id)))

    def filled_on_chain(self, order: Order) -> int:
        return int(self.exchange.functions.filled(bytes.fromhex(self.digest(order)[2:])).call())

    def worker(
        self, clock: Callable[[], float] = time.monotonic, **config: Any
    ) -> SettlementWorker:
        defaults: dict[str, Any] = {
            "confirmations": 1,
            "max_interval": 0,
            "replace_after": 3600,
            "funds_check_interval": 0,
        }
        return SettlementWorker(
            w3=self.w3,
            exchange=self.exchange,
            sessions=self.sessions,
            operator=dev_accounts()[0],
            config=SettlementConfig(**{**defaults, **config}),
            clock=clock,
        )


def mine(rpc_url: str, blocks: int = 1) -> None:
    for _ in range(blocks):
        rpc_call(rpc_url, "evm_mine")


def run_until_idle(worker: SettlementWorker, rpc_url: str, *, steps: int = 20) -> None:
    """Steps (mining a block between steps, so confirmations accrue) until nothing is left in
    flight or pending."""
    from relayer.models import FILL_SUBMITTED

    for _ in range(steps):
        worker.step(flush=True)
        with worker.sessions() as session:
            busy = session.scalar(
                select(RelayerFill.id).where(RelayerFill.status.in_((FILL_PENDING, FILL_SUBMITTED)))
            )
        if busy is None:
            return
        mine(rpc_url)
    raise AssertionError("the worker did not settle everything")


@pytest.fixture
def journal_url(database_url: str) -> str:
    create_journal_tables(database_url)
    return database_url


@pytest.fixture
def trading(w3: Web3, suite: ContractRegistry, journal_url: str) -> Iterator[Trading]:
    engine = make_engine(journal_url)
    exchange = suite.contract("Exchange")
    base = suite.contract("tWETH")
    quote = suite.contract("tUSDC")
    market = Market(
        MARKET_ID, base.address, quote.address, LOT, TICK, 1, MAKER_FEE_BPS, TAKER_FEE_BPS
    )
    yield Trading(
        w3=w3,
        exchange=exchange,
        base=base,
        quote=quote,
        market=market,
        sessions=session_factory(engine),
        chain_id=int(w3.eth.chain_id),
        _seq=itertools.count(1),
        _salt=itertools.count(1),
    )
    engine.dispose()


@pytest.fixture
def traders(trading: Trading) -> tuple[LocalAccount, LocalAccount, LocalAccount]:
    """Dev accounts 1, 2 and 3, each with DEPOSIT_BASE tWETH and DEPOSIT_QUOTE tUSDC in vault."""
    accounts = dev_accounts()[1:4]
    for trader in accounts:
        trading.deposit(trader)
    return accounts[0], accounts[1], accounts[2]
