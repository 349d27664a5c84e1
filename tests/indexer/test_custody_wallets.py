"""Multisig wallets the factory creates at run time: followed from their creation block (in the
same pass as the creation), forgotten with it on a reorg, known again after a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from eth_abi import decode as abi_decode
from sqlalchemy import func, select
from web3 import Web3
from web3.contract import Contract

from indexer.engine import ChainIndexer
from indexer.models import (
    Checkpoint,
    FactoryChild,
    IndexedEvent,
    MultisigDelegatecallChange,
    MultisigExecution,
    MultisigHashApproval,
    MultisigOwnerChange,
    MultisigReceipt,
    MultisigThresholdChange,
)
from offchain.custody.indexed import indexed_wallets
from tests.indexer.conftest import (
    Activity,
    Follower,
    chain_config,
    dump,
    head,
    index_once,
    wait_until,
)
from tests.indexer.multisig_activity import RECIPIENT, WalletActivity, by_address
from tigerex.db import make_engine, session_factory
from tigerex.deployments import ContractRegistry
from tigerex.devchain import dev_accounts
from tigerex.node import rpc_call
from tigerex.paths import project_root

pytestmark = pytest.mark.anvil


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value).lower()


@pytest.fixture
def wallets(w3: Web3, suite: ContractRegistry) -> WalletActivity:
    return WalletActivity(w3, suite)


def _use_wallet(wallets: WalletActivity, wallet: Contract) -> None:
    """Every kind of wallet event, none through our API: funding, an external transfer, an owner
    added, the threshold raised, an owner swapped, a hash approved, a delegatecall target
    allowed."""
    accounts = dev_accounts()
    first = by_address(accounts[1:4])
    wallets.fund(wallet, 10**18)
    wallets.execute(wallet, first[:2], value=10**17)
    wallets.add_owner(wallet, first[:2], accounts[4].address, 2)
    wallets.change_threshold(wallet, first[:2], 3)
    owners = by_address([*first, accounts[4]])
    wallets.swap_owner(wallet, owners[:3], first[0].address, accounts[5].address)
    wallets.approve_hash(wallet, first[1], b"\x01" * 32)
    now = by_address([a for a in [*first, accounts[4], accounts[5]] if a != first[0]])
    wallets.allow_delegatecall(wallet, now[:3], RECIPIENT, True)


def _state(url: str) -> dict[str, tuple[list[str], int, int]]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return {
                w.wallet: (w.owners, w.threshold, w.nonce) for w in indexed_wallets(session=session)
            }
    finally:
        engine.dispose()


def _chain_state(wallet: Contract) -> tuple[list[str], int, int]:
    owners = [o.lower() for o in wallet.functions.getOwners().call()]
    return (
        sorted(owners, key=lambda a: int(a, 16)),
        wallet.functions.threshold().call(),
        wallet.functions.nonce().call(),
    )


def test_a_created_wallet_is_indexed_with_its_later_events_in_the_same_pass(
    anvil, w3: Web3, wallets: WalletActivity, suite: ContractRegistry, database_pair
) -> None:
    url, reference = database_pair
    owners = by_address(dev_accounts()[1:4])
    wallet = wallets.create(owners, 2, salt=11)
    idle = wallets.create(owners, 1, salt=12)
    _use_wallet(wallets, wallet)

    # One range holds the creations and every later wallet event: one step indexes them all.
    config = chain_config(suite, anvil.url, initial_range=10_000, max_range=10_000)
    engine = make_engine(url)
    indexer = ChainIndexer(config, engine)
    indexer.open()
    assert indexer.step() is True
    target, _ = head(anvil.url)
    assert indexer.cp_block == target
    assert set(indexer.children) == {wallet.address.lower(), idle.address.lower()}
    engine.dispose()

    start = config.start_block

    def logs(name: str) -> list[Any]:
        return list(getattr(wallet.events, name)().get_logs(from_block=start))

    def key(ev: Any) -> tuple[str, int]:
        return _hex(ev["transactionHash"]), ev["logIndex"]

    engine = make_engine(url)
    with engine.connect() as conn:

        def rows(model: Any, *columns: str) -> set[tuple[Any, ...]]:
            table = model.__table__
            query = select(table).where(table.c.wallet == wallet.address.lower())
            return {
                tuple(getattr(r, c) for c in ("tx_hash", "log_index", *columns))
                for r in conn.execute(query)
            }

        executions = logs("ExecutionSuccess")
        assert len(executions) == 5
        assert rows(MultisigExecution, "safe_tx_hash", "nonce", "to", "value") == {
            (*key(e), _hex(e.args.txHash), e.args.nonce, _hex(e.args.to), e.args.value)
            for e in executions
        }
        # Two events are named Initialized (OpenZeppelin's ``Initialized(uint64)`` too): select
        # the wallet's by topic.
        initialized = [
            ({"transactionHash": lg["transactionHash"], "logIndex": lg["logIndex"]}, args)
            for lg in w3.eth.get_logs(
                {
                    "address": wallet.address,
                    "fromBlock": start,
                    "topics": [Web3.keccak(text="Initialized(address[],uint256)")],
                }
            )
            for args in [abi_decode(["address[]", "uint256"], bytes(lg["data"]))]
        ]
        assert len(initialized) == 1
        assert rows(MultisigOwnerChange, "owner", "added") == (
            {(*key(e), _hex(o), True) for e, (owners_, _) in initialized for o in owners_}
            | {(*key(e), _hex(e.args.owner), True) for e in logs("OwnerAdded")}
            | {(*key(e), _hex(e.args.owner), False) for e in logs("OwnerRemoved")}
        )
        assert rows(MultisigThresholdChange, "threshold") == (
            {(*key(e), threshold) for e, (_, threshold) in initialized}
            | {(*key(e), e.args.threshold) for e in logs("ThresholdChanged")}
        )
        assert rows(MultisigHashApproval, "hash", "owner") == {
            (*key(e), _hex(e.args.hash), _hex(e.args.owner)) for e in logs("HashApproved")
        }
        assert rows(MultisigDelegatecallChange, "target", "allowed") == {
            (*key(e), _hex(e.args.target), True) for e in logs("DelegatecallAllowed")
        }
        assert rows(MultisigReceipt, "sender", "value") == {
            (*key(e), _hex(e.args["from"]), 10**18) for e in logs("Received")
        }
        # Every log of the wallet is in the events table, decoded.
        raw = w3.eth.get_logs({"address": wallet.address, "fromBlock": start})
        events = IndexedEvent.__table__
        decoded = conn.execute(
            select(func.count()).where(
                events.c.address == wallet.address.lower(), events.c.event.is_not(None)
            )
        ).scalar()
        assert decoded == len(raw) > 10
    engine.dispose()

    assert _state(url) == {
        wallet.address.lower(): _chain_state(wallet),
        idle.address.lower(): _chain_state(idle),
    }
    assert _chain_state(wallet)[1:] == (3, 5)

    # Small ranges, pipelined: the creation and the later events fall in different ranges.
    index_once(reference, chain_config(suite, anvil.url, initial_range=1, max_range=2))
    assert dump(url, config.chain_id) == dump(reference, config.chain_id)


def test_a_reorg_that_drops_the_creation_forgets_the_wallet_and_its_rows(
    anvil,
    w3: Web3,
    wallets: WalletActivity,
    activity: Activity,
    suite: ContractRegistry,
    database_pair,
) -> None:
    url, reference = database_pair
    owners = by_address(dev_accounts()[1:4])
    activity.mixed(3)
    config = chain_config(suite, anvil.url)
    with Follower(url, config) as follower:
        fork = rpc_call(anvil.url, "evm_snapshot")
        dropped = wallets.create(owners, 2, salt=21)
        _use_wallet(wallets, dropped)
        wait_until(lambda: follower.caught_up(anvil.url), what="old branch indexed")
        assert dropped.address.lower() in follower.indexer.children
        assert dropped.address.lower() in _state(url)

        assert rpc_call(anvil.url, "evm_revert", [fork]) is True
        kept = wallets.create(owners, 2, salt=22)
        wallets.execute(kept, owners[:2])
        activity.mixed(12, seed=3)  # longer than the dropped branch
        wait_until(lambda: follower.caught_up(anvil.url), what="new branch indexed")
        assert follower.indexer.reorgs_total >= 1
        assert set(follower.indexer.children) == {kept.address.lower()}

    assert _state(url) == {kept.address.lower(): _chain_state(kept)}
    engine = make_engine(url)
    with engine.connect() as conn:
        gone = dropped.address.lower()
        for model in (FactoryChild, IndexedEvent):
            table = model.__table__
            assert conn.execute(select(table).where(table.c.address == gone)).all() == []
        for model in (MultisigExecution, MultisigOwnerChange, MultisigReceipt):
            table = model.__table__
            assert conn.execute(select(table).where(table.c.wallet == gone)).all() == []
    engine.dispose()
    index_once(reference, config)
    assert dump(url, config.chain_id) == dump(reference, config.chain_id)


def test_a_restarted_indexer_follows_the_wallets_it_found_before(
    anvil, wallets: WalletActivity, suite: ContractRegistry, database_pair
) -> None:
    url, reference = database_pair
    owners = by_address(dev_accounts()[1:4])
    wallet = wallets.create(owners, 2, salt=31)
    config = chain_config(suite, anvil.url)
    index_once(url, config)  # the creation, then the process ends
    _use_wallet(wallets, wallet)  # events in blocks after the checkpoint
    indexer = index_once(url, config)  # a new indexer: it must read its children back
    assert set(indexer.children) == {wallet.address.lower()}
    assert _state(url) == {wallet.address.lower(): _chain_state(wallet)}
    index_once(reference, config)
    assert dump(url, config.chain_id) == dump(reference, config.chain_id)


def _checkpoint(url: str) -> int | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(Checkpoint.block_number)).scalar()
    except Exception:  # tables not there yet (migrating) or locked: not started
        return None
    finally:
        engine.dispose()


def test_sigkill_between_creation_and_use_then_rerun_equals_uninterrupted(
    anvil,
    wallets: WalletActivity,
    activity: Activity,
    suite: ContractRegistry,
    database_pair,
    tmp_path: Path,
) -> None:
    url, reference = database_pair
    owners = by_address(dev_accounts()[1:4])
    wallet = wallets.create(owners, 2, salt=41)
    created, _ = head(anvil.url)
    activity.mixed(30)
    _use_wallet(wallets, wallet)
    deployments_dir = tmp_path / "deployments"
    suite.deployments.save(deployments_dir / "local.json")
    env = {
        **os.environ,
        "TIGEREX_DATABASE_URL": url,
        "TIGEREX_RPC_URL": anvil.url,
        "TIGEREX_DEPLOYMENTS_DIR": str(deployments_dir),
        "TIGEREX_NETWORK": "local",
    }
    command = [sys.executable, "-m", "tigerex.cli", "index", "--network", "local", "--no-follow",
               "--max-range", "1", "--confirmations", "1"]  # fmt: skip

    proc = subprocess.Popen(
        command, cwd=project_root(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        block = _checkpoint(url)
        if block is not None and block > created + 5:  # past the creation, before the use
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL, "the kill should land mid-backfill"

    proc = subprocess.Popen(
        command, cwd=project_root(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out.decode()
    config = chain_config(suite, anvil.url)
    index_once(reference, config)
    assert dump(url, config.chain_id) == dump(reference, config.chain_id)
    assert _state(url) == {wallet.address.lower(): _chain_state(wallet)}
