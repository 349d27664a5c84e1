from typing import ClassVar

import ape
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from offchain.p2p.escrow import (
    Action,
    EscrowStatus,
    instruction_typed_data,
    payout,
    settlement_typed_data,
)
from tests.contracts.p2p.conftest import (
    ARBITRATION_PERIOD,
    DISPUTE_DELAY,
    FEE_BPS,
    open_escrow,
    params_from,
    sign,
)

ZERO = "0x0000000000000000000000000000000000000000"
AMOUNT = 1_000_000_000  # 1,000 tUSDC


def status(escrow, escrow_id):
    return EscrowStatus(escrow.statusOf(escrow_id)[0])


# ----------------------------------------------------------------------------- open


def test_open_locks_tokens_and_records_params(escrow, usdc, seller, buyer):
    before = usdc.balanceOf(seller)
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    assert escrow_id == 0 and escrow.nextEscrowId() == 1
    assert usdc.balanceOf(escrow) == AMOUNT
    assert usdc.balanceOf(seller) == before - AMOUNT
    assert params[:4] == (seller.address, buyer.address, usdc.address, AMOUNT)
    assert params[6] == FEE_BPS
    assert status(escrow, escrow_id) == EscrowStatus.OPEN


def test_open_locks_ether(escrow, seller, buyer):
    _escrow_id, params = open_escrow(escrow, seller, buyer, ZERO, 10**18, value=10**18)
    assert escrow.balance == 10**18
    assert params[3] == 10**18


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"buyer": ZERO}, "EscrowInvalidBuyer"),
        ({"buyer": "seller"}, "EscrowInvalidBuyer"),
        ({"window": 60}, "EscrowInvalidWindow"),
        ({"window": 8 * 24 * 3600}, "EscrowInvalidWindow"),
        ({"amount": 0}, "EscrowInvalidAmount"),
        ({"value": 1}, "EscrowInvalidAmount"),
    ],
)
def test_open_rejects_bad_input_and_changes_nothing(escrow, usdc, seller, buyer, kwargs, error):
    args = {"buyer": buyer, "amount": AMOUNT, "window": 3600, "value": 0}
    args.update(kwargs)
    if args["buyer"] == "seller":
        args["buyer"] = seller
    with ape.reverts(getattr(escrow, error)):
        escrow.open(
            args["buyer"],
            usdc,
            args["amount"],
            b"\0" * 32,
            args["window"],
            0,
            ZERO,
            sender=seller,
            value=args["value"],
        )
    assert escrow.nextEscrowId() == 0
    assert usdc.balanceOf(escrow) == 0


def test_open_ether_requires_value_equal_to_amount(escrow, seller, buyer):
    with ape.reverts(escrow.EscrowInvalidAmount, amount=10, value=9):
        escrow.open(buyer, ZERO, 10, b"\0" * 32, 3600, 0, ZERO, sender=seller, value=9)


def test_fee_on_transfer_token_records_what_arrived(project, escrow, deployer, seller, buyer):
    taxed = deployer.deploy(project.TaxedToken)
    taxed.transfer(seller, 10**9, sender=deployer)
    taxed.approve(escrow, 10**9, sender=seller)
    escrow_id, params = open_escrow(escrow, seller, buyer, taxed, 1_000_000)
    assert params[3] == 990_000 == taxed.balanceOf(escrow)
    escrow.release(escrow_id, params, sender=seller)
    assert taxed.balanceOf(escrow) == escrow.feesAccrued(taxed)  # exactly the fee is left


def test_open_when_paused_is_refused(escrow, usdc, deployer, seller, buyer):
    escrow.pause(sender=deployer)
    with ape.reverts(escrow.EnforcedPause):
        open_escrow(escrow, seller, buyer, usdc, AMOUNT)


# ---------------------------------------------------------------- the happy path


def test_buyer_marks_paid_and_seller_releases_minus_fee(escrow, usdc, seller, buyer):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    escrow.markPaid(escrow_id, params, sender=buyer)
    assert status(escrow, escrow_id) == EscrowStatus.PAID
    receipt = escrow.release(escrow_id, params, sender=seller)
    expected = payout(AMOUNT, 10_000, FEE_BPS)
    assert usdc.balanceOf(buyer) == expected.buyer == AMOUNT - AMOUNT * FEE_BPS // 10_000
    assert escrow.feesAccrued(usdc) == expected.fee
    closed = next(e for e in receipt.events if e.event_name == "EscrowClosed")
    assert (closed.buyerAmount, closed.sellerAmount, closed.fee) == (
        expected.buyer,
        0,
        expected.fee,
    )
    assert usdc.balanceOf(escrow) == expected.fee
    assert status(escrow, escrow_id) == EscrowStatus.RELEASED


