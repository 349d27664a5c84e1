"""The hard cases of contracts/staking/README.md with hostile tokens: fee-on-transfer, no-return,
reentrant callbacks, staking token equal to the reward token, dust, first-staker donations."""

import ape
import pytest

from tests.contracts.staking.conftest import (
    MAX_UINT,
    UNIT,
    WEEK,
    Policy,
    create_pool,
    event,
)

REENTRANCY_GUARD_SELECTOR = bytes.fromhex("3ee5aeb5")  # ReentrancyGuardReentrantCall()


def at(timestamp):
    ape.chain.pending_timestamp = timestamp


@pytest.fixture
def now(chain):
    return chain.pending_timestamp + 100


def _mint_and_approve(token, staking, holders, amount, minter):
    for who in holders:
        token.mint(who, amount, sender=minter)
        token.approve(staking, MAX_UINT, sender=who)


def test_fee_on_transfer_stake_credits_what_arrived(project, staking, deployer, alice, now):
    taxed = deployer.deploy(project.FeeOnTransferToken, 100)  # 1 % burnt per transfer
    _mint_and_approve(taxed, staking, (alice,), 10**6, deployer)
    pool_id = create_pool(staking, deployer, taxed)
    receipt = staking.stake(pool_id, 0, 10**6, sender=alice)
    assert event(receipt, "Staked").amount == 990_000
    assert staking.positionInfo(pool_id, alice, 0).amount == 990_000
    assert staking.principalOf(taxed) == taxed.balanceOf(staking) == 990_000
    staking.withdraw(pool_id, 0, 990_000, sender=alice)
    assert taxed.balanceOf(staking) == 0 == staking.principalOf(taxed)
    assert taxed.balanceOf(alice) == 990_000 * 99 // 100  # the token took its fee on the way out


def test_fee_on_transfer_funding_credits_what_arrived(project, staking, deployer, stk, now):
    taxed = deployer.deploy(project.FeeOnTransferToken, 250)
    _mint_and_approve(taxed, staking, (deployer,), 10**9, deployer)
    pool_id = create_pool(staking, deployer, stk)
    staking.addRewardToken(pool_id, taxed, sender=deployer)
    receipt = staking.notifyRewardAmount(pool_id, taxed, 10**9, WEEK, sender=deployer)
    funded = event(receipt, "RewardFunded")
    assert funded.received == 975_000_000 == staking.rewardReserveOf(taxed)
    assert funded.rateScaled == 975_000_000 * 10**18 // WEEK


def test_a_transfer_that_delivers_nothing_is_refused(project, staking, deployer, alice):
    black_hole = deployer.deploy(project.FeeOnTransferToken, 10_000)  # burns everything
    _mint_and_approve(black_hole, staking, (alice,), 10**6, deployer)
    pool_id = create_pool(staking, deployer, black_hole)
    with ape.reverts(staking.StakingInvalidAmount, amount=10**6, received=0):
        staking.stake(pool_id, 0, 10**6, sender=alice)


def test_no_return_token_stakes_withdraws_and_pays(project, staking, deployer, alice, now):
    usdt = deployer.deploy(project.NoReturnToken)
    _mint_and_approve(usdt, staking, (alice, deployer), 10**12, deployer)
    pool_id = create_pool(staking, deployer, usdt, Policy.TO_STAKERS)
    at(now)
    staking.stake(pool_id, 0, 10**9, sender=alice)
    at(now + 1)
    staking.notifyRewardAmount(pool_id, usdt, 7 * 10**6, WEEK, sender=deployer)
    at(now + 2 * WEEK)
    staking.claim(pool_id, sender=alice)
    staking.withdraw(pool_id, 0, 10**9, sender=alice)
    assert 10**12 - 10 <= usdt.balanceOf(alice) - 7 * 10**6 <= 10**12
    assert usdt.balanceOf(staking) == staking.rewardReserveOf(usdt) < 10


def test_reentrant_staking_token_cannot_reenter(project, staking, deployer, alice, now):
    token = deployer.deploy(project.ReentrantToken)
    _mint_and_approve(token, staking, (alice,), 10**6, deployer)
    pool_id = create_pool(staking, deployer, token)
    staking.stake(pool_id, 0, 1_000, sender=alice)
    # During the next stake's transferFrom, the token calls withdraw on the pool.
    token.arm(staking, staking.withdraw.encode_input(pool_id, 0, 1_000), sender=alice)
    staking.stake(pool_id, 0, 1_000, sender=alice)
    assert token.attempted() and not token.reentered()
    assert bytes(token.returned())[:4] == REENTRANCY_GUARD_SELECTOR
    assert staking.positionInfo(pool_id, alice, 0).amount == 2_000 == token.balanceOf(staking)


