"""Hypothesis stateful tests of the launchpad's money invariants, on random sales: random caps,
tiers, price, lottery or not, random purchases; at the end of every example the sale is finalized
(seed revealed or not), every buyer settles or refunds, and the remainder is swept."""

from typing import ClassVar

from eth_utils import keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from tests.contracts.launchpad.conftest import REVEAL_WINDOW, USD
from tests.contracts.launchpad.model import Entry, filled, outcome, tokens_for

SEED = b"\x5e" * 32
SUCCEEDED, FAILED = 2, 3


class SaleInvariants(RuleBasedStateMachine):
    ctx: ClassVar[dict] = {}
    pools: ClassVar[int] = 100  # a fresh staking pool per sale: checkpoints stay in time order

    @initialize(
        hard_cap=st.integers(1, 5_000).map(lambda n: n * USD + 7),
        soft_fraction=st.integers(0, 100),
        price=st.sampled_from([USD // 2, USD, 3 * USD + 1, 7, 3 * 10**18 + 5]),
        lottery=st.booleans(),
        weights=st.lists(st.integers(0, 3_000), min_size=6, max_size=6),
    )
    def create_sale(self, hard_cap, soft_fraction, price, lottery, weights):
        c = type(self).ctx
        sales, launchpad = c["sales"], c["launchpad"]
        type(self).pools += 1
        pool = type(self).pools
        self.token_base = c["sale_token"].balanceOf(launchpad)
        p = sales.params()
        for buyer, weight in zip(c["buyers"], weights, strict=True):
            if weight:
                c["staking"].setWeight(
                    pool, buyer, p["snapshotTime"] - 5, weight, sender=c["admin"]
                )
        self.sale_id, self.p = sales.create(
            start=p["startTime"],
            hardCap=hard_cap,
            softCap=hard_cap * soft_fraction // 100,
            price=price,
            minBuy=1,
            maxBuy=hard_cap,
            lottery=lottery,
            staking=c["staking"].address,
            poolId=pool,
            tierThresholds=[1_000, 2_000],
            tierAllocations=[hard_cap // 10, hard_cap // 4],
            seed_hash=keccak(SEED) if lottery else None,
        )
        self.deposited = tokens_for(hard_cap, price)
        self.entries: dict[str, Entry] = {}
        self.paid_in = 0
        self.finished = False
        self.reveal = True
        self.tusd_base = c["tusd"].balanceOf(launchpad)
        self.payees = (c["treasury"], c["fee_recipient"])
        self.payee_base = [c["tusd"].balanceOf(a) for a in self.payees]
        self.treasury_tokens_base = c["sale_token"].balanceOf(c["treasury"])

    @rule(who=st.integers(0, 5), share=st.integers(1, 6_000) | st.integers(2_000, 6_000))
    def buy(self, who, share):
        c = type(self).ctx
        amount = self.p["hardCap"] * share // 10_000 + 1  # 0.01% to 60% of the hard cap
        buyer = c["buyers"][who]
        try:
            receipt = c["launchpad"].buy(self.sale_id, amount, sender=buyer)
        except Exception:
            return  # over the max, or a second entry in a lottery: refused, nothing changed
        ev = next(e for e in receipt.events if e.event_name == "Purchased")
        entry = self.entries.setdefault(buyer.address, Entry(0, ev.guaranteedCap, ev.lotteryOffset))
        entry.committed = ev.committed
        self.paid_in += amount

    @rule(reveal=st.booleans())
    def choose_reveal(self, reveal):
        self.reveal = reveal

    def finish(self, reveal):
        c = type(self).ctx
        launchpad, sales, buyer0 = c["launchpad"], c["sales"], c["buyers"][0]
        account = {b.address: b for b in c["buyers"]}
        sales.end(self.p)
        lottery_start = None
        if self.p["lottery"]:
            if reveal:
                ev = launchpad.revealSeed(self.sale_id, SEED, sender=buyer0).events[-1]
                lottery_start = ev.lotteryStart
            else:
                c["chain"].pending_timestamp = self.p["endTime"] + REVEAL_WINDOW + 1
        fin = next(
            e
            for e in launchpad.finalize(self.sale_id, sender=buyer0).events
            if e.event_name == "SaleFinalized"
        )
        raised = min(self.paid_in, self.p["hardCap"])
        refunds = 0
        vested_tokens = 0
        if raised < self.p["softCap"]:
            assert fin.outcome == FAILED
            for address, entry in self.entries.items():
                before = c["tusd"].balanceOf(address)
                launchpad.refund(self.sale_id, sender=account[address])
                # Refunds are exact when the soft cap is missed.
                assert c["tusd"].balanceOf(address) - before == entry.committed
                refunds += entry.committed
        else:
            assert fin.outcome == SUCCEEDED
            if not fin.lotteryDrawn:
                lottery_start = None
            expected = filled(self.entries, self.p["hardCap"], lottery_start)
            for address, entry in self.entries.items():
                receipt = launchpad.settle(self.sale_id, sender=account[address])
                settled = next(e for e in receipt.events if e.event_name == "Settled")
                paid, tokens = outcome(expected[address], self.p["price"])
                assert (settled.paid, settled.tokens) == (paid, tokens)
                assert settled.refund == entry.committed - paid
                refunds += settled.refund
                vested_tokens += settled.tokens
            launchpad.sweepRemainder(self.sale_id, sender=buyer0)
        self.finished = True
        # Sum of payouts == deposits: refunds + treasury + fee == everything paid in.
        payees = sum(
            c["tusd"].balanceOf(a) - b for a, b in zip(self.payees, self.payee_base, strict=True)
        )
        assert refunds + payees == self.paid_in
        returned = c["sale_token"].balanceOf(c["treasury"]) - self.treasury_tokens_base
        assert vested_tokens + returned == self.deposited
        assert c["tusd"].balanceOf(launchpad) == self.tusd_base
        assert c["sale_token"].balanceOf(launchpad) == self.token_base

    def teardown(self):
        # Every example ends with the sale settled, so the payout checks always run.
        self.finish(self.reveal)

    @invariant()
    def never_oversold_and_fully_backed(self):
        c = type(self).ctx
        s = c["launchpad"].saleState(self.sale_id)
        if not self.finished:
            assert s.totalCommitted == self.paid_in == s.paymentHeld
            assert s.tokensHeld == self.deposited
            assert c["tusd"].balanceOf(c["launchpad"]) == self.tusd_base + self.paid_in
        # What the hard cap can buy never exceeds what was deposited.
        assert tokens_for(min(self.paid_in, self.p["hardCap"]), self.p["price"]) <= self.deposited


def test_sale_invariants(
    launchpad, sales, staking, tusd, sale_token, treasury, fee_recipient, buyers, deployer, chain
):
    for buyer in buyers:
        tusd.mint(buyer, 10**9 * USD, sender=deployer)
    SaleInvariants.ctx = {
        "launchpad": launchpad,
        "sales": sales,
        "staking": staking,
        "tusd": tusd,
        "sale_token": sale_token,
        "treasury": treasury,
        "fee_recipient": fee_recipient,
        "buyers": buyers,
        "admin": deployer,
        "chain": chain,
    }
    runner = SaleInvariants.TestCase
    runner.settings = settings(
        max_examples=6,
        stateful_step_count=12,
        deadline=None,
        # The same interleavings every run: on Anvil one random run failed and then could not be
        # replayed (FlakyStrategyDefinition), which points at chain time feeding a precondition.
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    runner().runTest()