def test_nothing_pays_out_twice(escrow, usdc, seller, buyer):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    escrow.release(escrow_id, params, sender=seller)
    for call in (escrow.release, escrow.cancel):
        with ape.reverts(escrow.EscrowWrongStatus):
            call(escrow_id, params, sender=seller)
    with ape.reverts(escrow.EscrowWrongStatus):
        escrow.cancel(escrow_id, params, sender=buyer)


def test_only_the_buyer_marks_paid(escrow, usdc, seller, buyer, accounts):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    for who in (seller, accounts[9]):
        with ape.reverts(escrow.EscrowNotParty):
            escrow.markPaid(escrow_id, params, sender=who)


def test_only_the_seller_releases(escrow, usdc, seller, buyer, arbiter):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    for who in (buyer, arbiter):
        with ape.reverts(escrow.EscrowNotParty):
            escrow.release(escrow_id, params, sender=who)


def test_tampered_params_are_rejected(escrow, usdc, seller, buyer):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    forged = list(params)
    forged[3] = AMOUNT * 2
    with ape.reverts(escrow.EscrowInvalidParams, escrowId=escrow_id):
        escrow.release(escrow_id, tuple(forged), sender=seller)
    with ape.reverts(escrow.EscrowInvalidParams):
        escrow.release(escrow_id + 1, params, sender=seller)


# ------------------------------------------------------------------- timeouts


def test_mark_paid_after_the_window_is_refused(escrow, usdc, seller, buyer, chain):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    chain.pending_timestamp = params[5] + 1
    with ape.reverts(escrow.EscrowTooLate):
        escrow.markPaid(escrow_id, params, sender=buyer)


def test_seller_cancels_only_after_the_window_without_payment(escrow, usdc, seller, buyer, chain):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    with ape.reverts(escrow.EscrowTooEarly):
        escrow.cancel(escrow_id, params, sender=seller)
    before = usdc.balanceOf(seller)
    chain.pending_timestamp = params[5] + 1
    escrow.cancel(escrow_id, params, sender=seller)
    assert usdc.balanceOf(seller) == before + AMOUNT
    assert status(escrow, escrow_id) == EscrowStatus.REFUNDED


def test_seller_cannot_cancel_once_paid(escrow, usdc, seller, buyer, chain):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    escrow.markPaid(escrow_id, params, sender=buyer)
    chain.pending_timestamp = params[5] + 1
    with ape.reverts(escrow.EscrowWrongStatus):
        escrow.cancel(escrow_id, params, sender=seller)


def test_buyer_may_back_out_while_open(escrow, usdc, seller, buyer):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    before = usdc.balanceOf(seller)
    escrow.cancel(escrow_id, params, sender=buyer)
    assert usdc.balanceOf(seller) == before + AMOUNT
    assert escrow.feesAccrued(usdc) == 0


def test_stranger_cannot_cancel(escrow, usdc, seller, buyer, accounts, chain):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    chain.pending_timestamp = params[5] + 1
    with ape.reverts(escrow.EscrowNotParty):
        escrow.cancel(escrow_id, params, sender=accounts[9])


# ------------------------------------------------------------------- disputes


@pytest.fixture
def paid(escrow, usdc, seller, buyer):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    escrow.markPaid(escrow_id, params, sender=buyer)
    return escrow_id, params


def test_dispute_only_after_the_waiting_period_and_only_by_parties(
    escrow, paid, seller, buyer, accounts, chain
):
    escrow_id, params = paid
    with ape.reverts(escrow.EscrowTooEarly):
        escrow.openDispute(escrow_id, params, sender=buyer)
    chain.pending_timestamp += DISPUTE_DELAY + 1
    with ape.reverts(escrow.EscrowNotParty):
        escrow.openDispute(escrow_id, params, sender=accounts[9])
    escrow.openDispute(escrow_id, params, sender=seller)
    assert status(escrow, escrow_id) == EscrowStatus.DISPUTED


def test_dispute_needs_paid_status(escrow, usdc, seller, buyer, chain):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    chain.pending_timestamp += DISPUTE_DELAY + 1
    with ape.reverts(escrow.EscrowWrongStatus):
        escrow.openDispute(escrow_id, params, sender=buyer)


