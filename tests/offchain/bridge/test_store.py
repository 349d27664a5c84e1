"""The validators and the relayer in-process on the shared store, on SQLite and PostgreSQL:
signatures, checkpoints, restart of a crashed relayer, a forged signature in the store."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from offchain.bridge.models import (
    CLAIMED,
    PENDING,
    SUBMITTED,
    BridgeMessageRow,
    BridgeSignatureRow,
    BridgeValidatorCheckpoint,
)
from offchain.bridge.relayer import Relayer
from offchain.bridge.validator import Validator
from tests.offchain.bridge.conftest import CHAIN_A, CHAIN_B, CONFIRMATIONS, validator_keys
from tigerex.db import make_engine, session_factory
from tigerex.devchain import dev_accounts

AMOUNT = 10 * 10**18


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def validators(world, sessions, indices=(0, 1, 2)):
    return [Validator(world.network, validator_keys()[i], sessions) for i in indices]


def rows(sessions, model):
    with sessions() as session:
        return list(session.scalars(select(model)).all())


class CrashBeforeSend(Relayer):
    """Dies right after recording its claim transaction, before sending it."""

    def _broadcast(self, w3, raw_transaction):
        raise RuntimeError("killed between commit and send")


def test_validators_sign_once_per_final_deposit_and_checkpoint(world, sessions, user):
    world.lock(user, AMOUNT, user)
    vals = validators(world, sessions)
    assert [v.run_once() for v in vals] == [0, 0, 0]  # not final yet
    world.mine(CHAIN_A, CONFIRMATIONS)
    assert [v.run_once() for v in vals] == [1, 1, 1]
    assert [v.run_once() for v in vals] == [0, 0, 0]  # idempotent
    (message,) = rows(sessions, BridgeMessageRow)
    assert (message.src_chain_id, message.dst_chain_id, message.amount) == (
        CHAIN_A,
        CHAIN_B,
        AMOUNT,
    )
    assert len(rows(sessions, BridgeSignatureRow)) == 3
    checkpoints = rows(sessions, BridgeValidatorCheckpoint)
    final_a = world.w3[CHAIN_A].eth.block_number - CONFIRMATIONS
    assert {c.block_number for c in checkpoints if c.src_chain_id == CHAIN_A} == {final_a}


def test_relayer_killed_after_recording_resends_the_same_transaction(world, sessions, user):
    world.lock(user, AMOUNT, user)
    world.mine(CHAIN_A, CONFIRMATIONS)
    for v in validators(world, sessions, (0, 2)):
        v.run_once()
    relayer_key = dev_accounts()[5]
    with pytest.raises(RuntimeError, match="killed"):
        CrashBeforeSend(world.network, relayer_key, sessions).run_once()
    (row,) = rows(sessions, BridgeMessageRow)
    assert row.status == SUBMITTED and row.claim_raw_tx
    recorded = row.claim_tx_hash
    assert world.wrapped.functions.totalSupply().call() == 0

    restarted = Relayer(world.network, relayer_key, sessions)
    restarted.run_once()  # re-sends the recorded bytes; never signs a second claim
    restarted.run_once()  # sees it mined and claimed
    (row,) = rows(sessions, BridgeMessageRow)
    assert (row.status, row.claim_tx_hash) == (CLAIMED, recorded)
    assert world.wrapped.functions.totalSupply().call() == AMOUNT
    assert len(world.bridge[CHAIN_B].events.Claimed().get_logs(from_block=0)) == 1


def test_a_claim_made_by_someone_else_is_recorded_not_repeated(world, sessions, user):
    world.lock(user, AMOUNT, user)
    world.mine(CHAIN_A, CONFIRMATIONS)
    for v in validators(world, sessions):
        v.run_once()
    # Another relayer, with its own store view, claims first.
    Relayer(world.network, dev_accounts()[6], sessions).run_once()
    with sessions() as session:
        row = session.scalars(select(BridgeMessageRow)).one()
        row.status, row.claim_tx_hash = PENDING, None  # our relayer never heard of that claim
        session.commit()
    Relayer(world.network, dev_accounts()[5], sessions).run_once()
    (row,) = rows(sessions, BridgeMessageRow)
    assert row.status == CLAIMED and row.claim_tx_hash is None  # recorded, not re-submitted
    assert len(world.bridge[CHAIN_B].events.Claimed().get_logs(from_block=0)) == 1


def test_a_forged_signature_in_the_store_is_not_counted(world, sessions, user):
    world.lock(user, AMOUNT, user)
    world.mine(CHAIN_A, CONFIRMATIONS)
    validators(world, sessions, (0,))[0].run_once()
    with sessions() as session:
        real = session.scalars(select(BridgeSignatureRow)).one()
        # Validator 1's name on validator 0's signature: recovery exposes it.
        session.add(
            BridgeSignatureRow(
                message_pk=real.message_pk,
                validator=validator_keys()[1].address,
                epoch=real.epoch,
                digest=real.digest,
                signature=real.signature,
            )
        )
        session.commit()
    assert Relayer(world.network, dev_accounts()[5], sessions).run_once() == []
    assert world.wrapped.functions.totalSupply().call() == 0


def test_migration_0008_matches_the_bridge_models(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tigerex.db import Base

    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert [d for d in diffs if "bridge_" in repr(d)] == []


def test_validators_sign_again_after_the_destination_rotates(world, sessions, user):
    from offchain.bridge.deploy import transact
    from offchain.bridge.messages import pack_signatures, rotation_typed_data, sorted_validators
    from tigerex.eip712 import sign_typed_data

    world.lock(user, AMOUNT, user)
    world.mine(CHAIN_A, CONFIRMATIONS)
    vals = validators(world, sessions, (0, 1))
    for v in vals:
        v.run_once()  # signed for epoch 1 of chain B, not claimed yet
    keys = validator_keys()
    new_set = sorted_validators([k.address for k in keys[:2]] + [dev_accounts()[9].address])
    bridge_b = world.bridge[CHAIN_B]
    typed = rotation_typed_data(
        bridge=bridge_b.address, chain_id=CHAIN_B, epoch=1, validators=new_set, threshold=2
    )
    signatures = pack_signatures({k.address: sign_typed_data(typed, k.key) for k in keys[:2]})
    transact(
        world.w3[CHAIN_B],
        dev_accounts()[0],
        bridge_b.functions.rotateValidators(new_set, 2, signatures),
    )
    assert bridge_b.functions.epoch().call() == 2
    assert [v.run_once() for v in vals] == [1, 1]  # the same message, now for epoch 2
    Relayer(world.network, dev_accounts()[5], sessions).run_once()
    assert world.wrapped.functions.totalSupply().call() == AMOUNT
    (claimed,) = bridge_b.events.Claimed().get_logs(from_block=0)
    assert claimed["args"]["epoch"] == 2
