"""StakingPools: every path and revert, the reward maths against exact expectations, and the
hard cases of contracts/staking/README.md."""

import ape
import pytest

from tests.contracts.staking.conftest import (
    BOOSTS,
    DAY,
    LOCKS,
    PENALTY_BPS,
    PRECISION,
    UNIT,
    WEEK,
    Policy,
    create_pool,
    event,
    events,
)

ZERO = "0x0000000000000000000000000000000000000000"
YEAR = 365 * DAY


def fund(staking, admin, pool_id, token, amount, duration, at):
    chain = ape.chain
    chain.pending_timestamp = at
    return staking.notifyRewardAmount(pool_id, token, amount, duration, sender=admin)


def at(timestamp):
    ape.chain.pending_timestamp = timestamp


@pytest.fixture
def now(chain):
    return chain.pending_timestamp + 100


# ------------------------------------------------------------------------ construction


def test_constructor_rejects_zero_addresses(project, deployer, treasury):
    with ape.reverts(project.StakingPools.StakingInvalidAddress):
        deployer.deploy(project.StakingPools, ZERO, treasury)
    with ape.reverts(project.StakingPools.StakingInvalidAddress):
        deployer.deploy(project.StakingPools, deployer, ZERO)


def test_admin_holds_every_role(staking, deployer, treasury):
    for role in (
        staking.DEFAULT_ADMIN_ROLE(),
        staking.REWARD_DISTRIBUTOR_ROLE(),
        staking.PAUSER_ROLE(),
        staking.SNAPSHOT_ROLE(),
    ):
        assert staking.hasRole(role, deployer)
    assert staking.treasury() == treasury.address


# ----------------------------------------------------------------------------- pools


def test_create_pool_records_flexible_option_and_locks(staking, deployer, stk):
    receipt = staking.createPool(stk, LOCKS, BOOSTS, Policy.TO_TREASURY, 1_000, sender=deployer)
    created = event(receipt, "PoolCreated")
    assert created.poolId == 0 and staking.poolCount() == 1
    assert list(created.lockDurations) == [0, *LOCKS]
    assert list(created.boostBps) == [10_000, *BOOSTS]
    assert (created.exitPolicy, created.penaltyBps) == (Policy.TO_TREASURY, 1_000)
    info = staking.poolInfo(0)
    assert info.stakingToken == stk.address
    assert [(o.duration, o.boostBps) for o in info.lockOptions] == list(
        zip([0, *LOCKS], [10_000, *BOOSTS], strict=True)
    )
    assert list(info.rewardTokens) == [] and info.totalStaked == 0 and info.totalWeight == 0


def test_penalty_to_stakers_registers_the_staking_token_as_reward(staking, deployer, stk):
    pool_id = create_pool(staking, deployer, stk, Policy.TO_STAKERS)
    assert list(staking.poolInfo(pool_id).rewardTokens) == [stk.address]


@pytest.mark.parametrize(
    "durations, boosts, policy, penalty, error",
    [
        ([DAY], [10_000, 11_000], Policy.REFUSED, 0, "StakingLockLengthMismatch"),
        ([DAY * (i + 1) for i in range(8)], [10_000] * 8, 0, 0, "StakingTooManyLockOptions"),
        ([DAY, DAY], [11_000, 12_000], Policy.REFUSED, 0, "StakingInvalidLockOption"),
        ([0], [11_000], Policy.REFUSED, 0, "StakingInvalidLockOption"),
        ([5 * 365 * DAY], [11_000], Policy.REFUSED, 0, "StakingInvalidLockOption"),
        ([DAY], [9_999], Policy.REFUSED, 0, "StakingInvalidLockOption"),
        ([DAY], [50_001], Policy.REFUSED, 0, "StakingInvalidLockOption"),
        ([DAY], [11_000], Policy.REFUSED, 1, "StakingInvalidPenalty"),
        ([DAY], [11_000], Policy.TO_TREASURY, 0, "StakingInvalidPenalty"),
        ([DAY], [11_000], Policy.TO_STAKERS, 5_001, "StakingInvalidPenalty"),
    ],
)
def test_create_pool_rejects_bad_configuration(
    staking, deployer, stk, durations, boosts, policy, penalty, error
):
    with ape.reverts(getattr(staking, error)):
        staking.createPool(stk, durations, boosts, policy, penalty, sender=deployer)
    assert staking.poolCount() == 0


