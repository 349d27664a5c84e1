from typing import ClassVar

import ape
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.contracts.conftest import clock_start, refused
from tests.contracts.launchpad.conftest import DAY, ZERO
from tests.contracts.launchpad.model import vested

TOTAL = 1_000_000 * 10**18
CLIFF = 30 * DAY
DURATION = 100 * DAY
TGE_BPS = 1_500


@pytest.fixture(scope="module")
def scheduler(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def team_token(project, deployer, vault, scheduler):
    token = deployer.deploy(project.TestToken, "Team Token", "TEAM", 18, deployer)
    token.mint(scheduler, 10**12 * 10**18, sender=deployer)
    token.approve(vault, 2**256 - 1, sender=scheduler)
    vault.grantRole(vault.SCHEDULER_ROLE(), scheduler, sender=deployer)
    vault.grantRole(vault.REVOKER_ROLE(), deployer, sender=deployer)
    return token


@pytest.fixture(scope="module", autouse=True)
def _vault_ready(team_token):
    """Deploy before any test, so Ape's per-test snapshots never need rebasing."""


def create(
    vault, scheduler, token, beneficiary, *, start, total=TOTAL, revocable=False, send=None, **terms
):
    """Creates a schedule (through `send(call, *args, sender=...)` if given); its event."""
    send = send or (lambda call, *args, sender: call(*args, sender=sender))
    receipt = send(
        vault.createSchedule,
        beneficiary,
        token,
        total,
        (
            start,
            terms.get("cliff", CLIFF),
            terms.get("duration", DURATION),
            terms.get("tge_bps", TGE_BPS),
            revocable,
        ),
        sender=scheduler,
    )
    return next(e for e in receipt.events if e.event_name == "ScheduleCreated")


def test_create_schedule_pulls_tokens_and_records_terms(vault, scheduler, team_token, alice, chain):
    start = chain.pending_timestamp + DAY
    created = create(vault, scheduler, team_token, alice, start=start)
    assert (created.scheduleId, created.beneficiary, created.total) == (0, alice.address, TOTAL)
    assert (created.start, created.cliff, created.duration, created.tgeBps) == (
        start,
        CLIFF,
        DURATION,
        TGE_BPS,
    )
    assert team_token.balanceOf(vault) == TOTAL and vault.nextScheduleId() == 1
    s = vault.scheduleOf(0, alice)
    assert (s.token, s.total, s.released, s.revoked) == (team_token.address, TOTAL, 0, False)


def test_vested_amounts_follow_tge_cliff_and_linear_release(
    vault, scheduler, team_token, alice, chain
):
    start = chain.pending_timestamp + DAY
    sid = create(vault, scheduler, team_token, alice, start=start).scheduleId
    points = [
        start - 1,
        start,
        start + CLIFF - 1,
        start + CLIFF,
        start + CLIFF + 1,
        start + CLIFF + DURATION // 3,
        start + CLIFF + DURATION - 1,
        start + CLIFF + DURATION,
        start + 10 * DURATION,
    ]
    got = [vault.vestedAt(sid, alice, t) for t in points]
    assert got == [vested(TOTAL, start, CLIFF, DURATION, TGE_BPS, t) for t in points]
    assert got[0] == 0 and got[1] == TOTAL * TGE_BPS // 10_000 == got[2]
    assert got[-2] == TOTAL == got[-1]


def test_zero_duration_releases_the_rest_at_the_cliff(vault, scheduler, team_token, alice, chain):
    start = chain.pending_timestamp + DAY
    sid = create(vault, scheduler, team_token, alice, start=start, duration=0).scheduleId
    assert vault.vestedAt(sid, alice, start + CLIFF - 1) == TOTAL * TGE_BPS // 10_000
    assert vault.vestedAt(sid, alice, start + CLIFF) == TOTAL


def test_claim_releases_what_vested_and_never_twice(vault, scheduler, team_token, alice, chain):
    start = chain.pending_timestamp + DAY
    sid = create(vault, scheduler, team_token, alice, start=start).scheduleId
    with ape.reverts(vault.VestingNothingToClaim, scheduleId=sid, beneficiary=alice.address):
        vault.claim(sid, sender=alice)
    chain.pending_timestamp = start
    vault.claim(sid, sender=alice)
    assert team_token.balanceOf(alice) == TOTAL * TGE_BPS // 10_000
    with ape.reverts(vault.VestingNothingToClaim):  # still in the cliff: nothing new
        vault.claim(sid, sender=alice)
    at = start + CLIFF + DURATION // 2
    chain.pending_timestamp = at
    expected = vested(TOTAL, start, CLIFF, DURATION, TGE_BPS, at)
    receipt = vault.claim(sid, sender=alice)
    claimed = next(e for e in receipt.events if e.event_name == "TokensClaimed")
    assert (claimed.amount, claimed.released) == (expected - TOTAL * TGE_BPS // 10_000, expected)
    assert team_token.balanceOf(alice) == expected
    chain.pending_timestamp = start + CLIFF + DURATION
    vault.claim(sid, sender=alice)
    assert team_token.balanceOf(alice) == TOTAL
    assert vault.scheduleOf(sid, alice).released == TOTAL
    chain.pending_timestamp += 365 * DAY
    with ape.reverts(vault.VestingNothingToClaim):
        vault.claim(sid, sender=alice)


def test_claim_for_pays_the_beneficiary(vault, scheduler, team_token, alice, bob, chain):
    start = chain.pending_timestamp + DAY
    sid = create(vault, scheduler, team_token, alice, start=start).scheduleId
    chain.pending_timestamp = start
    vault.claimFor(sid, alice, sender=bob)
    assert team_token.balanceOf(alice) == TOTAL * TGE_BPS // 10_000
    assert team_token.balanceOf(bob) == 0
    with ape.reverts(vault.VestingUnknownSchedule, scheduleId=sid, beneficiary=bob.address):
        vault.claim(sid, sender=bob)  # the id belongs to alice only


def test_create_schedule_checks_role_and_input(vault, scheduler, team_token, alice, chain):
    start = chain.pending_timestamp + DAY
    with ape.reverts(vault.AccessControlUnauthorizedAccount):
        create(vault, alice, team_token, alice, start=start)
    with ape.reverts(vault.VestingInvalidBeneficiary):
        create(vault, scheduler, team_token, ZERO, start=start)
    with ape.reverts(vault.VestingInvalidTerms, tgeBps=10_001):
        create(vault, scheduler, team_token, alice, start=start, tge_bps=10_001)
    with ape.reverts(vault.VestingInvalidAmount):
        create(vault, scheduler, team_token, alice, start=start, total=0)
    assert vault.nextScheduleId() == 0


def test_fee_on_transfer_schedule_records_what_arrived(
    project, vault, deployer, scheduler, alice, chain
):
    taxed = deployer.deploy(project.FeeOnTransferToken, 100)
    taxed.mint(scheduler, 10**24, sender=deployer)
    taxed.approve(vault, 2**256 - 1, sender=scheduler)
    start = chain.pending_timestamp + DAY
    created = create(vault, scheduler, taxed, alice, start=start, total=10**6, tge_bps=10_000)
    assert created.total == 990_000 == taxed.balanceOf(vault)
    chain.pending_timestamp = start
    vault.claim(created.scheduleId, sender=alice)
    assert taxed.balanceOf(vault) == 0


def test_revoke_returns_the_unvested_part_and_keeps_the_vested_claimable(
    vault, deployer, scheduler, team_token, alice, treasury, chain
):
    start = chain.pending_timestamp + DAY
    sid = create(vault, scheduler, team_token, alice, start=start, revocable=True).scheduleId
    at = start + CLIFF + DURATION // 4
    chain.pending_timestamp = at
    vault.claim(sid, sender=alice)  # some already released
    released = team_token.balanceOf(alice)
    chain.pending_timestamp = at + DAY
    with ape.reverts(vault.AccessControlUnauthorizedAccount):
        vault.revoke(sid, alice, treasury, sender=alice)
    receipt = vault.revoke(sid, alice, treasury, sender=deployer)
    revoked = next(e for e in receipt.events if e.event_name == "ScheduleRevoked")
    revoked_at = chain.blocks[receipt.block_number].timestamp
    vested_now = vested(TOTAL, start, CLIFF, DURATION, TGE_BPS, revoked_at)
    assert (revoked.vestedTotal, revoked.unvested) == (vested_now, TOTAL - vested_now)
    assert team_token.balanceOf(treasury) == TOTAL - vested_now
    # Vesting stops: later the beneficiary claims exactly what had vested at revocation.
    chain.pending_timestamp = start + 10 * DURATION
    vault.claim(sid, sender=alice)
    assert team_token.balanceOf(alice) == vested_now > released
    assert team_token.balanceOf(vault) == 0
    with ape.reverts(vault.VestingNotRevocable):
        vault.revoke(sid, alice, treasury, sender=deployer)


def test_irrevocable_schedules_cannot_be_revoked(
    vault, deployer, scheduler, team_token, alice, chain
):
    sid = create(vault, scheduler, team_token, alice, start=chain.pending_timestamp).scheduleId
    with ape.reverts(vault.VestingNotRevocable):
        vault.revoke(sid, alice, deployer, sender=deployer)


def test_reentrant_token_cannot_claim_twice(project, vault, deployer, scheduler, alice, chain):
    evil = deployer.deploy(project.ReentrantToken)
    evil.mint(scheduler, 10**24, sender=deployer)
    evil.approve(vault, 2**256 - 1, sender=scheduler)
    start = chain.pending_timestamp + DAY
    sid = create(vault, scheduler, evil, alice, start=start, total=10**6).scheduleId
    chain.pending_timestamp = start + CLIFF + DURATION // 2
    evil.arm(vault, vault.claimFor.encode_input(sid, alice), sender=alice)
    vault.claim(sid, sender=alice)
    assert evil.attempted() and not evil.reentered()
    assert evil.balanceOf(alice) == vested(
        10**6, start, CLIFF, DURATION, TGE_BPS, start + CLIFF + DURATION // 2
    )


# ------------------------------------------------------------------ stateful invariants


class VestingInvariants(RuleBasedStateMachine):
    """Random schedules, time steps, claims, claimFors and revocations: each schedule's released
    amount only grows and never exceeds its allocation, and the vault holds exactly what is
    unreleased. Every claim releases exactly what `model.vested` says is due, and a claim or a
    revocation is refused exactly when the model says so, with the expected error.

    Each example starts from the same chain state (a snapshot, restored at teardown) and runs on
    its own clock (each transaction one second after the previous one), so what a claim releases
    never depends on the wall clock."""

    ctx: ClassVar[dict] = {}

    @initialize()
    def start(self):
        c = type(self).ctx
        self.snapshot = c["chain"].snapshot()
        self.now = clock_start(c["chain"])
        self.schedules = []  # (id, beneficiary)
        self.terms = {}  # id -> [total, start, cliff, duration, tge_bps, revocable, revoked]
        self.released = {}
        self.base = c["token"].balanceOf(c["vault"])
        self.unreleased_base = self.base

    def teardown(self):
        if hasattr(self, "snapshot"):
            type(self).ctx["chain"].restore(self.snapshot)

    def _send(self, call, *args, sender):
        """Sends a transaction mined one second after this example's previous one."""
        self.now += 1
        type(self).ctx["chain"].pending_timestamp = self.now
        return call(*args, sender=sender)

    def _vested_next_block(self, sid):
        total, start, cliff, duration, tge, _, revoked = self.terms[sid]
        return total if revoked else vested(total, start, cliff, duration, tge, self.now + 1)

    @rule(
        total=st.integers(1, 10**24),
        delay=st.integers(0, 10 * DAY),
        cliff=st.integers(0, 60 * DAY),
        duration=st.integers(0, 200 * DAY),
        tge=st.integers(0, 10_000),
        who=st.integers(0, 2),
        revocable=st.booleans(),
    )
    def create(self, total, delay, cliff, duration, tge, who, revocable):
        c = type(self).ctx
        beneficiary = c["beneficiaries"][who]
        start = self.now + 1 + delay  # from the block that creates it
        created = create(
            c["vault"], c["scheduler"], c["token"], beneficiary, start=start, total=total,
            cliff=cliff, duration=duration, tge_bps=tge, revocable=revocable,
            send=self._send,
        )  # fmt: skip
        self.schedules.append((created.scheduleId, beneficiary))
        self.terms[created.scheduleId] = [total, start, cliff, duration, tge, revocable, False]
        self.released[created.scheduleId] = 0

    @rule(seconds=st.integers(1, 90 * DAY))
    def wait(self, seconds):
        self.now += seconds

    @rule(index=st.integers(0, 50), by_other=st.booleans())
    def claim(self, index, by_other):
        if not self.schedules:
            return
        c = type(self).ctx
        vault = c["vault"]
        sid, beneficiary = self.schedules[index % len(self.schedules)]
        due = self._vested_next_block(sid) - self.released[sid]
        if by_other:
            call, args, sender = vault.claimFor, (sid, beneficiary), c["scheduler"]
        else:
            call, args, sender = vault.claim, (sid,), beneficiary
        if due == 0:
            with refused(vault, "VestingNothingToClaim", scheduleId=sid):
                self._send(call, *args, sender=sender)
            return
        receipt = self._send(call, *args, sender=sender)
        claimed = next(e for e in receipt.events if e.event_name == "TokensClaimed")
        assert (claimed.amount, claimed.released) == (due, self.released[sid] + due)

    @rule(index=st.integers(0, 50))
    def revoke(self, index):
        if not self.schedules:
            return
        c = type(self).ctx
        vault = c["vault"]
        sid, beneficiary = self.schedules[index % len(self.schedules)]
        terms = self.terms[sid]
        revocable, revoked = terms[5], terms[6]
        if not revocable or revoked:
            with refused(vault, "VestingNotRevocable", scheduleId=sid):
                self._send(vault.revoke, sid, beneficiary, c["sink"], sender=c["revoker"])
            return
        kept = self._vested_next_block(sid)
        receipt = self._send(vault.revoke, sid, beneficiary, c["sink"], sender=c["revoker"])
        revoked_event = next(e for e in receipt.events if e.event_name == "ScheduleRevoked")
        assert (revoked_event.vestedTotal, revoked_event.unvested) == (kept, terms[0] - kept)
        terms[0], terms[6] = kept, True

    @invariant()
    def released_only_grows_and_stays_within_the_allocation(self):
        c = type(self).ctx
        unreleased = 0
        for sid, beneficiary in self.schedules:
            s = c["vault"].scheduleOf(sid, beneficiary)
            assert s.released >= self.released[sid]
            assert s.released <= s.total
            self.released[sid] = s.released
            unreleased += s.total - s.released
        assert c["token"].balanceOf(c["vault"]) == self.base + unreleased


@pytest.mark.stateful
def test_vesting_invariants(
    vault, team_token, scheduler, deployer, alice, bob, carol, accounts, chain
):
    VestingInvariants.ctx = {
        "vault": vault,
        "token": team_token,
        "scheduler": scheduler,
        "revoker": deployer,
        "sink": accounts[6],
        "beneficiaries": [alice, bob, carol],
        "chain": chain,
    }
    runner = VestingInvariants.TestCase
    runner.settings = settings(
        max_examples=6,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    runner().runTest()