@pytest.fixture
def disputed(escrow, paid, buyer, chain):
    escrow_id, params = paid
    chain.pending_timestamp += DISPUTE_DELAY + 1
    escrow.openDispute(escrow_id, params, sender=buyer)
    return escrow_id, params


def test_arbiter_rules_a_split(escrow, usdc, disputed, seller, buyer, arbiter):
    escrow_id, params = disputed
    seller_before = usdc.balanceOf(seller)
    escrow.resolve(escrow_id, params, 6_000, sender=arbiter)
    expected = payout(AMOUNT, 6_000, FEE_BPS)
    assert usdc.balanceOf(buyer) == expected.buyer
    assert usdc.balanceOf(seller) == seller_before + expected.seller
    assert escrow.feesAccrued(usdc) == expected.fee
    assert expected.buyer + expected.seller + expected.fee == AMOUNT
    assert status(escrow, escrow_id) == EscrowStatus.RESOLVED


@pytest.mark.parametrize("bps", [0, 10_000])
def test_arbiter_rules_all_to_one_side(escrow, usdc, disputed, seller, buyer, arbiter, bps):
    escrow_id, params = disputed
    seller_before = usdc.balanceOf(seller)
    escrow.resolve(escrow_id, params, bps, sender=arbiter)
    expected = payout(AMOUNT, bps, FEE_BPS)
    assert usdc.balanceOf(buyer) == expected.buyer
    assert usdc.balanceOf(seller) - seller_before == expected.seller


def test_parties_and_strangers_cannot_rule(escrow, disputed, seller, buyer, accounts):
    escrow_id, params = disputed
    for who in (seller, buyer, accounts[9]):
        with ape.reverts(escrow.EscrowNotParty):
            escrow.resolve(escrow_id, params, 10_000, sender=who)


def test_ruling_above_100_percent_is_refused(escrow, disputed, arbiter):
    escrow_id, params = disputed
    with ape.reverts(escrow.EscrowInvalidBps, bps=10_001):
        escrow.resolve(escrow_id, params, 10_001, sender=arbiter)


def test_named_arbiter_replaces_the_role(escrow, usdc, seller, buyer, arbiter, accounts, chain):
    named = accounts[6]
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT, arbiter=named)
    escrow.markPaid(escrow_id, params, sender=buyer)
    chain.pending_timestamp += DISPUTE_DELAY + 1
    escrow.openDispute(escrow_id, params, sender=buyer)
    with ape.reverts(escrow.EscrowNotParty):
        escrow.resolve(escrow_id, params, 5_000, sender=arbiter)
    escrow.resolve(escrow_id, params, 5_000, sender=named)


def test_no_ruling_in_time_refunds_the_seller(
    escrow, usdc, disputed, seller, arbiter, accounts, chain
):
    escrow_id, params = disputed
    with ape.reverts(escrow.EscrowTooEarly):
        escrow.claimFallback(escrow_id, params, sender=accounts[9])
    chain.pending_timestamp += ARBITRATION_PERIOD + 2
    with ape.reverts(escrow.EscrowTooLate):
        escrow.resolve(escrow_id, params, 10_000, sender=arbiter)
    before = usdc.balanceOf(seller)
    escrow.claimFallback(escrow_id, params, sender=accounts[9])
    assert usdc.balanceOf(seller) == before + AMOUNT
    assert status(escrow, escrow_id) == EscrowStatus.REFUNDED


def test_seller_may_still_release_during_a_dispute(escrow, usdc, disputed, seller, buyer):
    escrow_id, params = disputed
    escrow.release(escrow_id, params, sender=seller)
    assert usdc.balanceOf(buyer) == payout(AMOUNT, 10_000, FEE_BPS).buyer


# --------------------------------------------------------- signed settlements


def _settlement(escrow, chain, escrow_id, bps, deadline=None, chain_id=None, address=None):
    return settlement_typed_data(
        escrow=address or escrow.address,
        chain_id=chain_id or chain.chain_id,
        escrow_id=escrow_id,
        buyer_bps=bps,
        deadline=deadline or chain.pending_timestamp + 3600,
    )


