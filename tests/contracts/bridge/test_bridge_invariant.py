"""Hypothesis stateful test of the bridge's invariant on a loopback pair of real bridges.

Bridge A locks a native token for chain id C; bridge B (registered as A's remote for C, and A as
B's) mints the BridgedToken on claims signed by the validators, burns it, and A releases on
claims of the burns. Messages are built from the events and signed in Python, as the validator
network does. Random interleavings of locks, claims (some replayed, some forged, some exceeding
the mint cap), burns, pauses and a rotation must keep, for the token:

    minted on B (BridgedToken.totalSupply) <= locked on A for C == A's token balance

Every example replays exactly: it starts from the same chain state (a snapshot taken before its
deploys, restored at teardown) and runs on its own clock (each transaction one second after the
previous one, from a cap-window boundary; `next_window` jumps to the next boundary), so which cap
window a claim lands in never depends on the wall clock. Each claim's outcome is predicted from
the model (paused, the mint cap left in the claim's window, replayed, forged) and a refusal must
carry the predicted error.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from offchain.bridge.messages import BridgeMessage, MessageKind
from tests.contracts.bridge.conftest import GRACE_PERIOD, WINDOW, Validators, validator_keys
from tests.contracts.conftest import clock_start, refused

MINT_CAP = 10**6


class MintNeverExceedsLock(RuleBasedStateMachine):
    project = deployer = guardian = users = chain = validators = None
    outcomes: ClassVar[Counter[str]] = Counter()

    @initialize()
    def deploy(self):
        cls = type(self)
        deployer, validators = cls.deployer, cls.validators
        self.snapshot = cls.chain.snapshot()
        self.now = (clock_start(cls.chain) // WINDOW + 1) * WINDOW  # a cap window opens
        self.cap_window = self.cap_used = 0  # the mint cap window of B's last mint and its use
        self.chain_id = cls.chain.chain_id
        args = (
            deployer,
            cls.guardian,
            validators.addresses,
            validators.threshold,
            WINDOW,
            GRACE_PERIOD,
        )
        self.a = self._tx(deployer.deploy, cls.project.Bridge, *args)
        self.b = self._tx(deployer.deploy, cls.project.Bridge, *args)
        self._tx(self.a.setRemoteBridge, self.chain_id, self.b, sender=deployer)
        self._tx(self.b.setRemoteBridge, self.chain_id, self.a, sender=deployer)
        self.token = self._tx(deployer.deploy, cls.project.TestToken, "T", "T", 6, deployer)
        self._tx(self.a.setTokenLimit, self.token, 10**30, sender=deployer)
        receipt = self._tx(
            self.b.createBridgedToken, self.chain_id, self.token, "bT", "bT", 6, sender=deployer
        )
        self.wrapped = cls.project.BridgedToken.at(receipt.events[-1].bridgedToken)
        self._tx(self.b.setTokenLimit, self.wrapped, MINT_CAP, sender=deployer)
        for user in cls.users:
            self._tx(self.token.mint, user, 10**9, sender=deployer)
            self._tx(self.token.approve, self.a, 2**256 - 1, sender=user)
        self.signers = validators
        self.epoch = 1
        self.pending: list[BridgeMessage] = []  # signed-for, not yet claimed
        self.claimed: list[BridgeMessage] = []
        self.minted = 0
        self.locked = 0
        self.paused = False
        # Every run starts with both directions crossed once (lock -> mint, burn -> release), so
        # the random steps act on a state where both tokens circulate; these claims are not
        # counted in `outcomes`, which says what the random steps reached.
        self.counting = False
        self.lock(user=0, amount=300_000)
        self.claim(index=0)
        self.burn(user=0, fraction=50)
        self.claim(index=0)
        assert not self.pending and self.minted == 150_000 and self.locked == 150_000
        self.counting = True

    def _tx(self, call, *args, **kwargs):
        """Sends a transaction mined one second after this example's previous one."""
        self.now += 1
        type(self).chain.pending_timestamp = self.now
        return call(*args, **kwargs)

    def teardown(self):
        if hasattr(self, "snapshot"):
            type(self).chain.restore(self.snapshot)

    def _message(self, receipt, name, kind, src, dst) -> BridgeMessage:
        (ev,) = [e for e in receipt.events if e.event_name == name]
        return BridgeMessage(
            kind=kind,
            src_chain_id=self.chain_id,
            src_bridge=src.address,
            dst_chain_id=self.chain_id,
            dst_bridge=dst.address,
            nonce=ev.nonce,
            token=ev.token,
            recipient=ev.recipient,
            amount=ev.amount,
            epoch=self.epoch,
        )

    def _claim(
        self, message: BridgeMessage, refused_by=(), signatures: bytes | None = None, **error_args
    ) -> bool:
        """Claims `message` (signed for the current epoch): True if it went through. Given
        `refused_by`, it must revert with one of these custom errors, with `error_args`; while the
        bridges are paused every claim must revert with EnforcedPause."""
        target = self.b if message.kind == MessageKind.LOCK else self.a
        current = BridgeMessage(**{**message.__dict__, "epoch": self.epoch})
        sigs = self.signers.sign(current) if signatures is None else signatures
        if self.paused:
            refused_by, error_args = ("EnforcedPause",), {}
        if not refused_by:
            self._tx(target.claim, current.as_tuple(), sigs, sender=type(self).deployer)
            return True
        with refused(target, *refused_by, **error_args):
            self._tx(target.claim, current.as_tuple(), sigs, sender=type(self).deployer)
        return False

    def _refusal(self, message: BridgeMessage) -> dict:
        """Why claiming `message` now must fail ({} if it must go through): B's mint cap left in
        the window of the claim's block is too small (or the bridges are paused: see _claim)."""
        if message.kind == MessageKind.LOCK:
            window = (self.now + 1) // WINDOW
            used = self.cap_used if window == self.cap_window else 0
            if used + message.amount > MINT_CAP:
                return {
                    "refused_by": ("BridgeCapExceeded",),
                    "usedInWindow": used,
                    "amount": message.amount,
                    "cap": MINT_CAP,
                }
        return {}

    @precondition(lambda self: not self.paused)
    @rule(user=st.integers(0, 2), amount=st.integers(1, 400_000))
    def lock(self, user, amount):
        sender = type(self).users[user]
        receipt = self._tx(self.a.lock, self.token, amount, self.chain_id, sender, sender=sender)
        self.pending.append(self._message(receipt, "Deposit", MessageKind.LOCK, self.a, self.b))
        self.locked += amount

    @rule(index=st.integers(0, 20))
    def claim(self, index):
        if not self.pending:
            return
        message = self.pending[index % len(self.pending)]
        ok = self._claim(message, **self._refusal(message))
        if ok and message.kind == MessageKind.LOCK:
            window = self.now // WINDOW  # the claim's block
            self.cap_used = (self.cap_used if window == self.cap_window else 0) + message.amount
            self.cap_window = window
            assert self.b.tokenLimit(self.wrapped) == (MINT_CAP, self.cap_used)
        if self.counting:
            type(self).outcomes[f"{message.kind.name} {'claimed' if ok else 'refused'}"] += 1
        if ok:
            self.pending.remove(message)
            self.claimed.append(message)
            if message.kind == MessageKind.LOCK:
                self.minted += message.amount
            else:
                self.locked -= message.amount

    @rule(index=st.integers(0, 20))
    def replay(self, index):
        if self.claimed:
            self._claim(
                self.claimed[index % len(self.claimed)], refused_by=("BridgeAlreadyClaimed",)
            )

    @rule(index=st.integers(0, 20), extra=st.integers(1, 10**6))
    def forge_amount(self, index, extra):
        if not self.pending:
            return
        message = self.pending[index % len(self.pending)]
        signatures = self.signers.sign(BridgeMessage(**{**message.__dict__, "epoch": self.epoch}))
        inflated = BridgeMessage(**{**message.__dict__, "amount": message.amount + extra})
        # The signatures recover to some other address: not a validator, or out of order.
        self._claim(
            inflated,
            refused_by=("BridgeNotValidator", "BridgeSignersNotSorted"),
            signatures=signatures,
        )

    @precondition(lambda self: not self.paused)
    @rule(user=st.integers(0, 2), fraction=st.integers(1, 100))
    def burn(self, user, fraction):
        sender = type(self).users[user]
        balance = self.wrapped.balanceOf(sender)
        amount = balance * fraction // 100
        if amount == 0:
            return
        receipt = self._tx(self.b.burn, self.wrapped, amount, sender, sender=sender)
        self.pending.append(self._message(receipt, "Burned", MessageKind.BURN, self.b, self.a))
        self.minted -= amount

    @rule()
    def next_window(self):
        self.now = (self.now // WINDOW + 1) * WINDOW - 1  # the next block opens a cap window

    @rule()
    def toggle_pause(self):
        guardian, deployer = type(self).guardian, type(self).deployer
        for bridge in (self.a, self.b):
            if self.paused:
                self._tx(bridge.unpause, sender=deployer)
            else:
                self._tx(bridge.pause, sender=guardian)
        self.paused = not self.paused

    @precondition(lambda self: self.epoch == 1)
    @rule()
    def rotate(self):
        new = Validators(validator_keys("stateful epoch2", 3), 2)
        chain_id = self.chain_id
        for bridge in (self.a, self.b):
            signatures = self.signers.sign_rotation(bridge.address, chain_id, 1, new)
            self._tx(
                bridge.rotateValidators, new.addresses, 2, signatures, sender=type(self).deployer
            )
        self.signers, self.epoch = new, 2

    @invariant()
    def minted_never_exceeds_locked(self):
        supply = self.wrapped.totalSupply()
        locked = self.a.locked(self.token, self.chain_id)
        assert supply <= locked
        assert locked == self.token.balanceOf(self.a) == self.locked
        # Burned but not yet released: locked exceeds the supply by exactly the pending burns.
        pending_burns = sum(m.amount for m in self.pending if m.kind == MessageKind.BURN)
        pending_locks = sum(m.amount for m in self.pending if m.kind == MessageKind.LOCK)
        assert supply == self.minted
        assert locked == supply + pending_burns + pending_locks


def _bind(project, deployer, guardian, accounts, chain, validators):
    cls = MintNeverExceedsLock
    cls.project, cls.deployer, cls.guardian, cls.chain = project, deployer, guardian, chain
    cls.users = [accounts[1], accounts[2], accounts[3]]
    cls.validators = validators
    return cls


def test_loopback_lock_mint_burn_release(project, deployer, guardian, accounts, chain, validators):
    """The full path once, deterministically: what the random runs are built from."""
    machine = _bind(project, deployer, guardian, accounts, chain, validators)()
    machine.deploy()  # crosses both ways once: 300,000 locked and minted, 150,000 burned back
    assert machine.wrapped.balanceOf(accounts[1]) == 150_000
    assert machine.token.balanceOf(accounts[1]) == 10**9 - 150_000
    machine.lock(user=0, amount=300_000)
    machine.claim(index=0)
    assert machine.wrapped.balanceOf(accounts[1]) == 450_000
    machine.replay(index=0)
    machine.burn(user=0, fraction=50)
    machine.minted_never_exceeds_locked()
    machine.claim(index=0)
    assert machine.token.balanceOf(accounts[1]) == 10**9 - 225_000
    assert (
        machine.a.locked(machine.token, chain.chain_id) == machine.wrapped.totalSupply() == 225_000
    )
    machine.lock(user=2, amount=400_000)
    machine.claim(index=0)  # 600,000 used before it: fills this window's cap exactly
    assert machine.b.tokenLimit(machine.wrapped) == (MINT_CAP, MINT_CAP)
    machine.rotate()
    machine.lock(user=1, amount=1)
    machine.claim(index=0)  # refused with BridgeCapExceeded: nothing left in this window
    assert len(machine.pending) == 1
    machine.next_window()
    machine.claim(index=0)  # the next window admits it
    assert not machine.pending
    machine.minted_never_exceeds_locked()


@pytest.mark.stateful
def test_minted_never_exceeds_locked(project, deployer, guardian, accounts, chain, validators):
    cls = _bind(project, deployer, guardian, accounts, chain, validators)
    runner = cls.TestCase
    runner.settings = settings(
        max_examples=10,
        stateful_step_count=25,
        deadline=None,
        # The same interleavings every run, for the coverage check below only (a random run can
        # claim nothing in its steps): each example replays exactly either way.
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    cls.outcomes.clear()
    runner().runTest()
    # The random steps claimed messages (beyond the prefix every run starts with).
    assert cls.outcomes["LOCK claimed"] + cls.outcomes["BURN claimed"] > 0, cls.outcomes
