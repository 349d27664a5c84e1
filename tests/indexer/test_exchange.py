"""Exchange and WETH: every exchange domain table equals the chain's events, and WETH balances
(minted by ``Deposit``, burnt by ``Withdrawal``, moved by ``Transfer``) equal ``balanceOf``."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from web3 import Web3

from indexer.models import (
    BALANCES,
    ExchangeCancel,
    ExchangeDeposit,
    ExchangeTrade,
    ExchangeWithdrawal,
    ExchangeWithdrawalRequest,
)
from relayer.orders import Order, sign_order
from tests.indexer.conftest import chain_config, index_once
from tigerex.db import make_engine
from tigerex.deployments import ContractRegistry
from tigerex.devchain import dev_accounts
from tigerex.node import rpc_call

pytestmark = pytest.mark.anvil

FAR = 2**40
MAX = 2**256 - 1


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value).lower()


def _exchange_activity(anvil_url: str, w3: Web3, suite: ContractRegistry) -> None:
    accounts = dev_accounts()
    maker, taker, holder, other = (a.address for a in accounts[1:5])
    exchange, weth = suite.contract("Exchange"), suite.contract("WETH")
    base, quote = suite.contract("tWETH"), suite.contract("tUSDC")
    for who in (maker, taker):
        for token in (base, quote):
            token.functions.approve(exchange.address, MAX).transact({"from": who})
    exchange.functions.deposit(base.address, 10**18).transact({"from": maker})
    exchange.functions.deposit(quote.address, 100_000 * 10**6).transact({"from": taker})
    exchange.functions.depositETH().transact({"from": holder, "value": 2 * 10**17})
    # WETH directly: mint, move, burn.
    weth.functions.deposit().transact({"from": holder, "value": 10**18})
    weth.functions.transfer(other, 3 * 10**17).transact({"from": holder})
    weth.functions.withdraw(10**17).transact({"from": other})
    # A fill (fillOrder: the caller is the taker) and a cancel.
    chain_id = w3.eth.chain_id
    sell = Order(maker=maker, market_id=1, is_buy=False, price_ticks=300_000, quantity_lots=10,
                 expiry=FAR, salt=1)  # fmt: skip
    signature = sign_order(sell, accounts[1].key, chain_id, exchange.address)
    exchange.functions.fillOrder(sell.as_tuple(), signature, 4, 100).transact({"from": taker})
    other_order = Order(maker=maker, market_id=1, is_buy=False, price_ticks=310_000,
                        quantity_lots=5, expiry=FAR, salt=2)  # fmt: skip
    exchange.functions.cancelOrder(other_order.as_tuple()).transact({"from": maker})
    # A withdrawal: request, wait out the delay, pay out.
    exchange.functions.requestWithdrawal(quote.address, 1_000 * 10**6).transact({"from": taker})
    rpc_call(anvil_url, "evm_increaseTime", [3600])
    rpc_call(anvil_url, "evm_mine")
    exchange.functions.withdraw(quote.address).transact({"from": taker})


def test_exchange_and_weth_tables_equal_the_chain(
    anvil, w3: Web3, suite: ContractRegistry, database_url: str
) -> None:
    _exchange_activity(anvil.url, w3, suite)
    config = chain_config(suite, anvil.url)
    index_once(database_url, config)
    exchange = suite.contract("Exchange")
    start = config.start_block

    def logs(name: str) -> list[Any]:
        return list(getattr(exchange.events, name)().get_logs(from_block=start))

    engine = make_engine(database_url)
    with engine.connect() as conn:

        def rows(model: Any, *columns: str) -> set[tuple[Any, ...]]:
            table = model.__table__
            return {
                tuple(getattr(r, c) for c in ("tx_hash", "log_index", *columns))
                for r in conn.execute(select(table))
            }

        def key(ev: Any) -> tuple[str, int]:
            return _hex(ev["transactionHash"]), ev["logIndex"]

        assert (
            rows(ExchangeDeposit, "token", "account", "amount")
            == {
                (*key(e), _hex(e.args.token), _hex(e.args.account), e.args.amount)
                for e in logs("Deposited")
            }
            and len(logs("Deposited")) == 3
        )
        assert rows(ExchangeWithdrawalRequest, "account", "amount", "unlocks_at") == {
            (*key(e), _hex(e.args.account), e.args.amount, e.args.unlocksAt)
            for e in logs("WithdrawalRequested")
        }
        assert rows(ExchangeWithdrawal, "token", "account", "amount") == {
            (*key(e), _hex(e.args.token), _hex(e.args.account), e.args.amount)
            for e in logs("Withdrawn")
        } and logs("Withdrawn")
        trades = rows(
            ExchangeTrade, "maker_order_hash", "maker", "taker", "market_id", "quantity_lots",
            "price_ticks", "base_amount", "quote_amount", "maker_fee", "taker_fee",
        )  # fmt: skip
        assert trades == {
            (*key(e), _hex(e.args.makerOrderHash), _hex(e.args.maker), _hex(e.args.taker),
             e.args.marketId, e.args.quantityLots, e.args.priceTicks, e.args.baseAmount,
             e.args.quoteAmount, e.args.makerFee, e.args.takerFee)
            for e in logs("OrderFilled")
        } and len(trades) == 1  # fmt: skip
        assert rows(ExchangeCancel, "order_hash", "maker") == {
            (*key(e), _hex(e.args.orderHash), _hex(e.args.maker)) for e in logs("OrderCancelled")
        } and logs("OrderCancelled")

        balances = {(r.contract, r.account): r.balance for r in conn.execute(select(BALANCES))}
    engine.dispose()

    holders = [a.address for a in dev_accounts()] + [exchange.address]
    for name in ("WETH", "tWETH", "tUSDC", "TUSD"):
        token = suite.contract(name)
        for holder in holders:
            on_chain = token.functions.balanceOf(holder).call()
            assert balances.get((name, holder.lower()), 0) == on_chain, (name, holder)
    assert balances[("WETH", exchange.address.lower())] == 2 * 10**17
