import ape
import pytest
from eth_utils import keccak

from tests.contracts.launchpad.conftest import (
    DAY,
    FEE_BPS,
    HARD_CAP,
    MAX_BUY,
    MIN_BUY,
    PRICE,
    REVEAL_WINDOW,
    SOFT_CAP,
    USD,
    VESTING,
    ZERO,
)
from tests.contracts.launchpad.model import Entry, filled, outcome, tokens_for, vested

ACTIVE, SUCCEEDED, FAILED, CANCELLED = 1, 2, 3, 4
SEED = b"\x42" * 32


def event(receipt, name):
    return next(e for e in receipt.events if e.event_name == name)


def state(launchpad, sale_id):
    return launchpad.saleState(sale_id)


# ------------------------------------------------------------------------------ create


def test_create_sale_records_config_and_fee(launchpad, sales, sale_token, tusd, treasury):
    p = sales.params()
    receipt = launchpad.createSale(sales.as_tuple(p), sender=sales.deployer)
    created = event(receipt, "SaleCreated")
    assert created.saleId == 0 and launchpad.nextSaleId() == 1
    assert (created.saleToken, created.paymentToken, created.feeBps) == (
        sale_token.address,
        tusd.address,
        FEE_BPS,
    )
    config = launchpad.saleConfig(0)
    assert (config.treasury, config.price, config.hardCap, config.softCap) == (
        treasury.address,
        PRICE,
        HARD_CAP,
        SOFT_CAP,
    )
    assert (config.minBuy, config.maxBuy, config.feeBps) == (MIN_BUY, MAX_BUY, FEE_BPS)
    assert state(launchpad, 0).status == ACTIVE
    assert launchpad.tokensFor(0, HARD_CAP) == tokens_for(HARD_CAP, PRICE) == 20_000 * 10**18


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"saleToken": ZERO}, "LaunchpadInvalidTokens"),
        ({"treasury": ZERO}, "LaunchpadInvalidTokens"),
        ({"paymentToken": "sale"}, "LaunchpadInvalidTokens"),
        ({"start": "past"}, "LaunchpadInvalidTimes"),
        ({"snapshotTime": "start"}, "LaunchpadInvalidTimes"),
        (  # tiers need a snapshot still to come: the staking contract keeps no other
            {
                "staking": "staking",
                "tierThresholds": [5],
                "tierAllocations": [1],
                "snapshotTime": "past",
            },
            "LaunchpadInvalidTimes",
        ),
        ({"end": "start"}, "LaunchpadInvalidTimes"),
        ({"vesting": "before_end"}, "LaunchpadInvalidTimes"),
        ({"price": 0}, "LaunchpadInvalidCaps"),
        ({"hardCap": 0, "softCap": 0}, "LaunchpadInvalidCaps"),
        ({"softCap": HARD_CAP + 1}, "LaunchpadInvalidCaps"),
        ({"price": 10**30, "hardCap": 1, "softCap": 0}, "LaunchpadInvalidCaps"),
        ({"price": 1, "hardCap": 2**112, "softCap": 0, "maxBuy": 1}, "LaunchpadInvalidCaps"),
        ({"maxBuy": 0, "minBuy": 0}, "LaunchpadInvalidLimits"),
        ({"minBuy": MAX_BUY + 1}, "LaunchpadInvalidLimits"),
        ({"tierThresholds": [1], "tierAllocations": []}, "LaunchpadInvalidTiers"),
        ({"tierThresholds": [1], "tierAllocations": [5]}, "LaunchpadInvalidTiers"),  # no staking
        (
            {"staking": "staking", "tierThresholds": [0], "tierAllocations": [5]},
            "LaunchpadInvalidTiers",
        ),
        (
            {"staking": "staking", "tierThresholds": [5, 5], "tierAllocations": [1, 2]},
            "LaunchpadInvalidTiers",
        ),
        (
            {
                "staking": "staking",
                "tierThresholds": list(range(1, 10)),
                "tierAllocations": [1] * 9,
            },
            "LaunchpadInvalidTiers",
        ),
        ({"vesting": "tge_over"}, "LaunchpadInvalidVesting"),
        ({"vesting": "revocable"}, "LaunchpadInvalidVesting"),
    ],
)
def test_create_sale_rejects_bad_params_and_changes_nothing(
    launchpad, sales, staking, chain, overrides, error
):
    p = sales.params()
    now = chain.pending_timestamp
    fixes = {
        "sale": p["saleToken"],
        "staking": staking.address,
        "past": now - 1,
    }
    overrides = {k: fixes.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    if overrides.get("snapshotTime") == "start":
        overrides["snapshotTime"] = p["startTime"]
    if overrides.get("end") == "start":
        overrides["end"] = p["startTime"]
    vesting = overrides.pop("vesting", None)
    p = sales.params(**overrides)
    v = list(p["vesting"])
    if vesting == "before_end":
        v[0] = p["endTime"] - 1
    elif vesting == "tge_over":
        v[3] = 10_001
    elif vesting == "revocable":
        v[4] = True
    p["vesting"] = tuple(v)
    with ape.reverts(getattr(launchpad, error)):
        launchpad.createSale(sales.as_tuple(p), sender=sales.deployer)
    assert launchpad.nextSaleId() == 0


def test_only_a_sale_manager_creates_sales(launchpad, sales, alice):
    with ape.reverts(launchpad.AccessControlUnauthorizedAccount):
        launchpad.createSale(sales.as_tuple(sales.params()), sender=alice)


# ----------------------------------------------------------------------------- deposit


def test_deposit_credits_tokens_before_the_start_only(launchpad, sales, sale_token):
    sale_id, p = sales.create(deposit=False, open_now=False)
    receipt = launchpad.depositSaleTokens(sale_id, 1_000, sender=sales.deployer)
    deposited = event(receipt, "SaleTokensDeposited")
    assert (deposited.amount, deposited.totalDeposited) == (1_000, 1_000)
    assert sale_token.balanceOf(launchpad) == 1_000
    with ape.reverts(launchpad.LaunchpadInvalidAmount):
        launchpad.depositSaleTokens(sale_id, 0, sender=sales.deployer)
    sales.chain.pending_timestamp = p["startTime"]
    with ape.reverts(launchpad.LaunchpadAlreadyStarted):
        launchpad.depositSaleTokens(sale_id, 1_000, sender=sales.deployer)


def test_buy_refused_until_the_hard_cap_is_covered_by_deposits(launchpad, sales, alice):
    required = tokens_for(HARD_CAP, PRICE)
    sale_id, _ = sales.create(deposit=required - 1)
    with ape.reverts(launchpad.LaunchpadUnderfunded, deposited=required - 1, required=required):
        launchpad.buy(sale_id, MIN_BUY, sender=alice)


def test_fee_on_transfer_sale_token_deposit_credits_what_arrived(
    project, launchpad, sales, deployer
):
    taxed = deployer.deploy(project.FeeOnTransferToken, 100)  # 1%
    taxed.mint(deployer, 10**30, sender=deployer)
    taxed.approve(launchpad, 2**256 - 1, sender=deployer)
    sale_id, _ = sales.create(deposit=False, open_now=False, saleToken=taxed.address)
    launchpad.depositSaleTokens(sale_id, 10_000, sender=deployer)
    assert state(launchpad, sale_id).tokensDeposited == 9_900 == taxed.balanceOf(launchpad)


# --------------------------------------------------------------------------------- buy


def test_buy_records_commitment(launchpad, sales, tusd, alice):
    sale_id, _ = sales.create()
    before = tusd.balanceOf(alice)
    receipt = launchpad.buy(sale_id, 100 * USD, sender=alice)
    purchased = event(receipt, "Purchased")
    assert (purchased.buyer, purchased.amount, purchased.committed) == (
        alice.address,
        100 * USD,
        100 * USD,
    )
    launchpad.buy(sale_id, 50 * USD, sender=alice)
    assert launchpad.participationOf(sale_id, alice).committed == 150 * USD
    s = state(launchpad, sale_id)
    assert (s.totalCommitted, s.participants, s.paymentHeld) == (150 * USD, 1, 150 * USD)
    assert tusd.balanceOf(alice) == before - 150 * USD


def test_buy_before_start_and_after_end_is_refused(launchpad, sales, alice):
    sale_id, p = sales.create(open_now=False)
    with ape.reverts(launchpad.LaunchpadNotOpen):
        launchpad.buy(sale_id, MIN_BUY, sender=alice)
    sales.end(p)
    with ape.reverts(launchpad.LaunchpadNotOpen):
        launchpad.buy(sale_id, MIN_BUY, sender=alice)


def test_buy_enforces_per_user_min_and_max(launchpad, sales, alice):
    sale_id, _ = sales.create()
    with ape.reverts(launchpad.LaunchpadAmountOutOfRange, total=MIN_BUY - 1):
        launchpad.buy(sale_id, MIN_BUY - 1, sender=alice)
    with ape.reverts(launchpad.LaunchpadInvalidAmount):
        launchpad.buy(sale_id, 0, sender=alice)
    launchpad.buy(sale_id, MAX_BUY - 1, sender=alice)
    with ape.reverts(launchpad.LaunchpadAmountOutOfRange, total=MAX_BUY + 1):
        launchpad.buy(sale_id, 2, sender=alice)
    launchpad.buy(sale_id, 1, sender=alice)  # exactly the max
    assert launchpad.participationOf(sale_id, alice).committed == MAX_BUY


def test_buy_unknown_sale_is_refused(launchpad, alice):
    with ape.reverts(launchpad.LaunchpadUnknownSale, saleId=7):
        launchpad.buy(7, MIN_BUY, sender=alice)


def test_buy_requires_the_kyc_level(launchpad, sales, kyc, deployer, alice, chain):
    sale_id, _ = sales.create(kycLevel=2)
    with ape.reverts(launchpad.LaunchpadKYCRequired, buyer=alice.address, kycLevel=2):
        launchpad.buy(sale_id, MIN_BUY, sender=alice)
    kyc.attest(alice, 1, chain.pending_timestamp + DAY, sender=deployer)
    with ape.reverts(launchpad.LaunchpadKYCRequired):  # level too low
        launchpad.buy(sale_id, MIN_BUY, sender=alice)
    expires = chain.pending_timestamp + 600
    kyc.attest(alice, 2, expires, sender=deployer)
    launchpad.buy(sale_id, MIN_BUY, sender=alice)
    chain.pending_timestamp = expires  # expired: level 0 from this second on
    with ape.reverts(launchpad.LaunchpadKYCRequired):
        launchpad.buy(sale_id, MIN_BUY, sender=alice)


def test_buy_with_revoked_kyc_is_refused(launchpad, sales, kyc, deployer, alice, chain):
    sale_id, _ = sales.create(kycLevel=1)
    kyc.attest(alice, 1, chain.pending_timestamp + DAY, sender=deployer)
    kyc.revoke(alice, sender=deployer)
    with ape.reverts(launchpad.LaunchpadKYCRequired):
        launchpad.buy(sale_id, MIN_BUY, sender=alice)


def test_fee_on_transfer_payment_credits_what_arrived(project, launchpad, sales, deployer, alice):
    taxed = deployer.deploy(project.FeeOnTransferToken, 100)  # 1%
    taxed.mint(alice, 10_000 * USD, sender=deployer)
    taxed.approve(launchpad, 2**256 - 1, sender=alice)
    sale_id, p = sales.create(paymentToken=taxed.address, softCap=1)
    launchpad.buy(sale_id, 1_000 * USD, sender=alice)
    assert launchpad.participationOf(sale_id, alice).committed == 990 * USD
    assert taxed.balanceOf(launchpad) == 990 * USD
    # The max applies to what arrived: 990 already in, MAX_BUY sent arrives as 0.99 * MAX_BUY.
    with ape.reverts(launchpad.LaunchpadAmountOutOfRange, total=990 * USD + MAX_BUY * 99 // 100):
        launchpad.buy(sale_id, MAX_BUY, sender=alice)
    sales.end(p)
    launchpad.finalize(sale_id, sender=alice)
    launchpad.settle(sale_id, sender=alice)
    assert taxed.balanceOf(launchpad) == 0  # exactly what arrived was paid out


# --------------------------------------------------------------------------------- tiers


def tiered(sales, staking, deployer, weights, thresholds=(100, 1_000), allocations=None):
    p = sales.params()
    allocations = list(allocations or (500 * USD, 2_000 * USD))
    for account, weight in weights.items():
        staking.setWeight(0, account, p["snapshotTime"] - 10, weight, sender=deployer)
    return sales.create(
        staking=staking.address,
        tierThresholds=list(thresholds),
        tierAllocations=allocations,
        start=p["startTime"],
    )


def test_tier_comes_from_the_weight_at_the_snapshot(
    launchpad, sales, staking, deployer, alice, bob, carol
):
    sale_id, p = tiered(sales, staking, deployer, {alice: 100, bob: 5_000, carol: 99})
    # Weight added after the snapshot does not count.
    staking.setWeight(0, carol, p["snapshotTime"] + 1, 10**6, sender=deployer)
    assert launchpad.guaranteedAllocationOf(sale_id, alice) == 500 * USD
    assert launchpad.guaranteedAllocationOf(sale_id, bob) == 2_000 * USD
    assert launchpad.guaranteedAllocationOf(sale_id, carol) == 0
    receipt = launchpad.buy(sale_id, 700 * USD, sender=alice)
    assert event(receipt, "Purchased").guaranteedCap == 500 * USD
    s = state(launchpad, sale_id)
    assert (s.guaranteedDemand, s.openDemand) == (500 * USD, 200 * USD)


def test_guaranteed_allocations_fill_first_and_the_open_part_is_pro_rata(
    launchpad, sales, staking, deployer, tusd, sale_token, vault, treasury, fee_recipient,
    alice, bob, carol, dave,
):  # fmt: skip
    sale_id, p = tiered(sales, staking, deployer, {alice: 100, bob: 5_000})
    commits = {alice: 3_000 * USD, bob: 4_000 * USD, carol: 6_000 * USD, dave: 12_345_679}
    for buyer, amount in commits.items():
        launchpad.buy(sale_id, amount, sender=buyer)
    entries = {
        b.address: Entry(a, {alice: 500 * USD, bob: 2_000 * USD}.get(b, 0))
        for b, a in commits.items()
    }
    expected = filled(entries, HARD_CAP)
    sales.end(p)
    receipt = launchpad.finalize(sale_id, sender=carol)
    fin = event(receipt, "SaleFinalized")
    reserve = 2 * len(commits)
    assert fin.raised == HARD_CAP and fin.proceeds == HARD_CAP - reserve
    fee = (HARD_CAP - reserve) * FEE_BPS // 10_000
    assert fin.fee == fee
    assert tusd.balanceOf(fee_recipient) == fee
    assert tusd.balanceOf(treasury) == HARD_CAP - reserve - fee
    for buyer, amount in commits.items():
        before = tusd.balanceOf(buyer)
        receipt = launchpad.settle(sale_id, sender=buyer)
        settled = event(receipt, "Settled")
        want = expected[buyer.address]
        assert (settled.paid, settled.refund) == (want, amount - want)
        assert settled.tokens == tokens_for(want, PRICE)
        assert tusd.balanceOf(buyer) == before + amount - want
        schedule = vault.scheduleOf(settled.scheduleId, buyer)
        assert schedule.total == settled.tokens and schedule.token == sale_token.address
    # The guaranteed parts were filled in full.
    assert expected[alice.address] >= 500 * USD and expected[bob.address] >= 2_000 * USD
    s = state(launchpad, sale_id)
    assert s.settledCount == 4
    sweep = event(launchpad.sweepRemainder(sale_id, sender=carol), "RemainderSwept")
    assert sweep.payment == s.paymentHeld and sweep.payment <= reserve
    assert tusd.balanceOf(launchpad) == 0
    assert sale_token.balanceOf(launchpad) == 0
    # What buyers paid for is exactly what the treasury and fee recipient got, in two parts.
    assert sum(expected.values()) == fin.proceeds + sweep.payment
    assert sweep.tokens == tokens_for(HARD_CAP, PRICE) - sum(
        tokens_for(f, PRICE) for f in expected.values()
    )


def test_guaranteed_demand_above_the_hard_cap_is_scaled_down(
    launchpad, sales, staking, deployer, alice, bob
):
    sale_id, p = tiered(
        sales, staking, deployer, {alice: 100, bob: 100}, allocations=(6_000 * USD, 7_000 * USD)
    )
    launchpad.buy(sale_id, 6_000 * USD, sender=alice)
    launchpad.buy(sale_id, 7_000 * USD, sender=bob)
    sales.end(p)
    launchpad.finalize(sale_id, sender=alice)
    a, _, ar = launchpad.allocationOf(sale_id, alice)
    b, _, _ = launchpad.allocationOf(sale_id, bob)
    assert a == 6_000 * USD * HARD_CAP // (12_000 * USD)
    assert b == 6_000 * USD * HARD_CAP // (12_000 * USD)
    assert a + b <= HARD_CAP and ar == 1_000 * USD


# ----------------------------------------------------------------------- finalize / refund


def test_finalize_before_the_end_is_refused(launchpad, sales, alice):
    sale_id, p = sales.create()
    sales.chain.pending_timestamp = p["endTime"]
    with ape.reverts(launchpad.LaunchpadNotEnded):
        launchpad.finalize(sale_id, sender=alice)


def test_soft_cap_missed_refunds_everyone_in_full(
    launchpad, sales, tusd, sale_token, treasury, alice, bob
):
    sale_id, p = sales.create()
    launchpad.buy(sale_id, 700 * USD, sender=alice)
    launchpad.buy(sale_id, SOFT_CAP - 700 * USD - 1, sender=bob)
    sales.end(p)
    balances = {a: tusd.balanceOf(a) for a in (alice, bob)}
    fin = event(launchpad.finalize(sale_id, sender=alice), "SaleFinalized")
    assert fin.outcome == FAILED and fin.tokensReturned == tokens_for(HARD_CAP, PRICE)
    assert sale_token.balanceOf(treasury) == tokens_for(HARD_CAP, PRICE)
    with ape.reverts(launchpad.LaunchpadWrongStatus, status=FAILED):
        launchpad.finalize(sale_id, sender=alice)
    with ape.reverts(launchpad.LaunchpadWrongStatus):
        launchpad.settle(sale_id, sender=alice)
    launchpad.refund(sale_id, sender=alice)
    launchpad.refund(sale_id, sender=bob)
    assert tusd.balanceOf(alice) == balances[alice] + 700 * USD
    assert tusd.balanceOf(bob) == balances[bob] + SOFT_CAP - 700 * USD - 1
    with ape.reverts(launchpad.LaunchpadNothingToSettle):
        launchpad.refund(sale_id, sender=alice)
    assert tusd.balanceOf(launchpad) == 0
    assert launchpad.allocationOf(sale_id, alice) == (0, 0, 700 * USD)


def test_success_undersubscribed_pays_proceeds_and_returns_unsold_tokens(
    launchpad, sales, tusd, sale_token, vault, treasury, fee_recipient, alice, bob, chain
):
    sale_id, p = sales.create()
    launchpad.buy(sale_id, 1_500 * USD, sender=alice)
    launchpad.buy(sale_id, 1_000 * USD, sender=bob)
    with ape.reverts(launchpad.LaunchpadWrongStatus, status=ACTIVE):
        launchpad.settle(sale_id, sender=alice)
    sales.end(p)
    fin = event(launchpad.finalize(sale_id, sender=bob), "SaleFinalized")
    raised = 2_500 * USD
    fee = raised * FEE_BPS // 10_000
    assert (fin.outcome, fin.raised, fin.proceeds, fin.fee) == (SUCCEEDED, raised, raised, fee)
    assert tusd.balanceOf(treasury) == raised - fee and tusd.balanceOf(fee_recipient) == fee
    sold = tokens_for(raised, PRICE)
    assert sale_token.balanceOf(treasury) == tokens_for(HARD_CAP, PRICE) - sold
    with ape.reverts(launchpad.LaunchpadWrongStatus):
        launchpad.refund(sale_id, sender=alice)  # refund after success
    with ape.reverts(launchpad.LaunchpadWrongStatus):
        launchpad.finalize(sale_id, sender=alice)  # finalize twice
    with ape.reverts(launchpad.LaunchpadNotFullySettled):
        launchpad.sweepRemainder(sale_id, sender=alice)
    settled = event(launchpad.settle(sale_id, sender=alice), "Settled")
    assert (settled.paid, settled.tokens, settled.refund) == (
        1_500 * USD,
        tokens_for(1_500 * USD, PRICE),
        0,
    )
    with ape.reverts(launchpad.LaunchpadNothingToSettle):
        launchpad.settle(sale_id, sender=alice)  # settle twice
    with ape.reverts(launchpad.LaunchpadNothingToSettle):
        launchpad.settle(sale_id, sender=treasury)  # never bought
    # The tokens vest on the sale's schedule: 20% at TGE.
    sid = settled.scheduleId
    vest_start = p["vesting"][0]
    assert vault.releasable(sid, alice) == 0
    chain.pending_timestamp = vest_start
    claimed = event(vault.claim(sid, sender=alice), "TokensClaimed")
    total = tokens_for(1_500 * USD, PRICE)
    assert claimed.amount == vested(
        total, vest_start, VESTING["cliff"], VESTING["duration"], 2_000, vest_start
    )
    assert sale_token.balanceOf(alice) == total // 5


def test_cancel_before_the_end_refunds_everyone(
    launchpad, sales, tusd, sale_token, treasury, alice
):
    sale_id, _ = sales.create()
    launchpad.buy(sale_id, 100 * USD, sender=alice)
    with ape.reverts(launchpad.AccessControlUnauthorizedAccount):
        launchpad.cancelSale(sale_id, sender=alice)
    cancelled = event(launchpad.cancelSale(sale_id, sender=sales.deployer), "SaleCancelled")
    assert cancelled.tokensReturned == tokens_for(HARD_CAP, PRICE) == sale_token.balanceOf(treasury)
    with ape.reverts(launchpad.LaunchpadWrongStatus, status=CANCELLED):
        launchpad.buy(sale_id, 100 * USD, sender=alice)
    before = tusd.balanceOf(alice)
    launchpad.refund(sale_id, sender=alice)
    assert tusd.balanceOf(alice) == before + 100 * USD


def test_cancel_after_the_end_is_refused(launchpad, sales, alice):
    sale_id, p = sales.create()
    sales.end(p)
    with ape.reverts(launchpad.LaunchpadWrongStatus, status=ACTIVE):
        launchpad.cancelSale(sale_id, sender=sales.deployer)


def test_fee_changes_apply_to_new_sales_only(launchpad, sales, deployer, alice, bob):
    first, _ = sales.create(open_now=False)
    with ape.reverts(launchpad.LaunchpadInvalidFee):
        launchpad.setFee(1_001, alice, sender=deployer)
    with ape.reverts(launchpad.LaunchpadInvalidFee):
        launchpad.setFee(10, ZERO, sender=deployer)
    with ape.reverts(launchpad.AccessControlUnauthorizedAccount):
        launchpad.setFee(10, alice, sender=alice)
    launchpad.setFee(10, bob, sender=deployer)
    second, _ = sales.create(open_now=False)
    assert launchpad.saleConfig(first).feeBps == FEE_BPS
    assert launchpad.saleConfig(second).feeBps == 10
    assert launchpad.fee() == (10, bob.address)


# ------------------------------------------------------------------------------- lottery


def lottery_sale(sales, seed=SEED, **overrides):
    return sales.create(lottery=True, seed_hash=keccak(seed) if seed else None, **overrides)


def test_seed_is_committed_before_the_start_by_a_manager(launchpad, sales, alice):
    sale_id, _ = sales.create(lottery=True, open_now=False)
    with ape.reverts(launchpad.AccessControlUnauthorizedAccount):
        launchpad.commitSeed(sale_id, keccak(SEED), sender=alice)
    with ape.reverts(launchpad.LaunchpadInvalidSeedCommitment):
        launchpad.commitSeed(sale_id, b"\0" * 32, sender=sales.deployer)
    launchpad.commitSeed(sale_id, keccak(SEED), sender=sales.deployer)
    with ape.reverts(launchpad.LaunchpadInvalidSeedCommitment):
        launchpad.commitSeed(sale_id, keccak(b"other"), sender=sales.deployer)
    plain, _ = sales.create(open_now=False)
    with ape.reverts(launchpad.LaunchpadNotLottery):
        launchpad.commitSeed(plain, keccak(SEED), sender=sales.deployer)
    late, q = sales.create(lottery=True, open_now=False)
    sales.chain.pending_timestamp = q["startTime"]
    with ape.reverts(launchpad.LaunchpadAlreadyStarted):
        launchpad.commitSeed(late, keccak(SEED), sender=sales.deployer)


def test_lottery_takes_one_purchase_per_buyer(launchpad, sales, alice):
    sale_id, _ = lottery_sale(sales)
    launchpad.buy(sale_id, 100 * USD, sender=alice)
    with ape.reverts(launchpad.LaunchpadAlreadyEntered):
        launchpad.buy(sale_id, 100 * USD, sender=alice)


def buy_oversubscribed(launchpad, sale_id, buyers):
    amounts = [MAX_BUY - 7 * i * USD for i in range(len(buyers))]
    offsets = {}
    for buyer, amount in zip(buyers, amounts, strict=True):
        offsets[buyer.address] = event(launchpad.buy(sale_id, amount, sender=buyer), "Purchased")
    return {
        b.address: Entry(a, 0, offsets[b.address].lotteryOffset)
        for b, a in zip(buyers, amounts, strict=True)
    }


def test_lottery_reveal_draws_exactly_the_open_supply(launchpad, sales, buyers):
    sale_id, p = lottery_sale(sales)
    entries = buy_oversubscribed(launchpad, sale_id, buyers)
    with ape.reverts(launchpad.LaunchpadRevealClosed):  # not ended yet
        launchpad.revealSeed(sale_id, SEED, sender=buyers[0])
    sales.end(p)
    with ape.reverts(launchpad.LaunchpadAwaitingReveal):
        launchpad.finalize(sale_id, sender=buyers[0])
    with ape.reverts(launchpad.LaunchpadSeedMismatch):
        launchpad.revealSeed(sale_id, b"\x43" * 32, sender=buyers[0])
    revealed = event(launchpad.revealSeed(sale_id, SEED, sender=buyers[0]), "SeedRevealed")
    demand = sum(e.open for e in entries.values())
    assert revealed.lotteryStart == int.from_bytes(revealed.randomness, "big") % demand
    with ape.reverts(launchpad.LaunchpadRevealClosed):  # once
        launchpad.revealSeed(sale_id, SEED, sender=buyers[0])
    fin = event(launchpad.finalize(sale_id, sender=buyers[0]), "SaleFinalized")
    assert fin.lotteryDrawn
    expected = filled(entries, HARD_CAP, revealed.lotteryStart)
    assert sum(expected.values()) == HARD_CAP  # the window is exactly the supply
    got = {b.address: launchpad.allocationOf(sale_id, b)[0] for b in buyers}
    assert got == expected
    winners = [a for a, f in got.items() if f]
    assert 0 < len(winners) < len(buyers)  # a draw, not pro rata


def test_lottery_randomness_mixes_the_entries(launchpad, sales, buyers):
    """Same seed, different entries: a different draw (the admin's seed alone does not decide)."""
    starts = []
    for order in (buyers, list(reversed(buyers))):
        sale_id, p = lottery_sale(sales)
        buy_oversubscribed(launchpad, sale_id, order)
        sales.end(p)
        starts.append(event(launchpad.revealSeed(sale_id, SEED, sender=order[0]), "SeedRevealed"))
    assert starts[0].randomness != starts[1].randomness


def test_unrevealed_seed_falls_back_to_pro_rata_after_the_deadline(launchpad, sales, buyers):
    sale_id, p = lottery_sale(sales)
    entries = buy_oversubscribed(launchpad, sale_id, buyers)
    sales.chain.pending_timestamp = p["endTime"] + REVEAL_WINDOW
    with ape.reverts(launchpad.LaunchpadAwaitingReveal):
        launchpad.finalize(sale_id, sender=buyers[0])
    sales.chain.pending_timestamp = p["endTime"] + REVEAL_WINDOW + 1
    with ape.reverts(launchpad.LaunchpadRevealClosed):
        launchpad.revealSeed(sale_id, SEED, sender=buyers[0])
    fin = event(launchpad.finalize(sale_id, sender=buyers[0]), "SaleFinalized")
    assert not fin.lotteryDrawn
    expected = filled(entries, HARD_CAP)
    assert {b.address: launchpad.allocationOf(sale_id, b)[0] for b in buyers} == expected


def test_lottery_without_a_committed_seed_is_pro_rata(launchpad, sales, buyers):
    sale_id, p = lottery_sale(sales, seed=None)
    entries = buy_oversubscribed(launchpad, sale_id, buyers)
    sales.end(p)
    with ape.reverts(launchpad.LaunchpadSeedMismatch):
        launchpad.revealSeed(sale_id, SEED, sender=buyers[0])
    assert not event(launchpad.finalize(sale_id, sender=buyers[0]), "SaleFinalized").lotteryDrawn
    assert (
        launchpad.allocationOf(sale_id, buyers[0])[0]
        == filled(entries, HARD_CAP)[buyers[0].address]
    )


def test_reveal_on_a_plain_sale_is_refused(launchpad, sales, alice):
    sale_id, p = sales.create()
    sales.end(p)
    with ape.reverts(launchpad.LaunchpadNotLottery):
        launchpad.revealSeed(sale_id, SEED, sender=alice)


# ------------------------------------------------------------------------ hostile tokens


def test_no_return_payment_token_works_through_safe_erc20(
    project, launchpad, sales, deployer, alice
):
    usdt = deployer.deploy(project.NoReturnToken)
    usdt.mint(alice, 10_000 * USD, sender=deployer)
    usdt.approve(launchpad, 2**256 - 1, sender=alice)
    sale_id, p = sales.create(paymentToken=usdt.address)
    launchpad.buy(sale_id, 100 * USD, sender=alice)
    sales.end(p)
    launchpad.finalize(sale_id, sender=alice)  # soft cap missed
    launchpad.refund(sale_id, sender=alice)
    assert usdt.balanceOf(alice) == 10_000 * USD


def test_reentrant_payment_token_cannot_refund_twice(project, launchpad, sales, deployer, alice):
    evil = deployer.deploy(project.ReentrantToken)
    evil.mint(alice, 10_000 * USD, sender=deployer)
    evil.approve(launchpad, 2**256 - 1, sender=alice)
    sale_id, p = sales.create(paymentToken=evil.address)
    launchpad.buy(sale_id, 100 * USD, sender=alice)
    sales.end(p)
    launchpad.finalize(sale_id, sender=alice)
    evil.arm(launchpad, launchpad.refund.encode_input(sale_id), sender=alice)
    launchpad.refund(sale_id, sender=alice)
    assert evil.attempted() and not evil.reentered()
    assert evil.balanceOf(alice) == 10_000 * USD
    assert evil.balanceOf(launchpad) == 0


def test_reentrant_payment_token_cannot_reenter_buy(project, launchpad, sales, deployer, alice):
    evil = deployer.deploy(project.ReentrantToken)
    evil.mint(alice, 10_000 * USD, sender=deployer)
    evil.approve(launchpad, 2**256 - 1, sender=alice)
    sale_id, _ = sales.create(paymentToken=evil.address)
    evil.arm(launchpad, launchpad.buy.encode_input(sale_id, 100 * USD), sender=alice)
    launchpad.buy(sale_id, 100 * USD, sender=alice)
    assert evil.attempted() and not evil.reentered()
    assert launchpad.participationOf(sale_id, alice).committed == 100 * USD


# ----------------------------------------------------------------- price above one unit


def test_part_of_a_fill_worth_less_than_one_token_unit_is_refunded(
    launchpad, sales, tusd, treasury, fee_recipient, alice, bob
):
    """At 3.000...005 payment units per sale-token base unit, a fill buys floor(fill / price)
    units and pays only what they cost; the rest is refunded, and everything still adds up."""
    price = 3 * 10**18 + 5
    sale_id, p = sales.create(price=price, softCap=0)
    commits = {alice: 1_000 * USD + 1, bob: 2_000 * USD + 2}
    for buyer, amount in commits.items():
        launchpad.buy(sale_id, amount, sender=buyer)
    sales.end(p)
    fin = event(launchpad.finalize(sale_id, sender=alice), "SaleFinalized")
    reserve = 2 * (price // 10**18)
    assert fin.proceeds == sum(commits.values()) - reserve
    refunds = 0
    for buyer, amount in commits.items():
        settled = event(launchpad.settle(sale_id, sender=buyer), "Settled")
        paid, tokens = outcome(amount, price)
        assert (settled.paid, settled.tokens, settled.refund) == (paid, tokens, amount - paid)
        assert amount - paid <= price // 10**18
        refunds += settled.refund
    assert refunds > 0  # alice's 1,000.000001 buys 333,333,333 units costing 1,000.000000
    sweep = event(launchpad.sweepRemainder(sale_id, sender=alice), "RemainderSwept")
    paid_out = tusd.balanceOf(treasury) + tusd.balanceOf(fee_recipient) + refunds
    assert paid_out == sum(commits.values())
    assert fin.proceeds + sweep.payment == sum(commits.values()) - refunds
    assert tusd.balanceOf(launchpad) == 0


def test_no_return_sale_token_is_sold_vested_and_claimed(
    project, launchpad, vault, sales, deployer, alice, chain
):
    usdt_like = deployer.deploy(project.NoReturnToken)
    usdt_like.mint(deployer, 10**30, sender=deployer)
    usdt_like.approve(launchpad, 2**256 - 1, sender=deployer)
    sale_id, p = sales.create(saleToken=usdt_like.address, softCap=0)
    launchpad.buy(sale_id, 100 * USD, sender=alice)
    sales.end(p)
    launchpad.finalize(sale_id, sender=alice)  # approves the vault: forceApprove, no return value
    settled = event(launchpad.settle(sale_id, sender=alice), "Settled")
    chain.pending_timestamp = p["vesting"][0] + VESTING["cliff"] + VESTING["duration"]
    vault.claim(settled.scheduleId, sender=alice)
    assert usdt_like.balanceOf(alice) == settled.tokens == tokens_for(100 * USD, PRICE)


def test_reentrant_sale_token_cannot_reenter_during_settle(
    project, launchpad, sales, deployer, alice
):
    evil = deployer.deploy(project.ReentrantToken)
    evil.mint(deployer, 10**30, sender=deployer)
    evil.approve(launchpad, 2**256 - 1, sender=deployer)
    sale_id, p = sales.create(saleToken=evil.address, softCap=0)
    launchpad.buy(sale_id, 100 * USD, sender=alice)
    sales.end(p)
    launchpad.finalize(sale_id, sender=alice)
    # While the vault pulls alice's tokens, the token calls back into the launchpad.
    evil.arm(launchpad, launchpad.sweepRemainder.encode_input(sale_id), sender=alice)
    settled = event(launchpad.settle(sale_id, sender=alice), "Settled")
    assert evil.attempted() and not evil.reentered()
    assert settled.tokens == tokens_for(100 * USD, PRICE)
    assert state(launchpad, sale_id).tokensHeld == 0  # all sold tokens went to the vault