def test_create_pool_rejects_zero_token_and_non_admin(staking, deployer, alice, stk):
    with ape.reverts(staking.StakingInvalidAddress):
        staking.createPool(ZERO, [], [], Policy.REFUSED, 0, sender=deployer)
    with ape.reverts(staking.AccessControlUnauthorizedAccount):
        staking.createPool(stk, [], [], Policy.REFUSED, 0, sender=alice)


def test_add_reward_token_rules(staking, deployer, alice, stk, rwd, project):
    pool_id = create_pool(staking, deployer, stk)
    receipt = staking.addRewardToken(pool_id, rwd, sender=deployer)
    assert event(receipt, "RewardTokenAdded").rewardToken == rwd.address
    with ape.reverts(staking.StakingRewardTokenExists):
        staking.addRewardToken(pool_id, rwd, sender=deployer)
    with ape.reverts(staking.StakingInvalidAddress):
        staking.addRewardToken(pool_id, ZERO, sender=deployer)
    with ape.reverts(staking.StakingUnknownPool, poolId=7):
        staking.addRewardToken(7, rwd, sender=deployer)
    with ape.reverts(staking.AccessControlUnauthorizedAccount):
        staking.addRewardToken(pool_id, stk, sender=alice)
    for _ in range(3):
        extra = deployer.deploy(project.TestToken, "X", "X", 18, deployer)
        staking.addRewardToken(pool_id, extra, sender=deployer)
    with ape.reverts(staking.StakingTooManyRewardTokens, poolId=pool_id, max=4):
        staking.addRewardToken(pool_id, stk, sender=deployer)


# --------------------------------------------------------------------------- funding


@pytest.fixture
def pool(staking, deployer, stk, rwd):
    """STK staked, RWD rewards, early exit charged 10% to the treasury."""
    pool_id = create_pool(staking, deployer, stk)
    staking.addRewardToken(pool_id, rwd, sender=deployer)
    return pool_id


def test_funding_sets_rate_and_keeps_the_remainder_in_carry(staking, deployer, rwd, pool, now):
    amount = 1_000 * UNIT + 7
    receipt = fund(staking, deployer, pool, rwd, amount, WEEK, now)
    rate = amount * PRECISION // WEEK
    funded = event(receipt, "RewardFunded")
    assert (funded.received, funded.carriedInScaled, funded.rateScaled) == (amount, 0, rate)
    info = staking.rewardInfo(pool, rwd)
    assert info.rateScaled == rate and info.periodFinish == now + WEEK == funded.periodFinish
    assert info.carryScaled == amount * PRECISION - rate * WEEK
    assert staking.rewardReserveOf(rwd) == amount == rwd.balanceOf(staking)


def test_top_up_mid_period_rolls_the_leftover_in(staking, deployer, alice, stk, rwd, pool, now):
    staking.stake(pool, 0, UNIT, sender=alice)  # someone staking: nothing goes to carry
    fund(staking, deployer, pool, rwd, 700 * UNIT, WEEK, now)
    rate = 700 * UNIT * PRECISION // WEEK
    carry = 700 * UNIT * PRECISION - rate * WEEK
    half = now + WEEK // 2
    receipt = fund(staking, deployer, pool, rwd, 100 * UNIT, WEEK, half)
    leftover = (now + WEEK - half) * rate + carry
    funded = event(receipt, "RewardFunded")
    assert funded.carriedInScaled == leftover
    assert funded.rateScaled == (100 * UNIT * PRECISION + leftover) // WEEK
    assert staking.rewardInfo(pool, rwd).periodFinish == half + WEEK


