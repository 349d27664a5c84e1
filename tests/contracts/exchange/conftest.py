"""Fixtures for the exchange contract tests: tokens, WETH, an Exchange with market 1
(base 18 decimals / quote 6 decimals, lot 1e15, tick 10, maker 10 bps / taker 20 bps), funded
traders and an order factory that signs with relayer.orders (the off-chain library)."""

from __future__ import annotations

import itertools

import pytest

from relayer.orders import Market, Order, sign_order

MARKET_ID = 1
LOT = 10**15
TICK = 10
MAKER_FEE = 10
TAKER_FEE = 20
PRICE = 300_000  # 3000.00 quote per base
FAR = 2**40
DELAY = 600
DEPOSIT_BASE = 100 * 10**18
DEPOSIT_QUOTE = 1_000_000 * 10**6


@pytest.fixture(scope="session")
def operator(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def fee_recipient(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def weth(project, deployer):
    return deployer.deploy(project.WrappedEther)


@pytest.fixture(scope="module")
def base(project, deployer):
    return deployer.deploy(project.TestToken, "Test Wrapped Ether", "tWETH", 18, deployer)


@pytest.fixture(scope="module")
def quote(project, deployer):
    return deployer.deploy(project.TestToken, "Test USD Coin", "tUSDC", 6, deployer)


@pytest.fixture(scope="module")
def exchange(project, deployer, weth, fee_recipient, operator, base, quote):
    ex = deployer.deploy(project.Exchange, deployer, weth, fee_recipient, DELAY)
    ex.grantRole(ex.OPERATOR_ROLE(), operator, sender=deployer)
    ex.createMarket(MARKET_ID, base, quote, LOT, TICK, 1, MAKER_FEE, TAKER_FEE, sender=deployer)
    return ex


@pytest.fixture(scope="module")
def market(exchange, base, quote):
    return Market(MARKET_ID, base.address, quote.address, LOT, TICK, 1, MAKER_FEE, TAKER_FEE)


@pytest.fixture(scope="module")
def funded(exchange, base, quote, deployer, alice, bob, carol):
    """alice, bob and carol each hold DEPOSIT_BASE and DEPOSIT_QUOTE in the vault."""
    for trader in (alice, bob, carol):
        base.mint(trader, DEPOSIT_BASE, sender=deployer)
        quote.mint(trader, DEPOSIT_QUOTE, sender=deployer)
        base.approve(exchange, 2**256 - 1, sender=trader)
        quote.approve(exchange, 2**256 - 1, sender=trader)
        exchange.deposit(base, DEPOSIT_BASE, sender=trader)
        exchange.deposit(quote, DEPOSIT_QUOTE, sender=trader)
    return (alice, bob, carol)


@pytest.fixture(scope="module", autouse=True)
def _deployed_first(funded):
    """Deploy and fund before any test, so Ape's per-test snapshots never need rebasing."""


class Orders:
    """Builds and signs orders for one exchange deployment."""

    def __init__(self, exchange, chain_id):
        self.exchange = exchange
        self.chain_id = chain_id
        self._salts = itertools.count(1)

    def make(self, account, *, is_buy, price=PRICE, quantity=10, **fields):
        return Order(
            maker=str(account.address),
            market_id=fields.pop("market_id", MARKET_ID),
            is_buy=is_buy,
            price_ticks=price,
            quantity_lots=quantity,
            expiry=fields.pop("expiry", FAR),
            salt=fields.pop("salt", next(self._salts)),
            epoch=fields.pop("epoch", 0),
            max_fee_bps=fields.pop("max_fee_bps", 100),
        )

    def sign(self, account, order, *, chain_id=None, exchange=None):
        return sign_order(
            order,
            account.private_key,
            chain_id or self.chain_id,
            str(exchange or self.exchange.address),
        )

    def signed(self, account, **kwargs):
        order = self.make(account, **kwargs)
        return order, self.sign(account, order)

    def match(self, maker, taker, quantity, *, maker_sig=None, taker_sig=None):
        (m, ms), (t, ts) = maker, taker
        return (
            m.as_tuple(),
            maker_sig if maker_sig is not None else ms,
            t.as_tuple(),
            taker_sig if taker_sig is not None else ts,
            quantity,
        )


@pytest.fixture(scope="module")
def orders(exchange, chain):
    return Orders(exchange, chain.chain_id)
