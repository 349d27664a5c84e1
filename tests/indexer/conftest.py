"""Fixtures and helpers for the indexer tests: a pair of databases of the same kind, chain
activity on the session Anvil, and a row-for-row dump of everything the indexer writes."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from web3 import Web3

from indexer.config import ChainConfig, chain_from_record
from indexer.engine import ChainIndexer
from indexer.models import (
    Checkpoint,
    FactoryChild,
    IndexedEvent,
    IndexedEventAccount,
    MultisigDelegatecallChange,
    MultisigExecution,
    MultisigHashApproval,
    MultisigOwnerChange,
    MultisigReceipt,
    MultisigThresholdChange,
    MultisigWalletCreated,
    TokenBalance,
    TokenTransfer,
)
from tests.conftest import POSTGRES_ENV, _drop_postgres_database, _fresh_postgres_database
from tigerex.db import make_engine, migrate
from tigerex.deployments import ContractRegistry
from tigerex.devchain import dev_accounts
from tigerex.node import rpc_call

DUMPED = (
    IndexedEvent,
    IndexedEventAccount,
    TokenTransfer,
    TokenBalance,
    # Factory children and their wallets' events: followed from run-time creations.
    FactoryChild,
    MultisigWalletCreated,
    MultisigExecution,
    MultisigOwnerChange,
    MultisigThresholdChange,
    MultisigHashApproval,
    MultisigDelegatecallChange,
    MultisigReceipt,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two fresh migrated databases of one kind: the one under test and a reference."""
    if request.param == "sqlite":
        urls = (f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}")
        for url in urls:
            migrate(url)
        yield urls
        return
    admin = os.environ.get(POSTGRES_ENV)
    if not admin:
        pytest.skip(f"PostgreSQL variant skipped: set {POSTGRES_ENV} to run it")
    (a, name_a), (b, name_b) = _fresh_postgres_database(admin), _fresh_postgres_database(admin)
    try:
        migrate(a)
        migrate(b)
        yield a, b
    finally:
        _drop_postgres_database(admin, name_a)
        _drop_postgres_database(admin, name_b)


def chain_config(suite: ContractRegistry, rpc_url: str, **options: Any) -> ChainConfig:
    """The suite's chain config, tuned for tests (fast polls)."""
    options.setdefault("poll_interval", 0.05)
    options.setdefault("confirmations", 1)
    return chain_from_record(suite.deployments, rpc_url=rpc_url, **options)


def index_once(url: str, config: ChainConfig) -> ChainIndexer:
    """Backfill ``config`` into ``url`` up to the head and return the indexer."""
    engine = make_engine(url)
    indexer = ChainIndexer(config, engine)
    try:
        indexer.run(follow=False)
    finally:
        engine.dispose()
    return indexer


def dump(url: str, chain_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the indexer keeps for ``chain_id`` (block-hash bookkeeping aside), sorted."""
    engine = make_engine(url)
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as conn:
            for model in DUMPED:
                table = model.__table__
                rows = conn.execute(select(table).where(table.c.chain_id == chain_id)).all()
                out[table.name] = sorted(tuple(repr(v) for v in r) for r in rows)
            cp = Checkpoint.__table__
            row = conn.execute(
                select(
                    cp.c.block_number, cp.c.block_hash, cp.c.events_total, cp.c.unknown_total
                ).where(cp.c.chain_id == chain_id)
            ).one()
            out["checkpoint"] = [tuple(row)]
    finally:
        engine.dispose()
    return out


class Activity:
    """Sends token activity from Anvil's (unlocked) dev accounts."""

    def __init__(self, w3: Web3, suite: ContractRegistry) -> None:
        self.w3 = w3
        self.suite = suite
        self.accounts = [a.address for a in dev_accounts()]
        self.tokens = {name: suite.contract(name) for name in ("tWETH", "tUSDC", "TUSD")}

    def transfer(self, token: str, sender: int, to: int, amount: int) -> None:
        """One ERC-20 transfer (one block under automine)."""
        self.tokens[token].functions.transfer(self.accounts[to], amount).transact(
            {"from": self.accounts[sender]}
        )

    def mint_tusd(self, to: int, amount: int) -> None:
        """A TUSD mint by the deployer (account 0 holds MINTER_ROLE on the local chain)."""
        self.tokens["TUSD"].functions.mint(self.accounts[to], amount, b"\x01" * 32).transact(
            {"from": self.accounts[0]}
        )

    def burn_tusd(self, amount: int) -> None:
        """A TUSD burn from the deployer's own balance."""
        self.tokens["TUSD"].functions.burn(amount, b"\x02" * 32).transact(
            {"from": self.accounts[0]}
        )

    def mixed(self, count: int, seed: int = 0) -> None:
        """``count`` transactions: transfers of every token between accounts, TUSD mints/burns."""
        for n in range(count):
            k = n + seed
            kind = k % 5
            if kind == 0:
                self.mint_tusd(k % 10, 1_000_000 + k)
            elif kind == 1:
                self.transfer("tWETH", k % 10, (k * 3 + 1) % 10, 10**15 + k)
            elif kind == 2:
                self.transfer("tUSDC", k % 10, (k * 7 + 2) % 10, 1_000 + k)
            elif kind == 3:
                self.transfer("TUSD", 0, (k + 1) % 10, 1 + k % 7)
            else:
                self.mint_tusd(0, 10 + k)
                self.burn_tusd(5)


@pytest.fixture
def activity(w3: Web3, suite: ContractRegistry) -> Activity:
    """Token activity on the session Anvil (reverted after the test with ``suite``)."""
    return Activity(w3, suite)


def head(rpc_url: str) -> tuple[int, str]:
    """The chain's head number and hash."""
    block = rpc_call(rpc_url, "eth_getBlockByNumber", ["latest", False])
    return int(block["number"], 16), block["hash"]


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    """Poll ``predicate`` until it holds or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")


class Follower:
    """An indexer following the head in a thread."""

    def __init__(self, url: str, config: ChainConfig) -> None:
        self.engine = make_engine(url)
        self.indexer = ChainIndexer(config, self.engine)
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.indexer.run(follow=True, stop=self.stop)
        except BaseException as err:
            self.error = err

    def __enter__(self) -> Follower:
        self.thread.start()
        return self

    def caught_up(self, rpc_url: str) -> bool:
        """Whether the checkpoint is the chain's head (number and hash)."""
        if self.error is not None:
            raise self.error
        number, block_hash = head(rpc_url)
        return self.indexer.cp_block == number and self.indexer.cp_hash == block_hash

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)
        self.engine.dispose()
        if self.error is not None and exc[0] is None:
            raise self.error
