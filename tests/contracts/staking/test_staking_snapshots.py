"""StakingPools snapshots (IStakingWeights): scheduling (role, cap, times in the past), the
weights at a snapshot whatever happens after it, several snapshots passed by one change, history
written only by the first change after a snapshot, and lookups refused for any other time."""

import ape
import pytest

from tests.contracts.staking.conftest import (
    DAY,
    UNIT,
    WEEK,
    create_pool,
    event,
    events,
)

MAX_PENDING = 8
FLEXIBLE, LOCK_180_DAYS = 0, 3  # boosts 1x and 2x


def at(timestamp):
    ape.chain.pending_timestamp = timestamp


@pytest.fixture
def now(chain):
    return chain.pending_timestamp + 100


@pytest.fixture
def pool(staking, deployer, stk, rwd):
    pool_id = create_pool(staking, deployer, stk)
    staking.addRewardToken(pool_id, rwd, sender=deployer)
    return pool_id


# ------------------------------------------------------------------------------ scheduling


def test_only_the_snapshot_role_schedules(staking, deployer, alice, pool, now):
    at(now)
    with ape.reverts(staking.AccessControlUnauthorizedAccount):
        staking.scheduleSnapshot(pool, now + DAY, sender=alice)
    assert not staking.isSnapshot(pool, now + DAY)
    staking.grantRole(staking.SNAPSHOT_ROLE(), alice, sender=deployer)
    receipt = staking.scheduleSnapshot(pool, now + DAY, sender=alice)
    scheduled = event(receipt, "SnapshotScheduled")
    assert (scheduled.poolId, scheduled.timepoint) == (pool, now + DAY)
    assert staking.isSnapshot(pool, now + DAY)
    assert list(staking.pendingSnapshots(pool)) == [now + DAY]


def test_a_snapshot_must_not_lie_in_the_past(staking, deployer, pool, now, chain):
    chain.mine(timestamp=now)
    for timepoint in (now - 1, 0):
        with ape.reverts(staking.StakingInvalidSnapshotTime, poolId=pool, timepoint=timepoint):
            staking.scheduleSnapshot(pool, timepoint, sender=deployer)
    with ape.reverts(staking.StakingInvalidSnapshotTime, timepoint=2**48):
        staking.scheduleSnapshot(pool, 2**48, sender=deployer)
    with ape.reverts(staking.StakingUnknownPool, poolId=99):
        staking.scheduleSnapshot(99, now + DAY, sender=deployer)
    assert list(staking.pendingSnapshots(pool)) == []
    # The current second is not past yet: a change later in it still counts.
    at(now + 10)
    staking.scheduleSnapshot(pool, now + 10, sender=deployer)
    assert staking.isSnapshot(pool, now + 10)


def test_the_same_time_twice_is_one_snapshot(staking, deployer, pool, now):
    at(now)
    staking.scheduleSnapshot(pool, now + DAY, sender=deployer)
    receipt = staking.scheduleSnapshot(pool, now + DAY, sender=deployer)
    assert events(receipt, "SnapshotScheduled") == []
    assert list(staking.pendingSnapshots(pool)) == [now + DAY]


def test_at_most_eight_snapshots_wait_per_pool_and_reached_ones_free_their_place(
    staking, deployer, stk, pool, now, chain
):
    at(now)
    times = [now + k * DAY for k in (5, 3, 8, 1, 2, 7, 4, 6)]  # scheduled out of order
    for timepoint in times:
        staking.scheduleSnapshot(pool, timepoint, sender=deployer)
    assert list(staking.pendingSnapshots(pool)) == sorted(times)
    assert staking.MAX_PENDING_SNAPSHOTS() == MAX_PENDING == len(times)
    with ape.reverts(staking.StakingTooManySnapshots, poolId=pool, max=MAX_PENDING):
        staking.scheduleSnapshot(pool, now + 9 * DAY, sender=deployer)
    # A time already scheduled is no new snapshot: nothing to refuse.
    staking.scheduleSnapshot(pool, now + DAY, sender=deployer)
    # Each pool has its own list.
    other = create_pool(staking, deployer, stk)
    staking.scheduleSnapshot(other, now + 9 * DAY, sender=deployer)
    # Once two are reached (nobody staked meanwhile), two more fit.
    chain.mine(timestamp=now + 2 * DAY + 1)
    assert list(staking.pendingSnapshots(pool)) == sorted(times)[2:]
    staking.scheduleSnapshot(pool, now + 10 * DAY, sender=deployer)
    staking.scheduleSnapshot(pool, now + 9 * DAY, sender=deployer)
    assert list(staking.pendingSnapshots(pool)) == [now + k * DAY for k in range(3, 11)]
    assert staking.isSnapshot(pool, now + DAY) and staking.isSnapshot(pool, now + 2 * DAY)


