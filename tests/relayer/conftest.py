"""Relayer fixtures: a started RelayerService on the session Anvil's deployed suite and a fresh
database, plus helpers to fund vaults and sign orders."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from relayer.orders import Order, sign_order
from relayer.service import RelayerService, Submission
from relayer.settings import RelayerSettings
from tigerex.db import make_engine, session_factory
from tigerex.deployments import ContractRegistry
from tigerex.node import AnvilNode

MARKET = 1
PRICE = 200_000  # ticks: 2,000 tUSDC per tWETH (tick = 10 units of 6-decimal tUSDC per lot)
LOT = 10**15  # 0.001 tWETH
TICK = 10
WETH = 10**18
USDC = 10**6

_salts = itertools.count(1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def relayer_settings(**overrides: object) -> RelayerSettings:
    """Background sweeps off by default: tests call ``sweep()`` / ``snapshot()`` themselves."""
    values: dict[str, object] = {
        "poll_interval": 3600.0,
        "snapshot_interval": 3600.0,
        "balance_ttl": 0.0,
        "rate_limit_enabled": False,
        "min_expiry_seconds": 2,
    }
    values.update(overrides)
    return RelayerSettings(**values)  # type: ignore[arg-type]


def make_service(
    suite: ContractRegistry, w3: Web3, anvil: AnvilNode, database_url: str, **overrides: object
) -> RelayerService:
    return RelayerService(
        w3=w3,
        exchange=suite.contract("Exchange"),
        exchange_block=suite.deployments.get("Exchange").block_number,
        factory=session_factory(make_engine(database_url)),
        settings=relayer_settings(**overrides),
        rpc_url=anvil.url,
    )


@pytest.fixture
async def relayer(
    anyio_backend: str, suite: ContractRegistry, w3: Web3, anvil: AnvilNode, database_url: str
) -> AsyncIterator[RelayerService]:
    service = make_service(suite, w3, anvil, database_url)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def send(w3: Web3, fn, sender: str) -> dict:  # type: ignore[no-untyped-def]
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
    assert receipt["status"] == 1
    return dict(receipt)


def deposit(suite: ContractRegistry, w3: Web3, account: str, token: str, amount: int) -> None:
    exchange = suite.contract("Exchange")
    erc20 = suite.contract(token)
    send(w3, erc20.functions.approve(exchange.address, amount), account)
    send(w3, exchange.functions.deposit(erc20.address, amount), account)


def make_order(
    account: LocalAccount,
    *,
    is_buy: bool,
    quantity_lots: int = 10,
    price_ticks: int = PRICE,
    expiry: int | None = None,
    **fields: int,
) -> Order:
    return Order(
        maker=account.address,
        market_id=fields.pop("market_id", MARKET),
        is_buy=is_buy,
        price_ticks=price_ticks,
        quantity_lots=quantity_lots,
        expiry=expiry if expiry is not None else int(time.time()) + 3600,
        salt=fields.pop("salt", next(_salts)),
        **fields,
    )


def signed(
    service: RelayerService,
    account: LocalAccount,
    order: Order,
    **options: object,
) -> Submission:
    signature = sign_order(order, account.key, service.chain_id, service.exchange_address)
    return Submission(order=order, signature=signature, **options)  # type: ignore[arg-type]


def deployments_dir_for(suite: ContractRegistry, folder: Path) -> Path:
    """Write the suite's deployments file as ``<folder>/local.json`` (for subprocesses)."""
    folder.mkdir(parents=True, exist_ok=True)
    suite.deployments.save(folder / "local.json")
    return folder
