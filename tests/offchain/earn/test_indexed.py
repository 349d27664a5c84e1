"""The derivations over indexed rows that the chain tests do not reach: ids shared by several
contracts, and the vault's schedule arithmetic at its edges."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from indexer.models import StakingPoolCreated
from offchain.earn.errors import ContractRequired, PoolNotFound
from offchain.earn.indexed import staking_pools
from offchain.earn.vesting import vested_at

A, B = "0x" + "a" * 40, "0x" + "b" * 40


def _pool(staking: str, n: int) -> StakingPoolCreated:
    return StakingPoolCreated(
        chain_id=1, tx_hash=f"0x{n:064x}", log_index=0, block_number=n, block_hash="0x" + "0" * 64,
        staking=staking, pool_id=0, staking_token="0x" + "c" * 40, lock_durations=[0, 60],
        boost_bps=[10_000, 15_000], exit_policy=0, penalty_bps=0,
    )  # fmt: skip


def test_a_pool_id_in_two_contracts_needs_the_contract(db_session: Session) -> None:
    db_session.add_all([_pool(A, 1), _pool(B, 2)])
    db_session.flush()
    with pytest.raises(ContractRequired) as err:
        staking_pools(session=db_session, chain_id=1, pool_id=0)
    assert err.value.code == "contract_required" and err.value.details["contracts"] == [A, B]
    (pool,) = staking_pools(
        session=db_session, chain_id=1, pool_id=0, staking=B.upper()[2:].join(["0x", ""])
    )
    assert pool.staking == B and [o.boost_bps for o in pool.lock_options] == [10_000, 15_000]
    assert (pool.total_staked, pool.stakers, pool.rewards) == (0, 0, [])
    with pytest.raises(PoolNotFound):
        staking_pools(session=db_session, chain_id=2, pool_id=0)


def test_vested_at_edges() -> None:
    terms = {"total": 1_000, "start": 100, "cliff": 50, "tge_bps": 2_500, "revoked": False}
    assert vested_at(**terms, duration=100, timestamp=99) == 0
    assert vested_at(**terms, duration=100, timestamp=100) == 250  # TGE
    assert vested_at(**terms, duration=100, timestamp=149) == 250  # cliff
    assert vested_at(**terms, duration=100, timestamp=151) == 250 + 750 * 1 // 100
    assert vested_at(**terms, duration=100, timestamp=250) == 1_000
    assert vested_at(**terms, duration=0, timestamp=150) == 1_000  # the rest at the cliff's end
    assert vested_at(**{**terms, "revoked": True}, duration=100, timestamp=0) == 1_000
    previous = 0
    for t in range(90, 260):
        now = vested_at(**terms, duration=100, timestamp=t)
        assert previous <= now <= 1_000
        previous = now
