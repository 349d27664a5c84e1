"""The launchpad's tiers read from the real StakingPools (the other launchpad tests use the
settable TestStakingWeights): weights are amount x lock boost, taken at the sale's snapshot."""

import pytest

from tests.contracts.launchpad.conftest import USD

TOKEN = 10**18
FLEXIBLE, LOCK_90_DAYS = 0, 1
DOUBLE_BOOST_BPS = 20_000
EXIT_REFUSED = 0


@pytest.fixture(scope="module")
def pools(project, deployer, treasury):
    return deployer.deploy(project.StakingPools, deployer, treasury)


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


def test_tiers_follow_stake_times_boost_at_the_snapshot(
    launchpad, sales, chain, pools, pool_id, alice, bob, carol, dave
):
    p = sales.params(
        staking=pools.address,
        poolId=pool_id,
        tierThresholds=[100 * TOKEN, 1_000 * TOKEN],
        tierAllocations=[500 * USD, 2_000 * USD],
    )
    # Before the snapshot: alice 100 flexible (weight 100), bob 600 locked at 2x (weight 1,200),
    # dave 99 flexible (weight 99, below the first tier).
    pools.stake(pool_id, FLEXIBLE, 100 * TOKEN, sender=alice)
    pools.stake(pool_id, LOCK_90_DAYS, 600 * TOKEN, sender=bob)
    pools.stake(pool_id, FLEXIBLE, 99 * TOKEN, sender=dave)
    sale_id, _ = sales.create(open_now=False, start=p["startTime"], **_tier_overrides(p))
    # After the snapshot: carol stakes a lot and dave tops up; neither counts.
    chain.pending_timestamp = p["snapshotTime"] + 60
    pools.stake(pool_id, LOCK_90_DAYS, 5_000 * TOKEN, sender=carol)
    pools.stake(pool_id, FLEXIBLE, 1_000 * TOKEN, sender=dave)
    chain.pending_timestamp = p["startTime"]

    assert pools.weightAt(pool_id, bob, p["snapshotTime"]) == 1_200 * TOKEN
    assert launchpad.guaranteedAllocationOf(sale_id, alice) == 500 * USD
    assert launchpad.guaranteedAllocationOf(sale_id, bob) == 2_000 * USD
    assert launchpad.guaranteedAllocationOf(sale_id, carol) == 0
    assert launchpad.guaranteedAllocationOf(sale_id, dave) == 0
    receipt = launchpad.buy(sale_id, 2_500 * USD, sender=bob)
    purchased = next(e for e in receipt.events if e.event_name == "Purchased")
    assert purchased.guaranteedCap == 2_000 * USD


def _tier_overrides(p):
    keys = ("staking", "poolId", "snapshotTime", "endTime", "tierThresholds", "tierAllocations")
    return {k: p[k] for k in keys}