def test_both_parties_settle_on_a_signed_split(
    escrow, usdc, disputed, seller, buyer, accounts, chain
):
    escrow_id, params = disputed
    typed = _settlement(escrow, chain, escrow_id, 2_500)
    settlement = (escrow_id, 2_500, typed["message"]["deadline"])
    escrow.settle(params, settlement, sign(seller, typed), sign(buyer, typed), sender=accounts[9])
    assert usdc.balanceOf(buyer) == payout(AMOUNT, 2_500, FEE_BPS).buyer
    with ape.reverts(escrow.EscrowWrongStatus):
        escrow.settle(
            params, settlement, sign(seller, typed), sign(buyer, typed), sender=accounts[9]
        )


def test_settlement_needs_both_signatures(escrow, paid, seller, buyer, accounts, chain):
    escrow_id, params = paid
    typed = _settlement(escrow, chain, escrow_id, 10_000)
    settlement = (escrow_id, 10_000, typed["message"]["deadline"])
    with ape.reverts(escrow.EscrowInvalidSignature, expectedSigner=seller.address):
        escrow.settle(params, settlement, sign(buyer, typed), sign(buyer, typed), sender=buyer)


@pytest.mark.parametrize("where", ["chain", "contract"])
def test_settlement_signed_for_another_chain_or_deployment_is_refused(
    escrow, paid, seller, buyer, chain, where
):
    escrow_id, params = paid
    other = {"chain_id": chain.chain_id + 1} if where == "chain" else {"address": buyer.address}
    typed = _settlement(escrow, chain, escrow_id, 10_000, **other)
    settlement = (escrow_id, 10_000, typed["message"]["deadline"])
    with ape.reverts(escrow.EscrowInvalidSignature):
        escrow.settle(params, settlement, sign(seller, typed), sign(buyer, typed), sender=buyer)


# --------------------------------------------------------- gasless instructions


def _instruction(escrow, chain, escrow_id, action, deadline=None):
    typed = instruction_typed_data(
        escrow=escrow.address,
        chain_id=chain.chain_id,
        escrow_id=escrow_id,
        action=action,
        deadline=deadline or chain.pending_timestamp + 3600,
    )
    return typed, (escrow_id, int(action), typed["message"]["deadline"])


def test_relayer_submits_signed_mark_paid_and_release(escrow, usdc, seller, buyer, accounts, chain):
    relayer = accounts[9]
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    typed, instruction = _instruction(escrow, chain, escrow_id, Action.MARK_PAID)
    escrow.execute(params, instruction, sign(buyer, typed), sender=relayer)
    assert status(escrow, escrow_id) == EscrowStatus.PAID
    with ape.reverts(escrow.EscrowInstructionUsed):
        escrow.execute(params, instruction, sign(buyer, typed), sender=relayer)
    typed, instruction = _instruction(escrow, chain, escrow_id, Action.RELEASE)
    escrow.execute(params, instruction, sign(seller, typed), sender=relayer)
    assert usdc.balanceOf(buyer) == payout(AMOUNT, 10_000, FEE_BPS).buyer


def test_instruction_signed_by_the_wrong_party_is_refused(
    escrow, usdc, seller, buyer, accounts, chain
):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    typed, instruction = _instruction(escrow, chain, escrow_id, Action.RELEASE)
    with ape.reverts(escrow.EscrowInvalidSignature, expectedSigner=seller.address):
        escrow.execute(params, instruction, sign(buyer, typed), sender=accounts[9])
    typed, instruction = _instruction(escrow, chain, escrow_id, Action.CANCEL)
    with ape.reverts(escrow.EscrowInvalidSignature):
        escrow.execute(params, instruction, sign(accounts[9], typed), sender=accounts[9])


def test_signed_cancel_follows_the_same_rules(escrow, usdc, seller, buyer, accounts, chain):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    typed, instruction = _instruction(escrow, chain, escrow_id, Action.CANCEL)
    with ape.reverts(escrow.EscrowTooEarly):  # the seller, inside the payment window
        escrow.execute(params, instruction, sign(seller, typed), sender=accounts[9])
    escrow.execute(params, instruction, sign(buyer, typed), sender=accounts[9])
    assert status(escrow, escrow_id) == EscrowStatus.REFUNDED


