"""The launchpad's tiers read from the real StakingPools (the other launchpad tests use the
settable TestStakingWeights): weights are amount x lock boost, taken at the sale's snapshot, which
the launchpad schedules on the staking contract when it creates the sale."""

import ape
import pytest

from tests.contracts.launchpad.conftest import USD

TOKEN = 10**18
FLEXIBLE, LOCK_90_DAYS = 0, 1
DOUBLE_BOOST_BPS = 20_000
EXIT_REFUSED = 0


@pytest.fixture(scope="module")
def pools(project, deployer, treasury, launchpad):
    staking = deployer.deploy(project.StakingPools, deployer, treasury)
    # As scripts/deploy.py does: the launchpad schedules each tiered sale's snapshot.
    staking.grantRole(staking.SNAPSHOT_ROLE(), launchpad, sender=deployer)
    return staking


@pytest.fixture(scope="module")
def stake_token(project, deployer, pools, buyers):
    token = deployer.deploy(project.TestToken, "Tiger", "TGR", 18, deployer)
    for buyer in buyers:
        token.mint(buyer, 10_000 * TOKEN, sender=deployer)
        token.approve(pools, 2**256 - 1, sender=buyer)
    return token


@pytest.fixture(scope="module")
def pool_id(pools, stake_token, deployer):
    pools.createPool(
        stake_token, [90 * 86_400], [DOUBLE_BOOST_BPS], EXIT_REFUSED, 0, sender=deployer
    )
    return pools.poolCount() - 1


def _tiered(sales, pools, pool_id, **overrides):
    return sales.params(
        staking=pools.address,
        poolId=pool_id,
        tierThresholds=[100 * TOKEN, 1_000 * TOKEN],
        tierAllocations=[500 * USD, 2_000 * USD],
        **overrides,
    )


def test_tiers_follow_stake_times_boost_at_the_snapshot(
    launchpad, sales, chain, pools, pool_id, alice, bob, carol, dave
):
    p = _tiered(sales, pools, pool_id)
    # Before the snapshot: alice 100 flexible (weight 100), bob 600 locked at 2x (weight 1,200),
    # dave 99 flexible (weight 99, below the first tier).
    pools.stake(pool_id, FLEXIBLE, 100 * TOKEN, sender=alice)
    pools.stake(pool_id, LOCK_90_DAYS, 600 * TOKEN, sender=bob)
    pools.stake(pool_id, FLEXIBLE, 99 * TOKEN, sender=dave)
    sale_id, _ = sales.create(open_now=False, start=p["startTime"], **_tier_overrides(p))
    assert list(pools.pendingSnapshots(pool_id)) == [p["snapshotTime"]]
    # After the snapshot: carol stakes a lot, dave tops up and alice leaves; none of it counts.
    chain.pending_timestamp = p["snapshotTime"] + 60
    pools.stake(pool_id, LOCK_90_DAYS, 5_000 * TOKEN, sender=carol)
    pools.stake(pool_id, FLEXIBLE, 1_000 * TOKEN, sender=dave)
    pools.withdraw(pool_id, FLEXIBLE, 100 * TOKEN, sender=alice)
    chain.pending_timestamp = p["startTime"]

    assert pools.weightAt(pool_id, bob, p["snapshotTime"]) == 1_200 * TOKEN
    assert pools.totalWeightAt(pool_id, p["snapshotTime"]) == 1_399 * TOKEN
    assert launchpad.guaranteedAllocationOf(sale_id, alice) == 500 * USD
    assert launchpad.guaranteedAllocationOf(sale_id, bob) == 2_000 * USD
    assert launchpad.guaranteedAllocationOf(sale_id, carol) == 0
    assert launchpad.guaranteedAllocationOf(sale_id, dave) == 0
    receipt = launchpad.buy(sale_id, 2_500 * USD, sender=bob)
    purchased = next(e for e in receipt.events if e.event_name == "Purchased")
    assert purchased.guaranteedCap == 2_000 * USD


def test_creating_a_tiered_sale_schedules_its_snapshot_once(
    launchpad, sales, pools, pool_id, deployer
):
    p = _tiered(sales, pools, pool_id)
    receipt = launchpad.createSale(sales.as_tuple(p), sender=deployer)
    scheduled = [e for e in receipt.events if e.event_name == "SnapshotScheduled"]
    assert [(e.poolId, e.timepoint) for e in scheduled] == [(pool_id, p["snapshotTime"])]
    assert pools.isSnapshot(pool_id, p["snapshotTime"])
    # A second sale at the same snapshot time shares it.
    receipt = launchpad.createSale(sales.as_tuple(p), sender=deployer)
    assert not [e for e in receipt.events if e.event_name == "SnapshotScheduled"]
    assert list(pools.pendingSnapshots(pool_id)) == [p["snapshotTime"]]
    # A sale without tiers reads no weights and schedules nothing.
    plain = sales.params(staking=pools.address, poolId=pool_id, snapshotTime=p["snapshotTime"] + 1)
    launchpad.createSale(sales.as_tuple(plain), sender=deployer)
    assert not pools.isSnapshot(pool_id, p["snapshotTime"] + 1)


def test_a_tiered_sale_needs_the_snapshot_role_on_the_staking_contract(
    launchpad, sales, pools, pool_id, deployer
):
    pools.revokeRole(pools.SNAPSHOT_ROLE(), launchpad, sender=deployer)
    p = _tiered(sales, pools, pool_id)
    # The staking contract's refusal, bubbled up (decoded with the launchpad's ABI, which
    # declares the same AccessControl error): the launchpad is the account refused.
    with ape.reverts(launchpad.AccessControlUnauthorizedAccount, account=launchpad.address):
        launchpad.createSale(sales.as_tuple(p), sender=deployer)
    assert launchpad.nextSaleId() == 0 and not pools.isSnapshot(pool_id, p["snapshotTime"])


def _tier_overrides(p):
    keys = ("staking", "poolId", "snapshotTime", "endTime", "tierThresholds", "tierAllocations")
    return {k: p[k] for k in keys}
