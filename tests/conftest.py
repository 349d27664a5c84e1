"""Shared fixtures for the service and end-to-end tests.

- ``anvil``: one real Anvil for the session; ``chain_snapshot`` reverts it after each test.
- ``deployed_suite``: the deploy script run once against that Anvil (a ContractRegistry).
- ``funded_accounts``: Anvil's dev accounts (ETH) holding the test tokens the deploy minted.
- ``database_url``: a fresh, migrated database per test, on SQLite and, when
  ``TIGEREX_TEST_DATABASE_URL`` is set, on PostgreSQL too (skipped with the reason otherwise);
  on SQLite a copy of one database migrated once per session.
- ``redis_url``: ``TIGEREX_TEST_REDIS_URL`` or a visible skip.

The contract tests under ``tests/contracts`` use Ape's own fixtures instead.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from web3 import Web3

from tigerex.chain import connect
from tigerex.db import make_engine, migrate, normalize_url, session_factory
from tigerex.deployments import ContractRegistry, DeploymentsFile
from tigerex.devchain import dev_accounts
from tigerex.node import AnvilNode, rpc_call

POSTGRES_ENV = "TIGEREX_TEST_DATABASE_URL"
REDIS_ENV = "TIGEREX_TEST_REDIS_URL"


# ------------------------------------------------------------------------------ chain fixtures


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with AnvilNode(log_file=log) as node:
        yield node


@pytest.fixture(scope="session")
def w3(anvil: AnvilNode) -> Web3:
    return connect(anvil.url, expected_chain_id=anvil.chain_id)


@pytest.fixture(scope="session")
def deployed_suite(
    anvil: AnvilNode, w3: Web3, tmp_path_factory: pytest.TempPathFactory
) -> ContractRegistry:
    from tigerex.cli import run_deploy

    deployments_dir = tmp_path_factory.mktemp("deployments")
    path = run_deploy(anvil.url, deployment="local", deployments_dir=deployments_dir)
    return ContractRegistry(w3, DeploymentsFile.load(path))


@pytest.fixture
def chain_snapshot(anvil: AnvilNode) -> Iterator[str]:
    """Every state change a test makes on the session Anvil is reverted afterwards."""
    snapshot_id = rpc_call(anvil.url, "evm_snapshot")
    yield snapshot_id
    assert rpc_call(anvil.url, "evm_revert", [snapshot_id]) is True


@pytest.fixture
def suite(deployed_suite: ContractRegistry, chain_snapshot: str) -> ContractRegistry:
    """The deployed suite, reverted to its fresh state after the test."""
    return deployed_suite


@pytest.fixture(scope="session")
def funded_accounts(deployed_suite: ContractRegistry) -> tuple[LocalAccount, ...]:
    """Dev accounts 0-9: 10,000 ETH each from Anvil, plus the tWETH/tUSDC the deploy minted."""
    return dev_accounts()


# --------------------------------------------------------------------------- database fixtures


def _fresh_postgres_database(admin_url: str) -> tuple[str, str]:
    name = f"tigerex_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = make_url(normalize_url(admin_url)).set(database=name)
    return url.render_as_string(hide_password=False), name


def _drop_postgres_database(admin_url: str, name: str) -> None:
    engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextlib.contextmanager
def _postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards; a visible skip without one."""
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(f"PostgreSQL variant skipped: set {POSTGRES_ENV} to run it")
    url, name = _fresh_postgres_database(admin_url)
    try:
        yield url
    finally:
        _drop_postgres_database(admin_url, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database (no migrations applied)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with _postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to head per session. Migrating takes 0.3 s and copying a
    few milliseconds, and hundreds of tests each want a fresh database. (PostgreSQL gains
    nothing: CREATE DATABASE ... TEMPLATE takes as long as the migrations.)"""
    template = tmp_path_factory.mktemp("migrated") / "migrated.db"
    migrate(f"sqlite:///{template}")
    return template


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _migrated_sqlite: Path
) -> Iterator[str]:
    """A fresh database migrated to head."""
    if request.param == "sqlite":
        target = tmp_path / "test.db"
        source, copy = sqlite3.connect(_migrated_sqlite), sqlite3.connect(target)
        try:
            source.backup(copy)  # consistent whatever journal files the migration left
        finally:
            source.close()
            copy.close()
        yield f"sqlite:///{target}"
        return
    with _postgres_database() as url:
        migrate(url)
        yield url


@pytest.fixture
def db_session(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"Redis test skipped: set {REDIS_ENV} to run it")
    return url