def test_expired_instruction_and_unknown_action_are_refused(
    escrow, usdc, seller, buyer, accounts, chain
):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    deadline = chain.pending_timestamp + 10
    typed, instruction = _instruction(escrow, chain, escrow_id, Action.MARK_PAID, deadline=deadline)
    chain.pending_timestamp = deadline + 1
    with ape.reverts(escrow.EscrowTooLate):
        escrow.execute(params, instruction, sign(buyer, typed), sender=accounts[9])
    typed = instruction_typed_data(
        escrow=escrow.address,
        chain_id=chain.chain_id,
        escrow_id=escrow_id,
        action=Action.MARK_PAID,
        deadline=deadline + 3600,
    )
    typed["message"]["action"] = 9
    with ape.reverts(escrow.EscrowUnknownAction, action=9):
        escrow.execute(
            params, (escrow_id, 9, deadline + 3600), sign(buyer, typed), sender=accounts[9]
        )


def test_gasless_paths_stop_when_paused_but_direct_paths_do_not(
    escrow, usdc, deployer, seller, buyer, accounts, chain
):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    escrow.pause(sender=deployer)
    typed, instruction = _instruction(escrow, chain, escrow_id, Action.MARK_PAID)
    with ape.reverts(escrow.EnforcedPause):
        escrow.execute(params, instruction, sign(buyer, typed), sender=accounts[9])
    escrow.markPaid(escrow_id, params, sender=buyer)
    escrow.release(escrow_id, params, sender=seller)  # a pause never traps funds
    assert status(escrow, escrow_id) == EscrowStatus.RELEASED


def test_multisig_custody_wallet_is_a_party_through_eip1271(
    project, escrow, usdc, deployer, buyer, accounts, chain
):
    from offchain.custody.multisig import (
        MultisigTransaction,
        Operation,
        ecdsa,
        message_typed_data,
        pack_signatures,
        transaction_typed_data,
    )

    owners = sorted([accounts[6], accounts[7]], key=lambda a: int(a.address, 16))
    factory = deployer.deploy(project.MultisigFactory)
    wallet = project.MultisigWallet.at(
        factory.createWallet([o.address for o in owners], 2, 0, sender=deployer).events[-1].wallet
    )
    usdc.mint(wallet, AMOUNT, sender=deployer)

    def run(target, data):
        tx = MultisigTransaction(
            wallet=wallet.address,
            chain_id=chain.chain_id,
            to=str(target),
            value=0,
            data=bytes(data),
            operation=Operation.CALL,
            nonce=wallet.call_view_method("nonce"),
        )
        typed = transaction_typed_data(tx)
        sigs = pack_signatures([ecdsa(o.address, sign(o, typed)) for o in owners])
        return wallet.execTransaction(tx.to, 0, tx.data, 0, sigs, sender=accounts[9])

    run(usdc, usdc.approve.encode_input(escrow, AMOUNT))
    receipt = run(escrow, escrow.open.encode_input(buyer, usdc, AMOUNT, b"\1" * 32, 3600, 0, ZERO))
    escrow_id, params = params_from(receipt)
    assert params[0] == wallet.address
    # The wallet "signs" a gasless release: its owners sign the EIP-1271 message.
    _typed, instruction = _instruction(escrow, chain, escrow_id, Action.RELEASE)
    digest = escrow.hashInstruction(instruction)
    wallet_sig = pack_signatures(
        [
            ecdsa(
                o.address,
                sign(o, message_typed_data(wallet.address, chain.chain_id, bytes(digest))),
            )
            for o in owners
        ]
    )
    escrow.execute(params, instruction, wallet_sig, sender=accounts[9])
    assert usdc.balanceOf(buyer) == payout(AMOUNT, 10_000, FEE_BPS).buyer


# --------------------------------------------------- hostile counterparties


def test_reverting_ether_recipient_cannot_block_the_other_party(
    project, escrow, deployer, seller, arbiter, chain
):
    rejecter = deployer.deploy(project.EtherRejecter)  # the buyer: a contract that refuses ETH
    escrow_id, params = open_escrow(escrow, seller, rejecter, ZERO, 10**18, value=10**18)
    rejecter.forward(escrow, escrow.markPaid.encode_input(escrow_id, params), sender=deployer)
    chain.pending_timestamp += DISPUTE_DELAY + 1
    rejecter.forward(escrow, escrow.openDispute.encode_input(escrow_id, params), sender=deployer)
    seller_before = seller.balance

    # A 50/50 ruling: the seller's half arrives although the push to the buyer reverts.
    receipt = escrow.resolve(escrow_id, params, 5_000, sender=arbiter)
    expected = payout(10**18, 5_000, FEE_BPS)
    assert seller.balance == seller_before + expected.seller
    assert escrow.owed(ZERO, rejecter) == expected.buyer
    assert any(e.event_name == "PayoutDeferred" for e in receipt.events)

    # The buyer collects later, once it accepts ETH; only once.
    rejecter.setRejectEther(False, sender=deployer)
    rejecter.forward(escrow, escrow.withdrawOwed.encode_input(ZERO), sender=deployer)
    assert rejecter.balance == expected.buyer
    assert escrow.owed(ZERO, rejecter) == 0
    with ape.reverts(escrow.EscrowNothingOwed):
        rejecter.forward(escrow, escrow.withdrawOwed.encode_input(ZERO), sender=deployer)