def test_reentrant_reward_token_cannot_claim_twice(project, staking, deployer, alice, stk, now):
    token = deployer.deploy(project.ReentrantToken)
    _mint_and_approve(token, staking, (deployer,), 10**24, deployer)
    pool_id = create_pool(staking, deployer, stk)
    staking.addRewardToken(pool_id, token, sender=deployer)
    at(now)
    staking.stake(pool_id, 0, UNIT, sender=alice)
    at(now + 1)
    staking.notifyRewardAmount(pool_id, token, 10**24, WEEK, sender=deployer)
    at(now + 2 * WEEK)
    token.arm(staking, staking.claim.encode_input(pool_id), sender=deployer)
    staking.claim(pool_id, sender=alice)
    assert token.attempted() and not token.reentered()
    assert bytes(token.returned())[:4] == REENTRANCY_GUARD_SELECTOR
    paid = token.balanceOf(alice)
    assert 0 < paid <= 10**24
    assert token.balanceOf(staking) == staking.rewardReserveOf(token) == 10**24 - paid


def test_staking_token_as_reward_never_pays_out_principal(staking, deployer, alice, bob, stk, now):
    pool_id = create_pool(staking, deployer, stk, Policy.TO_STAKERS)
    at(now)
    staking.stake(pool_id, 0, 1_000 * UNIT, sender=alice)
    at(now + 1)
    staking.stake(pool_id, 0, 1_000 * UNIT, sender=bob)
    at(now + 2)
    staking.notifyRewardAmount(pool_id, stk, 10 * UNIT, WEEK, sender=deployer)
    assert staking.principalOf(stk) == 2_000 * UNIT and staking.rewardReserveOf(stk) == 10 * UNIT
    at(now + 10 * WEEK)
    alice_before = stk.balanceOf(alice)
    staking.claim(pool_id, sender=alice)
    rewards = stk.balanceOf(alice) - alice_before
    assert rewards <= 5 * UNIT  # half the funding at most, however long she waits
    staking.claim(pool_id, sender=alice)
    assert stk.balanceOf(alice) - alice_before == rewards
    staking.withdraw(pool_id, 0, 1_000 * UNIT, sender=alice)
    assert stk.balanceOf(alice) - alice_before == rewards + 1_000 * UNIT
    # Bob's principal is intact and withdrawable in full after alice took her rewards.
    assert stk.balanceOf(staking) >= 1_000 * UNIT + staking.rewardReserveOf(stk)
    staking.withdraw(pool_id, 0, 1_000 * UNIT, sender=bob)
    assert staking.principalOf(stk) == 0


def test_dust_funding_never_pays_more_than_funded(staking, deployer, alice, bob, carol, stk, rwd):
    pool_id = create_pool(staking, deployer, stk)
    staking.addRewardToken(pool_id, rwd, sender=deployer)
    now = ape.chain.pending_timestamp + 100
    at(now)
    staking.stake(pool_id, 0, 1, sender=alice)
    at(now + 1)
    staking.stake(pool_id, 3, 3, sender=bob)  # weight 6
    at(now + 2)
    staking.stake(pool_id, 1, 10**30, sender=carol)
    at(now + 3)
    staking.notifyRewardAmount(pool_id, rwd, 7, 3_600, sender=deployer)
    for step, who in enumerate((alice, bob, carol, alice, bob, carol)):
        at(now + 600 * (step + 1) + 3)
        staking.claim(pool_id, sender=who)
    at(now + 10_000)
    for who in (alice, bob, carol):
        staking.claim(pool_id, sender=who)
    reserve = staking.rewardReserveOf(rwd)
    assert 0 <= reserve <= 7 and rwd.balanceOf(staking) == reserve
    info = staking.rewardInfo(pool_id, rwd)
    assert info.carryScaled // 10**18 <= reserve


def test_first_staker_donation_changes_no_share(staking, deployer, alice, bob, stk, rwd, now):
    pool_id = create_pool(staking, deployer, stk)
    staking.addRewardToken(pool_id, rwd, sender=deployer)
    at(now)
    staking.stake(pool_id, 0, 1, sender=alice)  # the attacker stakes 1 wei first...
    at(now + 1)
    stk.transfer(staking, 10**6 * UNIT, sender=alice)  # ...then donates a fortune
    at(now + 2)
    staking.stake(pool_id, 0, 100 * UNIT, sender=bob)
    assert staking.weightOf(pool_id, bob) == 100 * UNIT  # credited 1:1 regardless of the balance
    assert staking.weightOf(pool_id, alice) == 1
    at(now + 3)
    staking.notifyRewardAmount(pool_id, rwd, 100 * UNIT, WEEK, sender=deployer)
    at(now + 2 * WEEK)
    staking.claim(pool_id, sender=bob)
    before = rwd.balanceOf(alice)
    staking.claim(pool_id, sender=alice)
    assert rwd.balanceOf(alice) - before <= 1  # 1 wei of weight earns about 1e-20 of the stream
    bob_before = stk.balanceOf(bob)
    staking.withdraw(pool_id, 0, 100 * UNIT, sender=bob)
    assert stk.balanceOf(bob) == bob_before + 100 * UNIT
    # The donation is excess: the admin may sweep it, nobody's stake is touched.
    staking.sweep(stk, deployer, sender=deployer)
    assert stk.balanceOf(staking) == staking.principalOf(stk) == 1