def test_funding_rejects_bad_input(staking, deployer, alice, stk, rwd, pool, project):
    with ape.reverts(staking.StakingNotRewardToken):
        staking.notifyRewardAmount(pool, stk, UNIT, WEEK, sender=deployer)
    with ape.reverts(staking.StakingInvalidDuration, duration=3599):
        staking.notifyRewardAmount(pool, rwd, UNIT, 3599, sender=deployer)
    with ape.reverts(staking.StakingInvalidDuration):
        staking.notifyRewardAmount(pool, rwd, UNIT, 4 * 365 * DAY + 1, sender=deployer)
    with ape.reverts(staking.StakingInvalidAmount, amount=0, received=0):
        staking.notifyRewardAmount(pool, rwd, 0, WEEK, sender=deployer)
    with ape.reverts(staking.AccessControlUnauthorizedAccount):
        staking.notifyRewardAmount(pool, rwd, UNIT, WEEK, sender=alice)
    with ape.reverts(staking.StakingUnknownPool):
        staking.notifyRewardAmount(99, rwd, UNIT, WEEK, sender=deployer)
    huge = deployer.deploy(project.TestToken, "Huge", "HUGE", 18, deployer)
    huge.mint(deployer, 10**40, sender=deployer)
    huge.approve(staking, 10**40, sender=deployer)
    staking.addRewardToken(pool, huge, sender=deployer)
    with ape.reverts(staking.StakingRewardTooLarge):
        staking.notifyRewardAmount(pool, huge, 10**34, 3600, sender=deployer)
    staking.pause(sender=deployer)
    with ape.reverts(staking.EnforcedPause):
        staking.notifyRewardAmount(pool, rwd, UNIT, WEEK, sender=deployer)
    assert staking.rewardReserveOf(rwd) == 0 and rwd.balanceOf(staking) == 0


def test_reward_distributor_role_can_be_granted(staking, deployer, alice, rwd, pool):
    rwd.approve(staking, UNIT, sender=alice)
    staking.grantRole(staking.REWARD_DISTRIBUTOR_ROLE(), alice, sender=deployer)
    staking.notifyRewardAmount(pool, rwd, UNIT, WEEK, sender=alice)
    assert staking.rewardReserveOf(rwd) == UNIT


# ---------------------------------------------------------------------- stake and claim


def test_stake_records_position_weight_and_checkpoints(staking, alice, stk, pool, now):
    at(now)
    receipt = staking.stake(pool, 2, 1_000 * UNIT, sender=alice)
    staked = event(receipt, "Staked")
    weight = 1_000 * UNIT * BOOSTS[1] // 10_000
    assert (staked.poolId, staked.account, staked.lockIndex) == (pool, alice.address, 2)
    assert (staked.amount, staked.positionAmount, staked.unlockAt) == (
        1_000 * UNIT,
        1_000 * UNIT,
        now + LOCKS[1],
    )
    assert staked.accountWeight == staked.totalWeight == weight
    position = staking.positionInfo(pool, alice, 2)
    assert (position.amount, position.weight, position.unlockAt) == (
        1_000 * UNIT,
        weight,
        now + LOCKS[1],
    )
    assert (position.lockDuration, position.boostBps) == (LOCKS[1], BOOSTS[1])
    assert staking.weightOf(pool, alice) == weight
    assert staking.poolInfo(pool).totalStaked == 1_000 * UNIT == staking.principalOf(stk)
    assert stk.balanceOf(staking) == 1_000 * UNIT


def test_adding_to_a_locked_position_restarts_its_lock(staking, alice, pool, now):
    at(now)
    staking.stake(pool, 1, UNIT, sender=alice)
    at(now + 10 * DAY)
    receipt = staking.stake(pool, 1, UNIT, sender=alice)
    assert event(receipt, "Staked").unlockAt == now + 10 * DAY + LOCKS[0]
    assert staking.positionInfo(pool, alice, 1).amount == 2 * UNIT


@pytest.mark.parametrize(
    "args, error",
    [
        ((99, 0, UNIT), "StakingUnknownPool"),
        (("pool", 4, UNIT), "StakingUnknownLock"),
        (("pool", 0, 0), "StakingInvalidAmount"),
    ],
)
def test_stake_rejects_bad_input(staking, alice, stk, pool, args, error):
    args = tuple(pool if a == "pool" else a for a in args)
    with ape.reverts(getattr(staking, error)):
        staking.stake(*args, sender=alice)
    assert stk.balanceOf(staking) == 0