def test_blocklisted_buyer_payout_is_deferred_not_lost(project, escrow, deployer, seller, buyer):
    token = deployer.deploy(project.BlocklistToken)
    token.transfer(seller, AMOUNT, sender=deployer)
    token.approve(escrow, AMOUNT, sender=seller)
    escrow_id, params = open_escrow(escrow, seller, buyer, token, AMOUNT)
    token.setBlocked(buyer, True, sender=deployer)
    escrow.release(escrow_id, params, sender=seller)
    assert status(escrow, escrow_id) == EscrowStatus.RELEASED
    assert escrow.owed(token, buyer) == payout(AMOUNT, 10_000, FEE_BPS).buyer
    token.setBlocked(buyer, False, sender=deployer)
    escrow.withdrawOwed(token, sender=buyer)
    assert token.balanceOf(buyer) == payout(AMOUNT, 10_000, FEE_BPS).buyer


def test_reentrancy_from_a_token_callback_is_refused(project, escrow, deployer, seller, buyer):
    token = deployer.deploy(project.HookToken)
    token.transfer(seller, AMOUNT * 2, sender=deployer)
    token.approve(escrow, AMOUNT * 2, sender=seller)
    first_id, first = open_escrow(escrow, seller, buyer, token, AMOUNT)
    second_id, second = open_escrow(escrow, seller, buyer, token, AMOUNT)
    # During the payout of `first`, the token tries to release `second` as well.
    token.setHook(escrow, escrow.release.encode_input(second_id, second), sender=deployer)
    escrow.release(first_id, first, sender=seller)
    assert token.hookCalled() and not token.hookSucceeded()
    assert bytes(token.hookResult())[:4] == bytes.fromhex(
        "3ee5aeb5"
    )  # ReentrancyGuardReentrantCall()
    assert status(escrow, second_id) == EscrowStatus.OPEN
    assert token.balanceOf(buyer) == payout(AMOUNT, 10_000, FEE_BPS).buyer


# ------------------------------------------------------------------------ fees


def test_fee_changes_apply_to_new_escrows_only(escrow, usdc, deployer, seller, buyer):
    old_id, old = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    escrow.setFeeBps(100, sender=deployer)
    new_id, new = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    assert (old[6], new[6]) == (FEE_BPS, 100)
    escrow.release(old_id, old, sender=seller)
    escrow.release(new_id, new, sender=seller)
    assert escrow.feesAccrued(usdc) == AMOUNT * FEE_BPS // 10_000 + AMOUNT * 100 // 10_000


def test_fee_is_capped_and_admin_only(escrow, deployer, seller):
    with ape.reverts(escrow.EscrowFeeTooHigh, feeBps=201, maxFeeBps=200):
        escrow.setFeeBps(201, sender=deployer)
    with ape.reverts(escrow.AccessControlUnauthorizedAccount):
        escrow.setFeeBps(10, sender=seller)


def test_fees_are_withdrawn_by_the_fee_manager(escrow, usdc, deployer, seller, buyer, accounts):
    escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT)
    escrow.release(escrow_id, params, sender=seller)
    fee = escrow.feesAccrued(usdc)
    with ape.reverts(escrow.AccessControlUnauthorizedAccount):
        escrow.withdrawFees(usdc, seller, sender=seller)
    escrow.withdrawFees(usdc, accounts[9], sender=deployer)
    assert usdc.balanceOf(accounts[9]) == fee and escrow.feesAccrued(usdc) == 0
    assert usdc.balanceOf(escrow) == 0


# ------------------------------------------------------------------------- KYC


