"""Gas per named operation of StakingPools. Runs on Ape's in-process chain (same EVM rules as
Anvil: Cancun).

    .venv/bin/python bench/staking_gas.py            # print, write bench/results/staking_gas.json
    .venv/bin/python bench/staking_gas.py --write    # ...and update bench/gas/staking.json
    .venv/bin/python bench/staking_gas.py --check    # exit 1 if the snapshot is out of date

The common path (`stake`, `withdraw`, `claim`) is an account that already has a position and
unclaimed rewards, in a pool with one reward token, each call in a later block than the previous
one, with no snapshot reached since the account's and the pool's last change (history is written
only by the first change after a scheduled snapshot: `*_first_after_snapshot`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import gas_snapshot

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "bench" / "gas" / "staking.json"
RESULTS = ROOT / "bench" / "results" / "staking_gas.json"
# Fixed times, so every figure is the same on every run.
START = 2_000_000_000
DAY = 86_400
WEEK = 7 * DAY
UNIT = 10**18

# Goals from the issue, and the public anchor for comparison.
GOALS = {"stake": 100_000, "withdraw": 90_000, "claim": 80_000}
ANCHORS = {
    "stake": "Synthetix StakingRewards averages 146,866",
    "withdraw": "Synthetix StakingRewards averages 137,381",
    "claim": "Synthetix StakingRewards getReward averages 167,652",
}


def measure() -> dict[str, int]:
    from ape import accounts, chain, networks, project

    gas: dict[str, int] = {}
    with networks.ethereum.local.use_provider("test"):
        clock = iter(range(START, START + 10**8, 3_600))

        def tick() -> int:
            timestamp = next(clock)
            chain.pending_timestamp = timestamp
            return timestamp

        admin, alice, bob, carol, treasury = (accounts.test_accounts[i] for i in range(5))
        staking = admin.deploy(project.StakingPools, admin, treasury)
        stk = admin.deploy(project.TestToken, "Stake", "STK", 18, admin)
        rwd = admin.deploy(project.TestToken, "Reward", "RWD", 18, admin)
        rwd2 = admin.deploy(project.TestToken, "Reward Two", "RW2", 18, admin)
        for token in (stk, rwd, rwd2):
            for who in (admin, alice, bob, carol):
                token.mint(who, 10**9 * UNIT, sender=admin)
                token.approve(staking, 2**256 - 1, sender=who)
        locks = [30 * DAY, 90 * DAY, 180 * DAY]
        boosts = [12_500, 15_000, 20_000]
        # Pool 0: STK staked, RWD rewards, early exit to the treasury (the common case).
        tick()
        gas["create_pool_3_locks"] = staking.createPool(
            stk, locks, boosts, 1, 1_000, sender=admin
        ).gas_used
        gas["add_reward_token"] = staking.addRewardToken(0, rwd, sender=admin).gas_used
        tick()
        gas["fund_rewards_first"] = staking.notifyRewardAmount(
            0, rwd, 1_000_000 * UNIT, 52 * WEEK, sender=admin
        ).gas_used
        tick()
        gas["stake_first_position"] = staking.stake(0, 0, 1_000 * UNIT, sender=alice).gas_used
        tick()
        staking.stake(0, 0, 500 * UNIT, sender=bob)
        tick()
        gas["claim_first"] = staking.claim(0, sender=alice).gas_used
        tick()
        # After a claim the account's accrued-reward slot is zero: the next settlement writes it
        # from zero (20,000 gas more than the steady state below).
        gas["stake_after_claim"] = staking.stake(0, 0, 100 * UNIT, sender=alice).gas_used
        tick()
        gas["stake"] = staking.stake(0, 0, 100 * UNIT, sender=alice).gas_used
        tick()
        gas["claim"] = staking.claim(0, sender=alice).gas_used
        tick()
        gas["withdraw_after_claim"] = staking.withdraw(0, 0, 100 * UNIT, sender=alice).gas_used
        tick()
        gas["withdraw"] = staking.withdraw(0, 0, 100 * UNIT, sender=alice).gas_used
        tick()
        gas["stake_locked_new_position"] = staking.stake(0, 2, 100 * UNIT, sender=alice).gas_used
        tick()
        gas["stake_locked"] = staking.stake(0, 2, 100 * UNIT, sender=alice).gas_used
        tick()
        gas["withdraw_early_penalty_to_treasury"] = staking.withdraw(
            0, 2, 50 * UNIT, sender=alice
        ).gas_used
        tick()
        gas["withdraw_all_of_position"] = staking.withdraw(0, 0, 500 * UNIT, sender=bob).gas_used
        tick()
        gas["fund_rewards_top_up"] = staking.notifyRewardAmount(
            0, rwd, 1_000 * UNIT, 52 * WEEK, sender=admin
        ).gas_used

        # Snapshots (the launchpad schedules one per tiered sale): one still to come costs the
        # common path nothing; the first change after one records the pool's and the account's
        # weight at it (the first time for either: their history's length slot too), a later
        # account's first change only its own.
        now = tick()
        staking.stake(0, 0, 100 * UNIT, sender=bob)  # bob back in the pool
        gas["schedule_snapshot"] = staking.scheduleSnapshot(0, now + 5_400, sender=admin).gas_used
        tick()
        gas["stake_snapshot_pending"] = staking.stake(0, 0, 100 * UNIT, sender=alice).gas_used
        tick()
        gas["stake_first_after_snapshot"] = staking.stake(0, 0, 100 * UNIT, sender=alice).gas_used
        now = tick()
        # The pool has passed the snapshot already: only bob's weight at it is recorded.
        gas["stake_first_after_snapshot_pool_passed"] = staking.stake(
            0, 0, 100 * UNIT, sender=bob
        ).gas_used
        staking.scheduleSnapshot(0, now + 1_800, sender=admin)
        tick()
        gas["withdraw_first_after_snapshot"] = staking.withdraw(
            0, 0, 100 * UNIT, sender=alice
        ).gas_used

        # Pool 1: STK staked and STK rewards (compounding), penalties streamed to the stakers,
        # and a second reward token.
        staking.createPool(stk, locks, boosts, 2, 1_000, sender=admin)
        staking.addRewardToken(1, rwd2, sender=admin)
        tick()
        staking.notifyRewardAmount(1, stk, 1_000_000 * UNIT, 52 * WEEK, sender=admin)
        staking.notifyRewardAmount(1, rwd2, 1_000_000 * UNIT, 52 * WEEK, sender=admin)
        tick()
        staking.stake(1, 0, 1_000 * UNIT, sender=alice)
        staking.stake(1, 3, 1_000 * UNIT, sender=bob)
        staking.stake(1, 1, 1_000 * UNIT, sender=carol)
        tick()
        staking.claim(1, sender=alice)
        tick()
        gas["claim_two_reward_tokens"] = staking.claim(1, sender=alice).gas_used
        tick()
        gas["compound"] = staking.compound(1, 0, sender=alice).gas_used
        tick()
        gas["withdraw_early_penalty_to_stakers"] = staking.withdraw(
            1, 3, 100 * UNIT, sender=bob
        ).gas_used
        tick()
        staking.pause(sender=admin)
        gas["emergency_withdraw"] = staking.emergencyWithdraw(1, sender=carol).gas_used
    return dict(sorted(gas.items()))


def main() -> int:
    return gas_snapshot.main(
        __doc__, __file__, measure, snapshot=SNAPSHOT, results=RESULTS, goals=GOALS, anchors=ANCHORS
    )


if __name__ == "__main__":
    sys.exit(main())