# ------------------------------------------------------------------------------- weights


def test_weight_at_a_snapshot_ignores_stakes_and_withdrawals_after_it(
    staking, deployer, alice, bob, carol, pool, now, chain
):
    first, second = now + 100, now + 200
    at(now)
    staking.scheduleSnapshot(pool, second, sender=deployer)
    staking.scheduleSnapshot(pool, first, sender=deployer)
    at(now + 10)
    staking.stake(pool, FLEXIBLE, 100 * UNIT, sender=alice)
    at(now + 20)
    staking.stake(pool, LOCK_180_DAYS, 100 * UNIT, sender=bob)  # weight 200
    at(first)  # in the snapshot's own second: counts
    staking.withdraw(pool, FLEXIBLE, 40 * UNIT, sender=alice)
    # After the first snapshot: alice adds a lot, carol stakes for the first time, bob leaves
    # early (10 % to the treasury).
    at(first + 1)
    staking.stake(pool, FLEXIBLE, 1_000 * UNIT, sender=alice)
    at(first + 2)
    staking.stake(pool, FLEXIBLE, 50 * UNIT, sender=carol)
    at(first + 3)
    staking.withdraw(pool, LOCK_180_DAYS, 100 * UNIT, sender=bob)
    # After the second: everybody changes again, carol too (which records her weight at the
    # second snapshot; at the first she had none).
    at(second + 5)
    staking.withdraw(pool, FLEXIBLE, 1_060 * UNIT, sender=alice)
    at(second + 6)
    staking.stake(pool, FLEXIBLE, 7 * UNIT, sender=carol)
    at(second + 7)
    staking.stake(pool, FLEXIBLE, 3 * UNIT, sender=bob)
    chain.mine(timestamp=second + 10)

    assert [staking.weightAt(pool, a, first) for a in (alice, bob, carol)] == [
        60 * UNIT,
        200 * UNIT,
        0,
    ]
    assert staking.totalWeightAt(pool, first) == 260 * UNIT
    assert [staking.weightAt(pool, a, second) for a in (alice, bob, carol)] == [
        1_060 * UNIT,
        0,
        50 * UNIT,
    ]
    assert staking.totalWeightAt(pool, second) == 1_110 * UNIT
    assert [staking.weightOf(pool, a) for a in (alice, bob, carol)] == [0, 3 * UNIT, 57 * UNIT]
    assert staking.poolInfo(pool).totalWeight == 60 * UNIT


def test_one_change_after_several_snapshots_records_the_weight_at_each(
    staking, deployer, alice, bob, pool, now, chain
):
    snapshots = [now + 100, now + 200, now + 300]
    at(now)
    staking.stake(pool, FLEXIBLE, 100 * UNIT, sender=alice)
    staking.stake(pool, LOCK_180_DAYS, 50 * UNIT, sender=bob)  # weight 100
    for timepoint in snapshots:
        staking.scheduleSnapshot(pool, timepoint, sender=deployer)
    at(now + 400)  # all three reached: one change passes them
    staking.stake(pool, FLEXIBLE, 50 * UNIT, sender=alice)
    assert list(staking.pendingSnapshots(pool)) == []
    at(now + 500)
    staking.stake(pool, FLEXIBLE, 1 * UNIT, sender=bob)
    chain.mine(timestamp=now + 600)
    for timepoint in snapshots:
        assert staking.weightAt(pool, alice, timepoint) == 100 * UNIT
        assert staking.weightAt(pool, bob, timepoint) == 100 * UNIT
        assert staking.totalWeightAt(pool, timepoint) == 200 * UNIT
    assert staking.weightOf(pool, alice) == 150 * UNIT
    assert staking.poolInfo(pool).totalWeight == 251 * UNIT