def test_kyc_level_is_required_of_both_parties(escrow, kyc, usdc, deployer, seller, buyer, chain):
    expiry = chain.pending_timestamp + 30 * 24 * 3600
    with ape.reverts(escrow.EscrowKYCRequired, account=seller.address, level=2):
        open_escrow(escrow, seller, buyer, usdc, AMOUNT, kyc_level=2)
    kyc.attest(seller, 2, expiry, sender=deployer)
    with ape.reverts(escrow.EscrowKYCRequired, account=buyer.address, level=2):
        open_escrow(escrow, seller, buyer, usdc, AMOUNT, kyc_level=2)
    kyc.attest(buyer, 1, expiry, sender=deployer)
    with ape.reverts(escrow.EscrowKYCRequired, account=buyer.address, level=2):
        open_escrow(escrow, seller, buyer, usdc, AMOUNT, kyc_level=2)
    kyc.attest(buyer, 2, expiry, sender=deployer)
    _escrow_id, params = open_escrow(escrow, seller, buyer, usdc, AMOUNT, kyc_level=2)
    assert params[7] == 2
    chain.pending_timestamp = expiry + 1  # lapsed attestations stop new escrows
    with ape.reverts(escrow.EscrowKYCRequired):
        open_escrow(escrow, seller, buyer, usdc, AMOUNT, kyc_level=2)


# ------------------------------------------------------------ conservation (Hypothesis)


class EscrowConservation(RuleBasedStateMachine):
    """Random opens, payments, releases, cancels, disputes and rulings over several escrows:
    the escrow's token balance always equals what open escrows hold plus fees plus owed payouts,
    and every escrow pays out exactly its amount, once."""

    ctx: ClassVar[dict] = {}

    @initialize()
    def start(self):
        c = type(self).ctx
        self.escrows = []  # (id, params, closed)
        self.paid_out = 0
        self.base_balance = c["usdc"].balanceOf(c["escrow"])
        self.base_fees = c["escrow"].feesAccrued(c["usdc"])

    @rule(amount=st.integers(1, 10**9))
    def open(self, amount):
        c = type(self).ctx
        escrow_id, params = open_escrow(c["escrow"], c["seller"], c["buyer"], c["usdc"], amount)
        self.escrows.append([escrow_id, params, False])

    def _pick(self, index):
        live = [e for e in self.escrows if not e[2]]
        return live[index % len(live)] if live else None

    @precondition(lambda self: any(not e[2] for e in self.escrows))
    @rule(
        index=st.integers(0, 50),
        action=st.sampled_from(["paid", "release", "cancel", "dispute", "rule"]),
        bps=st.integers(0, 10_000),
    )
    def act(self, index, action, bps):
        c = type(self).ctx
        entry = self._pick(index)
        escrow_id, params, _ = entry
        e = c["escrow"]
        try:
            if action == "paid":
                e.markPaid(escrow_id, params, sender=c["buyer"])
            elif action == "release":
                e.release(escrow_id, params, sender=c["seller"])
            elif action == "cancel":
                e.cancel(escrow_id, params, sender=c["buyer"])
            elif action == "dispute":
                c["chain"].pending_timestamp += DISPUTE_DELAY + 1
                e.openDispute(escrow_id, params, sender=c["buyer"])
            else:
                e.resolve(escrow_id, params, bps, sender=c["arbiter"])
        except Exception:
            return  # an illegal move for the current state: nothing may have changed
        entry[2] = EscrowStatus(e.statusOf(escrow_id)[0]) in (
            EscrowStatus.RELEASED,
            EscrowStatus.REFUNDED,
            EscrowStatus.RESOLVED,
        )

    @invariant()
    def balance_equals_open_amounts_plus_fees_plus_owed(self):
        c = type(self).ctx
        held = sum(p[3] for _, p, closed in self.escrows if not closed)
        fees = c["escrow"].feesAccrued(c["usdc"]) - self.base_fees
        owed = c["escrow"].owed(c["usdc"], c["buyer"]) + c["escrow"].owed(c["usdc"], c["seller"])
        assert c["usdc"].balanceOf(c["escrow"]) - self.base_balance == held + fees + owed


@pytest.mark.stateful
def test_escrow_conservation(escrow, usdc, seller, buyer, arbiter, chain):
    EscrowConservation.ctx = {
        "escrow": escrow,
        "usdc": usdc,
        "seller": seller,
        "buyer": buyer,
        "arbiter": arbiter,
        "chain": chain,
    }
    runner = EscrowConservation.TestCase
    runner.settings = settings(
        max_examples=8,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    runner().runTest()