def test_single_staker_earns_the_stream_and_the_empty_start_is_carried(
    staking, deployer, alice, rwd, pool, now
):
    amount = 700 * UNIT
    fund(staking, deployer, pool, rwd, amount, WEEK, now)
    rate = amount * PRECISION // WEEK
    at(now + 1_000)  # nobody staked for 1,000 s: that part is carried, not lost
    staking.stake(pool, 0, 10 * UNIT, sender=alice)
    at(now + 2 * WEEK)
    before = rwd.balanceOf(alice)
    receipt = staking.claim(pool, sender=alice)
    weight = 10 * UNIT
    expected = weight * (rate * (WEEK - 1_000) // weight) // PRECISION
    assert rwd.balanceOf(alice) - before == expected == event(receipt, "RewardPaid").amount
    carry = staking.rewardInfo(pool, rwd).carryScaled
    assert carry == (amount * PRECISION - rate * WEEK) + rate * 1_000
    assert expected + carry // PRECISION <= amount
    # The carry is recovered by the admin, in whole base units, and leaves the reserve.
    reserve = staking.rewardReserveOf(rwd)
    receipt = staking.recoverCarriedRewards(pool, rwd, deployer, sender=deployer)
    assert event(receipt, "CarriedRewardsRecovered").amount == carry // PRECISION
    assert staking.rewardReserveOf(rwd) == reserve - carry // PRECISION
    assert staking.rewardInfo(pool, rwd).carryScaled == carry % PRECISION


def test_carry_rolls_into_the_next_funding(staking, deployer, alice, rwd, pool, now):
    fund(staking, deployer, pool, rwd, 700 * UNIT, WEEK, now)
    at(now + 2 * WEEK)  # the whole period passed with nobody staking
    staking.stake(pool, 0, UNIT, sender=alice)
    carry = staking.rewardInfo(pool, rwd).carryScaled
    assert carry == 700 * UNIT * PRECISION
    receipt = fund(staking, deployer, pool, rwd, 0, WEEK, now + 2 * WEEK + 10)
    assert event(receipt, "RewardFunded").carriedInScaled == carry
    at(now + 4 * WEEK)
    staking.claim(pool, sender=alice)
    assert rwd.balanceOf(staking) < 10**6  # everything but rounding dust reached the staker
    assert rwd.balanceOf(staking) == staking.rewardReserveOf(rwd)


def test_rewards_are_shared_by_boosted_weight(staking, deployer, alice, bob, rwd, pool, now):
    at(now)
    staking.stake(pool, 0, 300 * UNIT, sender=alice)  # weight 300
    staking.stake(pool, 3, 100 * UNIT, sender=bob)  # weight 200 (2x)
    fund(staking, deployer, pool, rwd, 500 * UNIT, WEEK, now + 10)
    at(now + 2 * WEEK)
    staking.claim(pool, sender=alice)
    staking.claim(pool, sender=bob)
    rate = 500 * UNIT * PRECISION // WEEK
    per_weight = rate * WEEK // (500 * UNIT)
    assert rwd.balanceOf(staking) == staking.rewardReserveOf(rwd)
    paid_alice = 300 * UNIT * per_weight // PRECISION
    paid_bob = 200 * UNIT * per_weight // PRECISION
    assert staking.rewardReserveOf(rwd) == 500 * UNIT - paid_alice - paid_bob
    # Rounding loses at most weight / 1e18 base units per update.
    assert 0 <= 300 * UNIT - paid_alice <= 300 and 0 <= 200 * UNIT - paid_bob <= 200


def test_claim_with_nothing_earned_pays_nothing(staking, alice, rwd, pool):
    receipt = staking.claim(pool, sender=alice)
    assert events(receipt, "RewardPaid") == []
    with ape.reverts(staking.StakingUnknownPool):
        staking.claim(99, sender=alice)


def test_earned_view_matches_the_claim(staking, deployer, alice, rwd, pool, now, chain):
    at(now)
    staking.stake(pool, 0, 3 * UNIT, sender=alice)
    fund(staking, deployer, pool, rwd, 70 * UNIT, WEEK, now + 1)
    chain.mine(timestamp=now + 1 + WEEK)
    view = staking.earned(pool, alice, rwd)
    at(now + 2 + WEEK)
    staking.claim(pool, sender=alice)
    assert rwd.balanceOf(staking) == 70 * UNIT - view
    assert staking.earned(pool, alice, rwd) == 0


def test_apr_is_reward_per_weight_per_year(staking, deployer, alice, rwd, pool, now, chain):
    assert staking.aprWad(pool, rwd) == 0
    fund(staking, deployer, pool, rwd, 52 * UNIT, 52 * WEEK, now)
    assert staking.aprWad(pool, rwd) == 0  # nobody stakes: undefined, reported as 0
    at(now + 1)
    staking.stake(pool, 0, 100 * UNIT, sender=alice)
    rate = 52 * UNIT * PRECISION // (52 * WEEK)
    apr = staking.aprWad(pool, rwd)
    assert apr == rate * YEAR // (100 * UNIT)
    # 52 tokens per 52 weeks on 100 staked: 52 % per 364 days, 52.14 % per 365-day year.
    assert apr * 10_000 // PRECISION == 5_214
    chain.mine(timestamp=now + 53 * WEEK)
    assert staking.aprWad(pool, rwd) == 0  # period over


# ------------------------------------------------------------------------- withdraw


def test_flexible_withdraw_any_time(staking, alice, stk, pool, now):
    at(now)
    staking.stake(pool, 0, 10 * UNIT, sender=alice)
    before = stk.balanceOf(alice)
    receipt = staking.withdraw(pool, 0, 4 * UNIT, sender=alice)
    withdrawn = event(receipt, "Withdrawn")
    assert (withdrawn.amount, withdrawn.penalty, withdrawn.positionAmount) == (
        4 * UNIT,
        0,
        6 * UNIT,
    )
    assert withdrawn.accountWeight == withdrawn.totalWeight == 6 * UNIT
    assert stk.balanceOf(alice) == before + 4 * UNIT
    staking.withdraw(pool, 0, 6 * UNIT, sender=alice)
    assert staking.positionInfo(pool, alice, 0).amount == 0
    assert staking.principalOf(stk) == 0 == stk.balanceOf(staking)


def test_withdraw_rejects_bad_input(staking, alice, pool):
    staking.stake(pool, 0, UNIT, sender=alice)
    with ape.reverts(staking.StakingInvalidAmount):
        staking.withdraw(pool, 0, 0, sender=alice)
    with ape.reverts(
        staking.StakingInsufficientStake, requested=UNIT + 1, staked=UNIT, lockIndex=0
    ):
        staking.withdraw(pool, 0, UNIT + 1, sender=alice)
    with ape.reverts(staking.StakingUnknownLock):
        staking.withdraw(pool, 9, 1, sender=alice)
    with ape.reverts(staking.StakingInsufficientStake):
        staking.withdraw(pool, 1, 1, sender=alice)


def test_early_exit_refused_by_policy_until_unlock(staking, deployer, alice, stk, now):
    pool_id = create_pool(staking, deployer, stk, Policy.REFUSED)
    at(now)
    staking.stake(pool_id, 1, UNIT, sender=alice)
    at(now + LOCKS[0] - 1)
    with ape.reverts(staking.StakingLocked, unlockAt=now + LOCKS[0]):
        staking.withdraw(pool_id, 1, UNIT, sender=alice)
    at(now + LOCKS[0])
    receipt = staking.withdraw(pool_id, 1, UNIT, sender=alice)
    assert event(receipt, "Withdrawn").penalty == 0


def test_early_exit_penalty_goes_to_the_treasury(staking, alice, treasury, stk, pool, now):
    at(now)
    staking.stake(pool, 3, 1_000 * UNIT, sender=alice)
    before = stk.balanceOf(alice)
    at(now + DAY)
    receipt = staking.withdraw(pool, 3, 100 * UNIT, sender=alice)
    penalty = 100 * UNIT * PENALTY_BPS // 10_000
    assert event(receipt, "Withdrawn").penalty == penalty
    assert stk.balanceOf(treasury) == penalty
    assert stk.balanceOf(alice) == before + 100 * UNIT - penalty
    assert staking.principalOf(stk) == 900 * UNIT == stk.balanceOf(staking)
    at(now + LOCKS[2])  # unlocked: no penalty any more
    assert event(staking.withdraw(pool, 3, 900 * UNIT, sender=alice), "Withdrawn").penalty == 0


def test_early_exit_penalty_is_streamed_to_the_stakers(staking, deployer, alice, bob, stk, now):
    pool_id = create_pool(staking, deployer, stk, Policy.TO_STAKERS)
    at(now)
    staking.stake(pool_id, 3, 1_000 * UNIT, sender=alice)
    at(now + 1)
    staking.stake(pool_id, 0, 1_000 * UNIT, sender=bob)
    fund(staking, deployer, pool_id, stk, 70 * UNIT, WEEK, now + 2)
    at(now + 3)
    staking.withdraw(pool_id, 3, 1_000 * UNIT, sender=alice)  # alice leaves early
    penalty = 100 * UNIT
    assert staking.principalOf(stk) == 1_000 * UNIT
    assert staking.rewardReserveOf(stk) == 70 * UNIT + penalty
    assert stk.balanceOf(staking) == 1_000 * UNIT + 70 * UNIT + penalty
    at(now + 2 * WEEK)
    before = stk.balanceOf(bob)
    staking.claim(pool_id, sender=bob)
    received = stk.balanceOf(bob) - before
    # Bob gets the whole rest of the stream plus the penalty (less what alice earned in 1 s).
    assert 170 * UNIT - 10**15 < received <= 170 * UNIT
    assert stk.balanceOf(staking) >= staking.principalOf(stk) + staking.rewardReserveOf(stk)


def test_penalty_to_stakers_after_the_period_is_carried(staking, deployer, alice, stk, now):
    pool_id = create_pool(staking, deployer, stk, Policy.TO_STAKERS)
    at(now)
    staking.stake(pool_id, 1, 1_000 * UNIT, sender=alice)
    at(now + DAY)
    staking.withdraw(pool_id, 1, 500 * UNIT, sender=alice)
    assert staking.rewardInfo(pool_id, stk).carryScaled == 50 * UNIT * PRECISION


# ------------------------------------------------------------------------- compound


def test_compound_restakes_staking_token_rewards(staking, deployer, alice, stk, now):
    pool_id = create_pool(staking, deployer, stk, Policy.TO_STAKERS)
    at(now)
    staking.stake(pool_id, 0, 100 * UNIT, sender=alice)
    fund(staking, deployer, pool_id, stk, 70 * UNIT, WEEK, now + 1)
    balance = stk.balanceOf(staking)
    at(now + 1 + WEEK)
    receipt = staking.compound(pool_id, 2, sender=alice)
    compounded = event(receipt, "Compounded")
    amount = compounded.amount
    assert 70 * UNIT - 10**6 < amount <= 70 * UNIT
    assert compounded.positionAmount == amount and compounded.unlockAt == now + 1 + WEEK + LOCKS[1]
    assert compounded.accountWeight == 100 * UNIT + amount * BOOSTS[1] // 10_000
    assert stk.balanceOf(staking) == balance  # nothing moved: reserve became principal
    assert staking.principalOf(stk) == 100 * UNIT + amount
    assert staking.rewardReserveOf(stk) == 70 * UNIT - amount
    with ape.reverts(staking.StakingNothingToCompound):
        staking.compound(pool_id, 0, sender=alice)


def test_compound_needs_the_staking_token_as_reward(staking, alice, pool):
    with ape.reverts(staking.StakingNotCompoundable, poolId=pool):
        staking.compound(pool, 0, sender=alice)


# ------------------------------------------------------------------ pause, emergency


def test_pause_stops_everything_but_emergency_withdraw(staking, deployer, alice, rwd, pool, now):
    at(now)
    staking.stake(pool, 0, UNIT, sender=alice)
    with ape.reverts(staking.ExpectedPause):
        staking.emergencyWithdraw(pool, sender=alice)
    with ape.reverts(staking.AccessControlUnauthorizedAccount):
        staking.pause(sender=alice)
    staking.pause(sender=deployer)
    for call in (
        lambda: staking.stake(pool, 0, UNIT, sender=alice),
        lambda: staking.withdraw(pool, 0, UNIT, sender=alice),
        lambda: staking.claim(pool, sender=alice),
        lambda: staking.compound(pool, 0, sender=alice),
    ):
        with ape.reverts(staking.EnforcedPause):
            call()
    with ape.reverts(staking.AccessControlUnauthorizedAccount):
        staking.unpause(sender=alice)
    staking.unpause(sender=deployer)
    staking.withdraw(pool, 0, UNIT, sender=alice)


def test_emergency_withdraw_returns_every_position_and_forfeits_rewards(
    staking, deployer, alice, bob, stk, rwd, pool, now
):
    at(now)
    staking.stake(pool, 0, 100 * UNIT, sender=alice)
    staking.stake(pool, 3, 100 * UNIT, sender=alice)  # locked 180 days
    staking.stake(pool, 0, 100 * UNIT, sender=bob)
    fund(staking, deployer, pool, rwd, 400 * UNIT, WEEK, now + 10)
    at(now + 10 + DAY)
    staking.claim(pool, sender=bob)  # the stream is updated: alice has earned, unclaimed
    staking.pause(sender=deployer)
    before = stk.balanceOf(alice)
    at(now + 20 + DAY)
    receipt = staking.emergencyWithdraw(pool, sender=alice)
    assert stk.balanceOf(alice) == before + 200 * UNIT  # no penalty, lock ignored
    assert sorted(e.lockIndex for e in events(receipt, "EmergencyWithdrawn")) == [0, 3]
    forfeited = event(receipt, "RewardForfeited").amount
    assert forfeited > 0
    assert staking.weightOf(pool, alice) == 0
    assert staking.poolInfo(pool).totalWeight == 100 * UNIT
    assert staking.rewardInfo(pool, rwd).carryScaled >= forfeited * PRECISION
    with ape.reverts(staking.StakingInsufficientStake):
        staking.emergencyWithdraw(pool, sender=alice)
    staking.unpause(sender=deployer)
    at(now + 3 * WEEK)
    assert events(staking.claim(pool, sender=alice), "RewardPaid") == []
    staking.claim(pool, sender=bob)
    # Everything funded is paid, carried (forfeit) or rounding dust: nothing is stuck unseen.
    carry = staking.rewardInfo(pool, rwd).carryScaled // PRECISION
    assert 0 <= staking.rewardReserveOf(rwd) - carry < 10**6


# ------------------------------------------------------------------- admin: recovery


def test_sweep_recovers_only_donations(staking, deployer, alice, stk, rwd, pool, now):
    at(now)
    staking.stake(pool, 0, 100 * UNIT, sender=alice)
    fund(staking, deployer, pool, rwd, 10 * UNIT, WEEK, now + 1)
    with ape.reverts(staking.StakingNothingToRecover):
        staking.sweep(stk, deployer, sender=deployer)
    stk.transfer(staking, 5 * UNIT, sender=alice)
    rwd.transfer(staking, 3 * UNIT, sender=alice)
    with ape.reverts(staking.AccessControlUnauthorizedAccount):
        staking.sweep(stk, alice, sender=alice)
    with ape.reverts(staking.StakingInvalidAddress):
        staking.sweep(stk, ZERO, sender=deployer)
    receipt = staking.sweep(stk, deployer, sender=deployer)
    assert event(receipt, "ExcessSwept").amount == 5 * UNIT
    staking.sweep(rwd, deployer, sender=deployer)
    assert stk.balanceOf(staking) == staking.principalOf(stk) == 100 * UNIT
    assert rwd.balanceOf(staking) == staking.rewardReserveOf(rwd) == 10 * UNIT


def test_recover_carry_rejects_bad_input(staking, deployer, alice, stk, rwd, pool):
    with ape.reverts(staking.StakingNothingToRecover):
        staking.recoverCarriedRewards(pool, rwd, deployer, sender=deployer)
    with ape.reverts(staking.StakingNotRewardToken):
        staking.recoverCarriedRewards(pool, stk, deployer, sender=deployer)
    with ape.reverts(staking.StakingInvalidAddress):
        staking.recoverCarriedRewards(pool, rwd, ZERO, sender=deployer)
    with ape.reverts(staking.AccessControlUnauthorizedAccount):
        staking.recoverCarriedRewards(pool, rwd, alice, sender=alice)


def test_set_treasury(staking, deployer, alice):
    receipt = staking.setTreasury(alice, sender=deployer)
    assert event(receipt, "TreasuryChanged").treasury == alice.address
    assert staking.treasury() == alice.address
    with ape.reverts(staking.StakingInvalidAddress):
        staking.setTreasury(ZERO, sender=deployer)
    with ape.reverts(staking.AccessControlUnauthorizedAccount):
        staking.setTreasury(alice, sender=alice)


def test_views_reject_unknown_pool_and_lock(staking, alice, pool):
    with ape.reverts(staking.StakingUnknownPool):
        staking.poolInfo(42)
    with ape.reverts(staking.StakingUnknownLock):
        staking.positionInfo(pool, alice, 4)