def test_snapshots_reached_while_nobody_changes_keep_the_live_weights(
    staking, deployer, alice, pool, now, chain
):
    at(now)
    staking.stake(pool, FLEXIBLE, 100 * UNIT, sender=alice)
    staking.scheduleSnapshot(pool, now + 100, sender=deployer)
    # Reached with no change since: answered from the live weights.
    chain.mine(timestamp=now + 150)
    assert staking.weightAt(pool, alice, now + 100) == 100 * UNIT
    assert staking.totalWeightAt(pool, now + 100) == 100 * UNIT
    # Scheduling the next one passes the first for the pool (recording its total there); the
    # account's change after it still records hers.
    at(now + 200)
    staking.scheduleSnapshot(pool, now + 300, sender=deployer)
    at(now + 400)
    staking.withdraw(pool, FLEXIBLE, 30 * UNIT, sender=alice)
    chain.mine(timestamp=now + 500)
    for timepoint in (now + 100, now + 300):
        assert staking.weightAt(pool, alice, timepoint) == 100 * UNIT
        assert staking.totalWeightAt(pool, timepoint) == 100 * UNIT
    assert staking.weightOf(pool, alice) == 70 * UNIT


def test_an_emergency_exit_after_a_snapshot_keeps_the_weight_at_it(
    staking, deployer, alice, bob, pool, now, chain
):
    at(now)
    staking.stake(pool, LOCK_180_DAYS, 100 * UNIT, sender=alice)  # weight 200
    staking.stake(pool, FLEXIBLE, 100 * UNIT, sender=bob)
    staking.scheduleSnapshot(pool, now + 100, sender=deployer)
    staking.pause(sender=deployer)
    at(now + 200)
    staking.emergencyWithdraw(pool, sender=alice)
    chain.mine(timestamp=now + 300)
    assert staking.weightAt(pool, alice, now + 100) == 200 * UNIT
    assert staking.totalWeightAt(pool, now + 100) == 300 * UNIT
    assert staking.weightOf(pool, alice) == 0
    assert staking.poolInfo(pool).totalWeight == 100 * UNIT


def test_weight_lookups_answer_only_scheduled_snapshots_in_the_past(
    staking, deployer, alice, stk, pool, now, chain
):
    at(now)
    staking.stake(pool, FLEXIBLE, UNIT, sender=alice)
    staking.scheduleSnapshot(pool, now + 100, sender=deployer)
    chain.mine(timestamp=now + 50)
    with ape.reverts(staking.StakingFutureLookup, timepoint=now + 100):
        staking.weightAt(pool, alice, now + 100)
    with ape.reverts(staking.StakingFutureLookup, timepoint=now + 100):
        staking.totalWeightAt(pool, now + 100)
    chain.mine(timestamp=now + 200)
    for unscheduled in (now + 99, now + 101, now):
        with ape.reverts(staking.StakingUnknownSnapshot, poolId=pool, timepoint=unscheduled):
            staking.weightAt(pool, alice, unscheduled)
        with ape.reverts(staking.StakingUnknownSnapshot, poolId=pool, timepoint=unscheduled):
            staking.totalWeightAt(pool, unscheduled)
    assert staking.weightAt(pool, alice, now + 100) == UNIT
    # A snapshot belongs to its pool.
    other = create_pool(staking, deployer, stk)
    with ape.reverts(staking.StakingUnknownSnapshot, poolId=other):
        staking.weightAt(other, alice, now + 100)


# ------------------------------------------------------------------------------------- gas


def test_history_is_written_only_by_the_first_change_after_a_snapshot(
    staking, deployer, alice, bob, rwd, pool, now
):
    """The common path pays nothing for snapshots still to come; the first change after one
    writes the pool's and the account's history (two new slots at least), later ones do not."""
    at(now)
    staking.notifyRewardAmount(pool, rwd, 1_000 * UNIT, WEEK, sender=deployer)
    staking.stake(pool, FLEXIBLE, 100 * UNIT, sender=bob)
    gas = {}
    for step, name in enumerate(("first", "second", "plain", "pending", "crossing", "after")):
        if name == "pending":
            staking.scheduleSnapshot(pool, now + 45, sender=deployer)
        at(now + 10 * (step + 1))  # each stake in a block of its own
        gas[name] = staking.stake(pool, FLEXIBLE, 100 * UNIT, sender=alice).gas_used
    plain, pending, crossing, after = (gas[k] for k in ("plain", "pending", "crossing", "after"))
    # A few opcodes for the comparison, no storage access.
    assert abs(pending - plain) < 100 and abs(after - plain) < 100, (plain, pending, after)
    assert crossing - plain > 2 * 20_000, (plain, crossing)
