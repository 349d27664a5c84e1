"""Staking, launchpad and vesting: every event of the three contracts becomes exactly one row
of the earn tables, with the chain's values; the state derived from the rows equals the
contracts' views; a reorg removes what the dropped branch did."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from web3 import Web3

from indexer.handlers import load_handlers
from indexer.models import (
    LaunchpadFeeChange,
    LaunchpadPurchase,
    LaunchpadSaleCreated,
    LaunchpadSaleStep,
    LaunchpadSettlement,
    StakingAdminAction,
    StakingPoolCreated,
    StakingPositionChange,
    StakingRewardFunding,
    StakingRewardPayment,
    StakingRewardTokenAdded,
    VestingClaim,
    VestingRevocation,
    VestingScheduleCreated,
)
from offchain.earn.indexed import (
    account_staking,
    participations,
    sales,
    staking_pools,
    vesting_schedules,
)
from tests.indexer.conftest import Follower, chain_config, index_once, wait_until
from tests.indexer.earn_activity import TUSD, EarnActivity
from tigerex.db import make_engine, session_factory
from tigerex.deployments import ContractRegistry
from tigerex.node import rpc_call

pytestmark = pytest.mark.anvil

EARN_TABLES = (
    StakingPoolCreated,
    StakingRewardTokenAdded,
    StakingRewardFunding,
    StakingPositionChange,
    StakingRewardPayment,
    StakingAdminAction,
    LaunchpadSaleCreated,
    LaunchpadSaleStep,
    LaunchpadPurchase,
    LaunchpadSettlement,
    LaunchpadFeeChange,
    VestingScheduleCreated,
    VestingClaim,
    VestingRevocation,
)
# Events every contract inherits from OpenZeppelin's AccessControl: kept in ``indexer_events``
# only (who holds a role is not earn state).
ROLE_EVENTS = {"RoleGranted", "RoleRevoked", "RoleAdminChanged"}


def _logs(w3: Web3, contract: Any, start: int) -> list[tuple[str, int, str]]:
    """Every log of ``contract`` since ``start`` as (tx hash, log index, event name)."""
    names = {
        Web3.keccak(text=f"{e['name']}({','.join(_type(i) for i in e['inputs'])})").hex(): e["name"]
        for e in contract.abi
        if e["type"] == "event"
    }
    found = []
    for log in w3.eth.get_logs({"address": contract.address, "fromBlock": start}):
        name = names[log["topics"][0].hex().removeprefix("0x")]
        found.append(
            ("0x" + log["transactionHash"].hex().removeprefix("0x"), log["logIndex"], name)
        )
    return found


def _type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        return f"({','.join(_type(c) for c in item['components'])}){item['type'][5:]}"
    return str(item["type"])


def _rows(url: str, chain_id: int, *, full: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Each earn table's rows of ``chain_id``, sorted: their keys, or every column (``full``)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                model.__tablename__: sorted(
                    tuple(repr(v) for v in r) if full else (r.tx_hash, r.log_index)
                    for r in conn.execute(
                        select(model.__table__).where(model.__table__.c.chain_id == chain_id)
                    )
                )
                for model in EARN_TABLES
            }
    finally:
        engine.dispose()


def test_every_earn_event_is_one_row_and_derived_state_equals_the_contracts(
    anvil, w3: Web3, suite: ContractRegistry, database_url: str
) -> None:
    activity = EarnActivity(w3, suite, anvil.url)
    done = activity.everything()
    config = chain_config(suite, anvil.url)
    index_once(database_url, config)

    # Every log of the three contracts (role changes aside) is exactly one row of one table.
    start = config.start_block
    logs = [
        entry
        for contract in (activity.staking, activity.launchpad, activity.vault)
        for entry in _logs(w3, contract, start)
        if entry[2] not in ROLE_EVENTS
    ]
    emitted = {name for _, _, name in logs}
    for contract in (activity.staking, activity.launchpad, activity.vault):
        declared = {e["name"] for e in contract.abi if e["type"] == "event"} - ROLE_EVENTS
        assert declared <= emitted, f"not exercised: {declared - emitted}"
    tables = _rows(database_url, config.chain_id)
    stored = [key for rows in tables.values() for key in rows]
    assert sorted(stored) == sorted((tx, index) for tx, index, _ in logs)
    assert len(stored) == len(set(stored))
    assert all(key for key in tables.values()), {k for k, v in tables.items() if not v}
    # Every handler of the earn contracts is registered.
    keys = load_handlers().keys()
    assert {f"StakingPools:{n}" for n in ("Staked", "Paused", "Unpaused")} <= set(keys)

    engine = make_engine(database_url)
    chain_id = config.chain_id
    staking, launchpad, vault = activity.staking, activity.launchpad, activity.vault
    try:
        with session_factory(engine)() as session:
            # Pools: totals, reward tokens and lock options equal poolInfo.
            pools = staking_pools(session=session, chain_id=chain_id)
            assert [p.pool_id for p in pools] == [0, done["pool"]]
            for pool in pools:
                info = staking.functions.poolInfo(pool.pool_id).call()
                assert pool.staking_token == info[0].lower()
                assert (pool.total_staked, pool.total_weight) == (info[3], info[4])
                assert [(o.duration, o.boost_bps) for o in pool.lock_options] == [
                    tuple(o) for o in info[5]
                ]
                assert [s.token for s in pool.rewards] == [t.lower() for t in info[6]]
                for stream in pool.rewards:
                    reward = staking.functions.rewardInfo(
                        pool.pool_id, Web3.to_checksum_address(stream.token)
                    ).call()
                    assert stream.period_finish == reward[1]
            assert not pools[0].paused and pools[0].exit_policy == "penalty_to_stakers"
            assert pools[1].exit_policy == "refused" and pools[1].stakers == 0

            # Positions: every account's positions equal positionInfo.
            for account in done["stakers"]:
                found = account_staking(session=session, chain_id=chain_id, account=account)
                on_chain = {
                    i: staking.functions.positionInfo(0, account, i).call() for i in range(4)
                }
                assert {
                    p.lock_index: (p.amount, p.weight, p.unlock_at) for p in found.positions
                } == {i: (info[0], info[1], info[2]) for i, info in on_chain.items() if info[0]}
            staker = account_staking(session=session, chain_id=chain_id, account=done["stakers"][0])
            assert staker.rewards[0].paid > 0
            emergency = account_staking(
                session=session, chain_id=chain_id, account=done["stakers"][1]
            )
            assert emergency.positions == [] and emergency.rewards[0].forfeited > 0

            # Sales: status, raise and deposits equal saleState.
            found_sales = {s.config.sale_id: s for s in sales(session=session, chain_id=chain_id)}
            outcomes = {1: None, 2: "succeeded", 3: "failed", 4: "cancelled"}
            for sale_id, sale in found_sales.items():
                state = launchpad.functions.saleState(sale_id).call()
                assert sale.outcome == outcomes[state[0]]
                assert sale.total_committed == state[5]
                assert sale.tokens_deposited == state[8]
                assert len(sale.buyers) == state[1] and sale.settled == state[2]
            lottery = found_sales[done["sale"].sale_id]
            assert lottery.raised == 1_000 * TUSD and lottery.seed is not None
            assert lottery.lottery_drawn is True and lottery.remainder_swept

            # Participations: committed and the settlement equal participationOf / allocationOf.
            for buyer in done["buyers"]:
                (mine,) = participations(
                    session=session,
                    chain_id=chain_id,
                    buyer=buyer,
                    sale_id=done["sale"].sale_id,
                )
                part = launchpad.functions.participationOf(done["sale"].sale_id, buyer).call()
                assert (mine.committed, mine.guaranteed_cap, mine.lottery_offset) == tuple(part[:3])
                paid, tokens, refund = launchpad.functions.allocationOf(
                    done["sale"].sale_id, buyer
                ).call()
                assert mine.settlement is not None
                assert (mine.settlement.paid, mine.settlement.tokens, mine.settlement.refund) == (
                    paid,
                    tokens,
                    refund,
                )

            # Schedules: total, released and vested equal the vault's views, at several times.
            now = activity.now()
            for beneficiary, schedule_id in done["schedules"].items():
                (schedule,) = vesting_schedules(
                    session=session, chain_id=chain_id, beneficiary=beneficiary
                )
                assert schedule.schedule_id == schedule_id
                stored_schedule = vault.functions.scheduleOf(schedule_id, beneficiary).call()
                assert (schedule.total, schedule.released, schedule.revoked) == (
                    stored_schedule[4],
                    stored_schedule[5],
                    stored_schedule[8],
                )
                for at in (0, schedule.start, schedule.start + 1, now, now + 500, now + 10**6):
                    assert (
                        schedule.vested(at)
                        == vault.functions.vestedAt(schedule_id, beneficiary, at).call()
                    )
                assert (
                    schedule.claimable(now)
                    == vault.functions.releasable(schedule_id, beneficiary).call()
                )
    finally:
        engine.dispose()


def test_reorg_drops_the_earn_rows_of_the_abandoned_branch(
    anvil, w3: Web3, suite: ContractRegistry, database_url: str
) -> None:
    """Stakes and a purchase indexed, then the chain reorganises to a branch without them: the
    next run rolls them back, and positions and raise are derived from what remains."""
    activity = EarnActivity(w3, suite, anvil.url)
    staker, buyer = activity.accounts[1], activity.accounts[2]
    sale = activity.create_sale()
    activity.stake(staker, 10 * TUSD)
    config = chain_config(suite, anvil.url)
    index_once(database_url, config)
    kept = _rows(database_url, config.chain_id, full=True)

    fork = rpc_call(anvil.url, "evm_snapshot")
    activity.stake(staker, 90 * TUSD, lock_index=2)
    activity.buy(sale, buyer, 100 * TUSD)
    index_once(database_url, config)
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            (pool,) = staking_pools(session=session, chain_id=config.chain_id, pool_id=0)
            assert pool.total_staked == 100 * TUSD
            (indexed_sale,) = sales(session=session, chain_id=config.chain_id, sale_id=sale.sale_id)
            assert indexed_sale.total_committed == 100 * TUSD

        assert rpc_call(anvil.url, "evm_revert", [fork]) is True
        for n in range(4):  # a longer branch without the stake and the purchase
            activity.mint_tusd(activity.accounts[5], n + 1)
        indexer = index_once(database_url, config)
        assert indexer.reorgs_total == 1
        with session_factory(engine)() as session:
            (pool,) = staking_pools(session=session, chain_id=config.chain_id, pool_id=0)
            assert pool.total_staked == 10 * TUSD
            assert pool.total_staked == activity.staking.functions.poolInfo(0).call()[3]
            (indexed_sale,) = sales(session=session, chain_id=config.chain_id, sale_id=sale.sale_id)
            assert indexed_sale.total_committed == 0 and not indexed_sale.buyers
            positions = account_staking(
                session=session, chain_id=config.chain_id, account=staker
            ).positions
            assert [(p.lock_index, p.amount) for p in positions] == [(0, 10 * TUSD)]
    finally:
        engine.dispose()
    assert _rows(database_url, config.chain_id, full=True) == kept


def test_reorg_while_following_equals_a_fresh_index(
    anvil, w3: Web3, suite: ContractRegistry, database_pair: tuple[str, str]
) -> None:
    """The indexer follows the head while a settled sale's claims and a withdrawal are replaced
    by a different branch: once caught up, every earn table equals a fresh index's."""
    url, reference = database_pair
    activity = EarnActivity(w3, suite, anvil.url)
    buyer, staker = activity.accounts[3], activity.accounts[1]
    activity.stake(staker, 50 * TUSD)
    sale = activity.create_sale(soft_cap=10 * TUSD)
    activity.buy(sale, buyer, 100 * TUSD)
    activity.finalize(sale)
    schedule_id = activity.settle(sale, buyer)
    config = chain_config(suite, anvil.url)
    with Follower(url, config) as follower:
        wait_until(lambda: follower.caught_up(anvil.url), what="sale indexed")
        fork = rpc_call(anvil.url, "evm_snapshot")
        activity.mine_at(sale.vesting_start + 500)
        activity.send(activity.vault.functions.claim(schedule_id), buyer)
        activity.withdraw(staker, 20 * TUSD)
        wait_until(lambda: follower.caught_up(anvil.url), what="old branch indexed")

        assert rpc_call(anvil.url, "evm_revert", [fork]) is True
        activity.mine_at(sale.vesting_start + 900)
        activity.send(activity.vault.functions.claimFor(schedule_id, buyer))
        activity.stake(staker, 5 * TUSD, lock_index=3)
        wait_until(lambda: follower.caught_up(anvil.url), what="new branch indexed")
        assert follower.indexer.reorgs_total >= 1

    index_once(reference, config)
    assert _rows(url, config.chain_id, full=True) == _rows(reference, config.chain_id, full=True)
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            (schedule,) = vesting_schedules(
                session=session, chain_id=config.chain_id, beneficiary=buyer
            )
            assert (
                schedule.released
                == activity.vault.functions.scheduleOf(schedule_id, buyer).call()[5]
            )
            positions = account_staking(session=session, chain_id=config.chain_id, account=staker)
            assert [(p.lock_index, p.amount) for p in positions.positions] == [
                (0, 50 * TUSD),
                (3, 5 * TUSD),
            ]
    finally:
        engine.dispose()
