"""Hypothesis stateful test: random stakes, withdrawals (early ones pay penalties), claims,
compounds, fundings, time jumps, emergency exits and snapshots scheduled over two pools that share
a staking token, one of which also pays rewards in it.

Invariants, per token: total paid <= total funded; the contract's balance == staked principal +
reward reserve (nothing else enters in this test); the reserve == funded - paid; principal == the
pools' totals; and at the end of each run, a pool's total == the sum of its positions, its total
weight == the sum of its accounts' weights, each the sum of its positions' weights, and the
rewards every account could claim are covered by the reserve; and every snapshot reached answers
the weights the events reported last at or before its time (0 before any).

A call is refused only for a reason the test names (`_send`'s `refused_by`); any other revert fails
the example instead of passing as a refusal."""

from collections import Counter
from typing import ClassVar

import pytest
from ape.exceptions import ContractLogicError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.contracts.conftest import custom_error
from tests.contracts.staking.conftest import BOOSTS, UNIT, WEEK, Policy, create_pool, events

LOCK_COUNT = 4  # flexible + three locks
SNAPSHOTS_AHEAD = (14, 25, 40, 3 * 86_400)  # seconds after the start (one step lasts 1 s)


class StakingAccounting(RuleBasedStateMachine):
    ctx: ClassVar[dict] = {}
    succeeded: ClassVar[Counter] = Counter()  # successful calls by function, over all examples

    @initialize()
    def start(self):
        c = type(self).ctx
        # Every example starts from the same chain state (teardown restores it).
        self.snapshot = c["chain"].snapshot()
        self.now = c["chain"].pending_timestamp + 100
        self.funded = {c["stk"].address: 0, c["rwd"].address: 0}
        self.paid = {c["stk"].address: 0, c["rwd"].address: 0}
        # What the events said: (time, weight) per (pool, account) and per pool, in order.
        self.weights: dict[tuple[int, str], list[tuple[int, int]]] = {}
        self.totals: dict[int, list[tuple[int, int]]] = {}
        self.snapshots: dict[int, set[int]] = {pool: set() for pool in c["pools"]}
        # A live state to start from: both pools funded, every user staked in each.
        staking = c["staking"]
        for pool, token in zip((0, 0, 1), ("stk", "rwd", "rwd"), strict=True):
            self._send(
                staking.notifyRewardAmount,
                c["pools"][pool],
                c[token],
                10**4 * UNIT,
                4 * WEEK,
                sender=c["admin"],
            )
        # Snapshots amid the stakes below, amid the steps, and one a wait may reach.
        for pool in c["pools"]:
            for ahead in SNAPSHOTS_AHEAD:
                self._send(staking.scheduleSnapshot, pool, self.now + ahead, sender=c["admin"])
        for index, user in enumerate(c["users"]):
            for pool in c["pools"]:
                self._send(staking.stake, pool, index % LOCK_COUNT, 1_000 * UNIT, sender=user)

    def _send(self, call, *args, sender, refused_by=()):
        """Mines `call` one second after the previous one; None if it was refused, which only one
        of the custom errors `refused_by` may do (a refused call changes nothing)."""
        c = type(self).ctx
        self.now += 1
        c["chain"].pending_timestamp = self.now
        try:
            receipt = call(*args, sender=sender)
        except ContractLogicError as err:
            error = custom_error(err, c["staking"])
            assert error is not None and error.name in refused_by, f"{err!r}, expected {refused_by}"
            return None
        type(self).succeeded[call.abis[0].name] += 1
        for paid in events(receipt, "RewardPaid") + events(receipt, "Compounded"):
            token = paid.get("rewardToken", c["stk"].address)
            self.paid[token] += paid.amount
        for funded in events(receipt, "RewardFunded"):
            self.funded[funded.rewardToken] += funded.received
        for withdrawn in events(receipt, "Withdrawn"):
            if withdrawn.poolId == c["pools"][0]:  # penalties there are streamed to stakers
                self.funded[c["stk"].address] += withdrawn.penalty
        for name in ("Staked", "Withdrawn", "Compounded", "EmergencyWithdrawn"):
            for change in events(receipt, name):
                account = change.get("account")
                weight = 0 if name == "EmergencyWithdrawn" else change.accountWeight
                self.weights.setdefault((change.poolId, account), []).append((self.now, weight))
                self.totals.setdefault(change.poolId, []).append((self.now, change.totalWeight))
        for scheduled in events(receipt, "SnapshotScheduled"):
            self.snapshots[scheduled.poolId].add(scheduled.timepoint)
        return receipt

    @rule(
        pool=st.integers(0, 1),
        who=st.integers(0, 2),
        lock=st.integers(0, LOCK_COUNT - 1),
        amount=st.integers(1, 10**6 * UNIT),
    )
    def stake(self, pool, who, lock, amount):
        c = type(self).ctx
        self._send(c["staking"].stake, c["pools"][pool], lock, amount, sender=c["users"][who])

    @rule(
        pool=st.integers(0, 1),
        who=st.integers(0, 2),
        lock=st.integers(0, LOCK_COUNT - 1),
        share=st.integers(1, 100),
    )
    def withdraw(self, pool, who, lock, share):
        c = type(self).ctx
        user = c["users"][who]
        staked = 0
        for _ in range(LOCK_COUNT):  # the first position the user has, from `lock` on
            staked = c["staking"].positionInfo(c["pools"][pool], user, lock).amount
            if staked:
                break
            lock = (lock + 1) % LOCK_COUNT
        amount = max(1, staked * share // 100)
        # Refused only without a position: an early withdrawal pays a penalty in both pools.
        receipt = self._send(
            c["staking"].withdraw,
            c["pools"][pool],
            lock,
            amount,
            sender=user,
            refused_by=("StakingInsufficientStake",),
        )
        assert (receipt is None) == (staked == 0)

    @rule(pool=st.integers(0, 1), who=st.integers(0, 2))
    def claim(self, pool, who):
        c = type(self).ctx
        self._send(c["staking"].claim, c["pools"][pool], sender=c["users"][who])

    @rule(who=st.integers(0, 2), lock=st.integers(0, LOCK_COUNT - 1))
    def compound(self, who, lock):
        c = type(self).ctx
        self._send(
            c["staking"].compound,
            c["pools"][0],
            lock,
            sender=c["users"][who],
            refused_by=("StakingNothingToCompound",),
        )

    @rule(
        pool=st.integers(0, 1),
        in_staking_token=st.booleans(),
        amount=st.integers(0, 10**5 * UNIT) | st.integers(0, 1_000),
        duration=st.integers(3_600, 8 * WEEK),
    )
    def fund(self, pool, in_staking_token, amount, duration):
        c = type(self).ctx
        token = c["stk"] if in_staking_token and pool == 0 else c["rwd"]
        self._send(
            c["staking"].notifyRewardAmount,
            c["pools"][pool],
            token,
            amount,
            duration,
            sender=c["admin"],
            # Nothing sent and nothing left of the stream to spread again.
            refused_by=("StakingInvalidAmount",) if amount == 0 else (),
        )

    @rule(seconds=st.integers(1, 60 * 86_400))
    def wait(self, seconds):
        self.now += seconds

    @rule(pool=st.integers(0, 1), who=st.integers(0, 2))
    def emergency_exit(self, pool, who):
        c = type(self).ctx
        staking, user = c["staking"], c["users"][who]
        staked = sum(
            staking.positionInfo(c["pools"][pool], user, lock).amount for lock in range(LOCK_COUNT)
        )
        self._send(staking.pause, sender=c["admin"])
        receipt = self._send(
            staking.emergencyWithdraw,
            c["pools"][pool],
            sender=user,
            refused_by=("StakingInsufficientStake",),
        )
        assert (receipt is None) == (staked == 0)
        self._send(staking.unpause, sender=c["admin"])

    @invariant()
    def accounting_matches_balances(self):
        c = type(self).ctx
        staking = c["staking"]
        for token in (c["stk"], c["rwd"]):
            funded, paid = self.funded[token.address], self.paid[token.address]
            assert paid <= funded
            reserve = staking.rewardReserveOf(token)
            assert reserve == funded - paid
            assert token.balanceOf(staking) == staking.principalOf(token) + reserve
        pools_total = sum(staking.poolInfo(pool).totalStaked for pool in c["pools"])
        assert staking.principalOf(c["stk"]) == pools_total

    def teardown(self):
        """Position by position (too many calls to repeat after every step)."""
        c = type(self).ctx
        try:
            self._check_positions(c["staking"], c["pools"], c["users"])
            # A block after every step, so that each snapshot up to now has been reached.
            self.now += 1
            c["chain"].mine(timestamp=self.now)
            self._check_snapshots(c["staking"], c["users"])
            # Solvent: every account's unclaimed rewards are covered by the reserve.
            for token in (c["stk"], c["rwd"]):
                owed = sum(
                    c["staking"].earned(pool, user, token)
                    for pool in c["pools"]
                    for user in c["users"]
                )
                assert owed <= c["staking"].rewardReserveOf(token)
        finally:
            c["chain"].restore(self.snapshot)

    def _check_snapshots(self, staking, users):
        """Each snapshot reached by the last block answers what the events said at its time."""

        def at(history, timepoint):
            return next((w for t, w in reversed(history) if t <= timepoint), 0)

        for pool, snapshots in self.snapshots.items():
            for timepoint in sorted(t for t in snapshots if t < self.now):
                assert staking.totalWeightAt(pool, timepoint) == at(
                    self.totals.get(pool, []), timepoint
                )
                for user in users:
                    expected = at(self.weights.get((pool, user.address), []), timepoint)
                    assert staking.weightAt(pool, user, timepoint) == expected

    @staticmethod
    def _check_positions(staking, pools, users):
        for pool in pools:
            info = staking.poolInfo(pool)
            positions = 0
            weights = 0
            for user in users:
                account_weight = 0
                for lock in range(LOCK_COUNT):
                    position = staking.positionInfo(pool, user, lock)
                    positions += position.amount
                    account_weight += position.weight
                assert staking.weightOf(pool, user) == account_weight
                weights += account_weight
            assert info.totalStaked == positions
            assert info.totalWeight == weights


@pytest.mark.stateful
def test_staking_accounting(staking, deployer, alice, bob, carol, stk, rwd, chain):
    stakers_pool = create_pool(staking, deployer, stk, Policy.TO_STAKERS)
    staking.addRewardToken(stakers_pool, rwd, sender=deployer)
    treasury_pool = create_pool(staking, deployer, stk, Policy.TO_TREASURY)
    staking.addRewardToken(treasury_pool, rwd, sender=deployer)
    assert len(BOOSTS) + 1 == LOCK_COUNT
    StakingAccounting.ctx = {
        "staking": staking,
        "stk": stk,
        "rwd": rwd,
        "admin": deployer,
        "users": (alice, bob, carol),
        "pools": (stakers_pool, treasury_pool),
        "chain": chain,
    }
    runner = StakingAccounting.TestCase
    runner.settings = settings(
        max_examples=8,
        stateful_step_count=20,
        deadline=None,
        derandomize=True,  # the same runs every time: the activity assertions below are stable
        suppress_health_check=list(HealthCheck),
    )
    StakingAccounting.succeeded.clear()
    runner().runTest()
    # The invariants were checked after real state changes, not after a run of refusals.
    called = ("stake", "withdraw", "claim", "compound", "notifyRewardAmount", "scheduleSnapshot")
    for name in called:
        assert StakingAccounting.succeeded[name] > 0, (name, dict(StakingAccounting.succeeded))
