"""Lock on chain A, claim on chain B, burn on B, release on A, with the real validator and
relayer processes; validators down; a reorg before finality; replay of a claim."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select
from web3.exceptions import ContractLogicError

from offchain.bridge.messages import message_id
from offchain.bridge.models import CLAIMED, BridgeMessageRow, BridgeSignatureRow
from tests.offchain.bridge.conftest import CHAIN_A, CHAIN_B, CONFIRMATIONS, wait_until
from tigerex.db import make_engine, session_factory
from tigerex.devchain import dev_accounts
from tigerex.node import rpc_call

AMOUNT = 250 * 10**18


def signature_count(world) -> int:
    engine = make_engine(world.database_url)
    try:
        with session_factory(engine)() as session:
            return int(session.scalar(select(func.count()).select_from(BridgeSignatureRow)) or 0)
    except Exception:  # the processes have not migrated the store yet
        return 0
    finally:
        engine.dispose()


def claimed_rows(world) -> list[BridgeMessageRow]:
    engine = make_engine(world.database_url)
    try:
        with session_factory(engine)() as session:
            return list(
                session.scalars(
                    select(BridgeMessageRow).where(BridgeMessageRow.status == CLAIMED)
                ).all()
            )
    finally:
        engine.dispose()


def test_lock_claim_burn_release_round_trip(world, user):
    for index in range(3):
        world.start_validator(index)
    world.start_relayer()
    recipient = str(dev_accounts()[2].address)
    before = world.token.functions.balanceOf(user).call()

    world.lock(user, AMOUNT, recipient)
    world.mine(CHAIN_A, CONFIRMATIONS)
    wait_until(
        lambda: world.wrapped.functions.balanceOf(recipient).call() == AMOUNT,
        90,
        "the mint on chain B",
        world,
    )
    assert world.bridge[CHAIN_A].functions.locked(world.token.address, CHAIN_B).call() == AMOUNT

    world.burn(recipient, AMOUNT // 5, user)
    world.mine(CHAIN_B, CONFIRMATIONS)
    wait_until(
        lambda: world.token.functions.balanceOf(user).call() == before - AMOUNT + AMOUNT // 5,
        60,
        "the release on chain A",
        world,
    )
    remaining = AMOUNT - AMOUNT // 5
    assert world.wrapped.functions.totalSupply().call() == remaining
    assert world.bridge[CHAIN_A].functions.locked(world.token.address, CHAIN_B).call() == remaining
    rows = claimed_rows(world)
    assert len(rows) == 2 and all(r.claim_tx_hash for r in rows)


def test_one_validator_down_the_quorum_still_claims(world, user):
    world.start_validator(0)
    world.start_validator(2)
    world.start_relayer()
    world.lock(user, AMOUNT, user)
    world.mine(CHAIN_A, CONFIRMATIONS)
    wait_until(
        lambda: world.wrapped.functions.balanceOf(user).call() == AMOUNT, 90, "the mint", world
    )


def test_two_validators_down_waits_then_completes_when_one_returns(world, user):
    world.start_validator(1)
    world.start_relayer()
    world.lock(user, AMOUNT, user)
    world.mine(CHAIN_A, CONFIRMATIONS)
    wait_until(lambda: signature_count(world) == 1, 60, "the one validator's signature", world)
    time.sleep(2)  # several relayer rounds with one signature of two
    assert world.wrapped.functions.totalSupply().call() == 0
    # The returning validator was down during the deposit: it catches up from its checkpoint.
    world.start_validator(0)
    wait_until(
        lambda: world.wrapped.functions.balanceOf(user).call() == AMOUNT,
        90,
        "the mint once a second validator is back",
        world,
    )
    assert signature_count(world) == 2


def test_reorg_before_finality_mints_nothing_for_the_orphaned_deposit(world, user):
    for index in range(3):
        world.start_validator(index)
    world.start_relayer()
    orphan_recipient = str(dev_accounts()[3].address)
    real_recipient = str(dev_accounts()[4].address)
    url_a = world.nodes[CHAIN_A].url

    snapshot = rpc_call(url_a, "evm_snapshot")
    world.lock(user, AMOUNT, orphan_recipient)
    world.mine(CHAIN_A, CONFIRMATIONS - 1)  # one block short of final
    time.sleep(3)  # many validator rounds see the deposit, none may sign it
    assert signature_count(world) == 0
    assert rpc_call(url_a, "evm_revert", [snapshot]) is True  # the deposit's blocks are gone

    # The same nonce 0 now carries a different deposit on the canonical chain.
    world.lock(user, AMOUNT // 2, real_recipient)
    world.mine(CHAIN_A, CONFIRMATIONS + 2)
    wait_until(
        lambda: world.wrapped.functions.balanceOf(real_recipient).call() == AMOUNT // 2,
        90,
        "the mint of the canonical deposit",
        world,
    )
    time.sleep(1)
    assert world.wrapped.functions.balanceOf(orphan_recipient).call() == 0
    assert world.wrapped.functions.totalSupply().call() == AMOUNT // 2
    assert world.bridge[CHAIN_A].functions.locked(world.token.address, CHAIN_B).call() == (
        AMOUNT // 2
    )


def test_replay_of_a_claim_is_refused_and_never_double_submitted(world, user):
    for index in range(3):
        world.start_validator(index)
    world.start_relayer()
    world.lock(user, AMOUNT, user)
    world.mine(CHAIN_A, CONFIRMATIONS)
    wait_until(lambda: len(claimed_rows(world)) == 1, 90, "the claim", world)
    (row,) = claimed_rows(world)
    w3_b = world.w3[CHAIN_B]
    claim_tx = w3_b.eth.get_transaction(row.claim_tx_hash)
    bridge_b = world.bridge[CHAIN_B]
    # Anyone replaying the exact calldata of the successful claim is refused.
    with pytest.raises(ContractLogicError):
        w3_b.eth.call({"to": bridge_b.address, "data": claim_tx["input"], "from": user})
    # Exactly one Claimed event for the message, however many relayer rounds ran since.
    time.sleep(2)
    expected_id = message_id(CHAIN_A, world.bridge[CHAIN_A].address, 0)
    claimed_logs = bridge_b.events.Claimed().get_logs(from_block=0)
    assert [bytes(log["args"]["messageId"]) for log in claimed_logs] == [expected_id]
    assert world.wrapped.functions.totalSupply().call() == AMOUNT
