import ape
import pytest
from eth_utils import to_checksum_address

from offchain.bridge.messages import (
    MessageKind,
    message_id,
    message_typed_data,
    pack_signatures,
    rotation_typed_data,
)
from tests.contracts.bridge.conftest import (
    CAP,
    GRACE_PERIOD,
    REMOTE_BRIDGE,
    REMOTE_CHAIN_ID,
    REMOTE_TOKEN,
    WINDOW,
    Validators,
    deploy_bridge,
    validator_keys,
)
from tigerex.eip712 import SECP256K1_N, sign_typed_data, typed_data_digest

ZERO = "0x0000000000000000000000000000000000000000"


def event(receipt, name):
    """The one event ``name`` of a receipt (token Transfer events sit around it)."""
    (found,) = [e for e in receipt.events if e.event_name == name]
    return found


def claim(bridge, validators, message, sender, signers=None):
    return bridge.claim(message.as_tuple(), validators.sign(message, signers), sender=sender)


# ------------------------------------------------------------------------------ destination: mint


def test_claim_with_three_of_five_mints_the_bridged_token(
    bridge, wrapped, validators, make_message, relayer, alice
):
    message = make_message()
    receipt = claim(bridge, validators, message, relayer)
    assert wrapped.balanceOf(alice) == 5 * 10**18
    assert wrapped.totalSupply() == 5 * 10**18
    assert bridge.isClaimed(REMOTE_CHAIN_ID, REMOTE_BRIDGE, 0)
    claimed = event(receipt, "Claimed")
    assert bytes(claimed.messageId) == message.message_id
    assert (claimed.localToken, claimed.recipient, claimed.amount) == (
        wrapped.address,
        alice,
        5 * 10**18,
    )


def test_python_digest_equals_the_contract_digest(bridge, make_message):
    message = make_message(nonce=41, amount=123)
    contract_digest = bytes(bridge.hashMessage(message.as_tuple()))
    assert contract_digest == typed_data_digest(message_typed_data(message))
    assert bytes(bridge.messageId(REMOTE_CHAIN_ID, REMOTE_BRIDGE, 41)) == message_id(
        REMOTE_CHAIN_ID, REMOTE_BRIDGE, 41
    )


def test_bridged_token_records_its_origin_and_only_the_bridge_mints(wrapped, bridge, alice):
    assert wrapped.originChainId() == REMOTE_CHAIN_ID
    assert wrapped.originToken() == REMOTE_TOKEN
    assert wrapped.bridge() == bridge.address
    assert wrapped.decimals() == 18
    assert bridge.bridgedToken(REMOTE_CHAIN_ID, REMOTE_TOKEN) == wrapped.address
    with ape.reverts(wrapped.BridgedTokenOnlyBridge, caller=alice.address):
        wrapped.mint(alice, 1, sender=alice)


def test_a_second_bridged_token_for_the_same_origin_is_refused(bridge, wrapped, deployer):
    with ape.reverts(bridge.BridgeTokenExists):
        bridge.createBridgedToken(REMOTE_CHAIN_ID, REMOTE_TOKEN, "X", "X", 18, sender=deployer)


def test_replay_of_a_claimed_message_is_refused(
    bridge, wrapped, validators, make_message, relayer, alice
):
    message = make_message()
    signatures = validators.sign(message)
    bridge.claim(message.as_tuple(), signatures, sender=relayer)
    with ape.reverts(bridge.BridgeAlreadyClaimed, messageId=message.message_id):
        bridge.claim(message.as_tuple(), signatures, sender=relayer)
    # Signed again under another epoch field or by another quorum: still the same message id.
    with ape.reverts(bridge.BridgeAlreadyClaimed):
        claim(bridge, validators, message, relayer, signers=validators.keys[2:])
    assert wrapped.balanceOf(alice) == 5 * 10**18


def test_claims_of_neighbouring_nonces_are_independent(
    bridge, wrapped, validators, make_message, relayer
):
    for nonce in (255, 256, 0):
        claim(bridge, validators, make_message(nonce=nonce, amount=1), relayer)
    assert [bridge.isClaimed(REMOTE_CHAIN_ID, REMOTE_BRIDGE, n) for n in (0, 1, 255, 256, 257)] == [
        True,
        False,
        True,
        True,
        False,
    ]
    assert wrapped.totalSupply() == 3


def test_a_message_signed_for_one_deployment_does_not_replay_on_a_second(
    project, bridge, deployer, guardian, validators, make_message, relayer
):
    twin = deploy_bridge(project, deployer, guardian, validators)
    twin.setRemoteBridge(REMOTE_CHAIN_ID, REMOTE_BRIDGE, sender=deployer)
    receipt = twin.createBridgedToken(REMOTE_CHAIN_ID, REMOTE_TOKEN, "B", "B", 18, sender=deployer)
    twin.setTokenLimit(receipt.events[-1].bridgedToken, CAP, sender=deployer)
    message = make_message()  # signed for `bridge`'s domain
    signatures = validators.sign(message)
    with ape.reverts(twin.BridgeNotValidator):
        twin.claim(message.as_tuple(), signatures, sender=relayer)
    assert not twin.isClaimed(REMOTE_CHAIN_ID, REMOTE_BRIDGE, 0)
    bridge.claim(message.as_tuple(), signatures, sender=relayer)  # where it belongs, it works


def test_forged_signature_of_an_outsider_is_refused(bridge, validators, make_message, relayer):
    outsider = validator_keys("outsider", 1)[0]
    signers = sorted([*validators.keys[:2], outsider], key=lambda k: int(k.address, 16))
    with ape.reverts(bridge.BridgeNotValidator, signer=outsider.address, epoch=1):
        claim(bridge, validators, make_message(), relayer, signers=signers)


def test_signatures_over_different_contents_are_refused(
    bridge, validators, make_message, relayer, wrapped
):
    signed = make_message(amount=1)
    forged = make_message(amount=10**24)
    with ape.reverts(bridge.BridgeNotValidator):
        bridge.claim(forged.as_tuple(), validators.sign(signed), sender=relayer)
    assert wrapped.totalSupply() == 0


def test_duplicated_signature_is_refused(bridge, validators, make_message, relayer):
    message = make_message()
    one = validators.sign(message, validators.keys[:1])
    two = validators.sign(message, validators.keys[1:2])
    with ape.reverts(bridge.BridgeSignersNotSorted):
        bridge.claim(message.as_tuple(), one + one + two, sender=relayer)


def test_unsorted_signatures_are_refused(bridge, validators, make_message, relayer):
    message = make_message()
    parts = [validators.sign(message, [k]) for k in validators.keys[:3]]
    with ape.reverts(bridge.BridgeSignersNotSorted):
        bridge.claim(message.as_tuple(), parts[1] + parts[0] + parts[2], sender=relayer)


def test_below_quorum_is_refused(bridge, validators, make_message, relayer):
    with ape.reverts(bridge.BridgeNotEnoughSignatures, given=2, threshold=3):
        claim(bridge, validators, make_message(), relayer, signers=validators.keys[:2])
    with ape.reverts(bridge.BridgeNotEnoughSignatures, given=0, threshold=3):
        bridge.claim(make_message().as_tuple(), b"", sender=relayer)


def test_more_than_a_quorum_is_accepted(bridge, wrapped, validators, make_message, relayer):
    claim(bridge, validators, make_message(), relayer, signers=validators.keys)
    assert wrapped.totalSupply() == 5 * 10**18


def test_truncated_signatures_are_refused(bridge, validators, make_message, relayer):
    signatures = validators.sign(make_message())
    with ape.reverts(bridge.BridgeMalformedSignatures, length=len(signatures) - 1):
        bridge.claim(make_message().as_tuple(), signatures[:-1], sender=relayer)


def test_malleated_high_s_signature_is_refused(bridge, validators, make_message, relayer):
    message = make_message()
    typed = message_typed_data(message)
    good = [sign_typed_data(typed, k.key) for k in validators.keys[:3]]
    r, s, v = good[0][:32], int.from_bytes(good[0][32:64], "big"), good[0][64]
    malleated = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    with ape.reverts(bridge.ECDSAInvalidSignatureS):
        bridge.claim(message.as_tuple(), malleated + good[1] + good[2], sender=relayer)


def test_message_for_another_destination_chain_is_refused(
    bridge, validators, make_message, relayer, chain
):
    message = make_message(dst_chain_id=chain.chain_id + 1)
    with ape.reverts(
        bridge.BridgeWrongDestinationChain, dstChainId=chain.chain_id + 1, chainId=chain.chain_id
    ):
        claim(bridge, validators, message, relayer)


def test_signatures_under_another_chain_ids_domain_are_refused(
    bridge, validators, make_message, relayer, chain
):
    signed = make_message(dst_chain_id=chain.chain_id + 1)  # domain and field of another chain
    submitted = make_message()
    with ape.reverts(bridge.BridgeNotValidator):
        bridge.claim(submitted.as_tuple(), validators.sign(signed), sender=relayer)


@pytest.mark.parametrize(
    "overrides",
    [
        {"src_bridge": to_checksum_address("0x" + "11" * 20)},  # impostor on a known chain
        {"src_chain_id": 778},  # a chain with no registered bridge (zero never matches)
        {"src_chain_id": 778, "src_bridge": ZERO},
    ],
)
def test_unknown_source_bridge_is_refused(bridge, validators, make_message, relayer, overrides):
    message = make_message(**overrides)
    with ape.reverts(bridge.BridgeUnknownSourceBridge):
        claim(bridge, validators, message, relayer)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"token": ZERO}, "BridgeZeroToken"),
        ({"recipient": ZERO}, "BridgeZeroRecipient"),
        ({"amount": 0}, "BridgeZeroAmount"),
    ],
)
def test_zero_fields_are_refused(bridge, validators, make_message, relayer, overrides, error):
    with ape.reverts(getattr(bridge, error)):
        claim(bridge, validators, make_message(**overrides), relayer)


def test_lock_message_for_a_token_without_a_bridged_token_is_refused(
    bridge, validators, make_message, relayer
):
    other = to_checksum_address("0x" + "22" * 20)
    with ape.reverts(bridge.BridgeUnknownToken, originChainId=REMOTE_CHAIN_ID, originToken=other):
        claim(bridge, validators, make_message(token=other), relayer)


def test_an_unknown_epoch_is_refused(bridge, validators, make_message, relayer):
    for epoch in (0, 2, 2**256 - 1):
        with ape.reverts(bridge.BridgeEpochExpired, epoch=epoch, currentEpoch=1):
            claim(bridge, validators, make_message(epoch=epoch), relayer)


# ------------------------------------------------------------------------ source: lock, release


def test_lock_credits_and_emits_a_deposit(bridge, token, alice, bob, chain):
    receipt = bridge.lock(token, 1_000_000, REMOTE_CHAIN_ID, bob, sender=alice)
    deposit = event(receipt, "Deposit")
    assert (deposit.nonce, deposit.srcChainId, deposit.dstChainId) == (
        0,
        chain.chain_id,
        REMOTE_CHAIN_ID,
    )
    assert (deposit.token, deposit.sender, deposit.recipient, deposit.amount) == (
        token.address,
        alice.address,
        bob.address,
        1_000_000,
    )
    assert bytes(deposit.messageId) == message_id(chain.chain_id, bridge.address, 0)
    assert bridge.locked(token, REMOTE_CHAIN_ID) == 1_000_000
    assert token.balanceOf(bridge) == 1_000_000
    second = event(bridge.lock(token, 5, REMOTE_CHAIN_ID, bob, sender=alice), "Deposit")
    assert second.nonce == 1 and bridge.nextNonce() == 2


def test_lock_of_a_fee_on_transfer_token_credits_what_arrived(
    project, bridge, deployer, alice, bob
):
    fee_token = deployer.deploy(project.FeeOnTransferToken, 100)  # 1% burned per transfer
    fee_token.mint(alice, 10**6, sender=deployer)
    fee_token.approve(bridge, 2**256 - 1, sender=alice)
    bridge.setTokenLimit(fee_token, CAP, sender=deployer)
    deposit = event(bridge.lock(fee_token, 10_000, REMOTE_CHAIN_ID, bob, sender=alice), "Deposit")
    assert deposit.amount == 9_900
    assert bridge.locked(fee_token, REMOTE_CHAIN_ID) == 9_900 == fee_token.balanceOf(bridge)


def test_lock_cannot_be_reentered_from_a_token_callback(project, bridge, deployer, alice, bob):
    hostile = deployer.deploy(project.ReentrantToken)
    hostile.mint(alice, 10**6, sender=deployer)
    hostile.approve(bridge, 2**256 - 1, sender=alice)
    bridge.setTokenLimit(hostile, CAP, sender=deployer)
    hostile.arm(bridge, bridge.lock.encode_input(hostile, 1, REMOTE_CHAIN_ID, bob), sender=alice)
    bridge.lock(hostile, 1_000, REMOTE_CHAIN_ID, bob, sender=alice)
    assert hostile.attempted() and not hostile.reentered()
    assert bridge.locked(hostile, REMOTE_CHAIN_ID) == 1_000 and bridge.nextNonce() == 1


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((ZERO, 1, REMOTE_CHAIN_ID, "bob"), "BridgeZeroToken"),
        (("token", 1, REMOTE_CHAIN_ID, ZERO), "BridgeZeroRecipient"),
        (("token", 0, REMOTE_CHAIN_ID, "bob"), "BridgeZeroAmount"),
        (("token", 1, 778, "bob"), "BridgeUnknownChain"),
        (("wrapped", 1, REMOTE_CHAIN_ID, "bob"), "BridgeBridgedTokenNotLockable"),
        (("unlisted", 1, REMOTE_CHAIN_ID, "bob"), "BridgeTokenNotListed"),
    ],
)
def test_invalid_locks_are_refused(
    project, bridge, token, wrapped, deployer, alice, bob, args, error
):
    unlisted = deployer.deploy(project.TestToken, "U", "U", 6, deployer)
    names = {"token": token, "wrapped": wrapped, "bob": bob, "unlisted": unlisted}
    resolved = [names.get(a, a) if isinstance(a, str) else a for a in args]
    with ape.reverts(getattr(bridge, error)):
        bridge.lock(*resolved, sender=alice)
    assert bridge.nextNonce() == 0


def test_burn_message_releases_what_was_locked(
    bridge, token, validators, make_message, alice, bob, relayer
):
    bridge.lock(token, 1_000_000, REMOTE_CHAIN_ID, bob, sender=alice)
    release = make_message(
        kind=MessageKind.BURN, token=token.address, recipient=bob.address, amount=400_000
    )
    receipt = claim(bridge, validators, release, relayer)
    assert token.balanceOf(bob) == 400_000
    assert bridge.locked(token, REMOTE_CHAIN_ID) == 600_000
    assert event(receipt, "Claimed").localToken == token.address


def test_release_beyond_what_was_locked_for_that_chain_is_refused(
    bridge, token, validators, make_message, alice, bob, relayer
):
    bridge.lock(token, 1_000, REMOTE_CHAIN_ID, bob, sender=alice)
    too_much = make_message(kind=MessageKind.BURN, token=token.address, amount=1_001)
    with ape.reverts(
        bridge.BridgeInsufficientLocked,
        token=token.address,
        srcChainId=REMOTE_CHAIN_ID,
        locked=1_000,
        amount=1_001,
    ):
        claim(bridge, validators, too_much, relayer)
    assert token.balanceOf(bridge) == 1_000


def test_burn_of_a_bridged_token_emits_burned_for_the_origin(
    bridge, wrapped, validators, make_message, relayer, alice, bob, chain
):
    claim(bridge, validators, make_message(), relayer)
    receipt = bridge.burn(wrapped, 2 * 10**18, bob, sender=alice)
    burned = event(receipt, "Burned")
    assert (burned.srcChainId, burned.dstChainId, burned.token) == (
        chain.chain_id,
        REMOTE_CHAIN_ID,
        REMOTE_TOKEN,
    )
    assert (burned.sender, burned.recipient, burned.amount, burned.nonce) == (
        alice,
        bob,
        2 * 10**18,
        0,
    )
    assert wrapped.balanceOf(alice) == 3 * 10**18 and wrapped.totalSupply() == 3 * 10**18


def test_burn_of_more_than_the_balance_or_of_a_native_token_is_refused(
    bridge, wrapped, token, alice, bob
):
    with ape.reverts(wrapped.ERC20InsufficientBalance):
        bridge.burn(wrapped, 1, bob, sender=alice)
    with ape.reverts(bridge.BridgeNotBridgedToken, token=token.address):
        bridge.burn(token, 1, bob, sender=alice)
    assert bridge.nextNonce() == 0


# ------------------------------------------------------------------------------ caps and pause


def test_cap_per_window_limits_minting_and_resets_in_the_next_window(
    bridge, wrapped, validators, make_message, relayer, deployer, chain
):
    bridge.setTokenLimit(wrapped, 10**19, sender=deployer)
    now = chain.pending_timestamp
    chain.pending_timestamp = (now // WINDOW + 1) * WINDOW + 10  # the start of a fresh window
    claim(bridge, validators, make_message(nonce=0, amount=6 * 10**18), relayer)
    with ape.reverts(
        bridge.BridgeCapExceeded,
        token=wrapped.address,
        usedInWindow=6 * 10**18,
        amount=5 * 10**18,
        cap=10**19,
    ):
        claim(bridge, validators, make_message(nonce=1, amount=5 * 10**18), relayer)
    assert bridge.tokenLimit(wrapped) == (10**19, 6 * 10**18)
    chain.pending_timestamp = (now // WINDOW + 2) * WINDOW + 10
    claim(bridge, validators, make_message(nonce=1, amount=5 * 10**18), relayer)
    assert wrapped.totalSupply() == 11 * 10**18


def test_cap_limits_releases_too(bridge, token, validators, make_message, relayer, alice, deployer):
    bridge.lock(token, 10**6, REMOTE_CHAIN_ID, alice, sender=alice)
    bridge.setTokenLimit(token, 1_000, sender=deployer)
    with ape.reverts(bridge.BridgeCapExceeded):
        claim(
            bridge,
            validators,
            make_message(kind=MessageKind.BURN, token=token.address, amount=1_001),
            relayer,
        )
    claim(
        bridge,
        validators,
        make_message(kind=MessageKind.BURN, token=token.address, amount=1_000),
        relayer,
    )


def test_only_the_admin_sets_limits_and_remote_bridges(bridge, token, alice):
    with ape.reverts(bridge.AccessControlUnauthorizedAccount):
        bridge.setTokenLimit(token, 1, sender=alice)
    with ape.reverts(bridge.AccessControlUnauthorizedAccount):
        bridge.setRemoteBridge(1, alice, sender=alice)
    with ape.reverts(bridge.AccessControlUnauthorizedAccount):
        bridge.createBridgedToken(5, token, "X", "X", 6, sender=alice)


def test_guardian_pauses_lock_burn_and_claim_and_only_the_admin_unpauses(
    bridge, token, wrapped, validators, make_message, relayer, guardian, deployer, alice, bob
):
    with ape.reverts(bridge.AccessControlUnauthorizedAccount):
        bridge.pause(sender=alice)
    bridge.pause(sender=guardian)
    with ape.reverts(bridge.EnforcedPause):
        bridge.lock(token, 1, REMOTE_CHAIN_ID, bob, sender=alice)
    with ape.reverts(bridge.EnforcedPause):
        claim(bridge, validators, make_message(), relayer)
    with ape.reverts(bridge.EnforcedPause):
        bridge.burn(wrapped, 1, bob, sender=alice)
    with ape.reverts(bridge.AccessControlUnauthorizedAccount):
        bridge.unpause(sender=guardian)
    bridge.unpause(sender=deployer)
    claim(bridge, validators, make_message(), relayer)
    assert wrapped.totalSupply() == 5 * 10**18


# ------------------------------------------------------------------------------ validator rotation


@pytest.fixture
def next_set() -> Validators:
    return Validators(validator_keys("epoch2", 3), 2)


def rotate(bridge, chain, validators, next_set, relayer, signers=None):
    signatures = validators.sign_rotation(bridge.address, chain.chain_id, 1, next_set, signers)
    return bridge.rotateValidators(
        next_set.addresses, next_set.threshold, signatures, sender=relayer
    )


def test_rotation_by_a_quorum_installs_the_next_epoch(bridge, chain, validators, next_set, relayer):
    receipt = rotate(bridge, chain, validators, next_set, relayer)
    assert bridge.epoch() == 2 and bridge.threshold() == 2
    assert bridge.validators(2) == next_set.addresses
    assert bridge.isValidator(2, next_set.keys[0].address)
    assert not bridge.isValidator(2, validators.keys[0].address)
    rotated = event(receipt, "ValidatorsRotated")
    assert rotated.epoch == 2 and rotated.previousValidUntil == bridge.previousEpochValidUntil()
    expected = rotation_typed_data(
        bridge=bridge.address,
        chain_id=chain.chain_id,
        epoch=1,
        validators=next_set.addresses,
        threshold=2,
    )
    assert bytes(bridge.hashRotation(1, next_set.addresses, 2)) == typed_data_digest(expected)


def test_rotation_below_quorum_or_by_outsiders_is_refused(
    bridge, chain, validators, next_set, relayer
):
    with ape.reverts(bridge.BridgeNotEnoughSignatures):
        rotate(bridge, chain, validators, next_set, relayer, signers=validators.keys[:2])
    with ape.reverts(bridge.BridgeNotValidator):
        # The new set cannot authorise itself.
        rotate(bridge, chain, next_set, next_set, relayer, signers=next_set.keys)
    assert bridge.epoch() == 1


def test_rotation_signatures_cannot_be_replayed(bridge, chain, validators, next_set, relayer):
    signatures = validators.sign_rotation(bridge.address, chain.chain_id, 1, next_set)
    bridge.rotateValidators(next_set.addresses, 2, signatures, sender=relayer)
    with ape.reverts(bridge.BridgeNotValidator):
        bridge.rotateValidators(next_set.addresses, 2, signatures, sender=relayer)
    assert bridge.epoch() == 2


@pytest.mark.parametrize(
    ("addresses", "threshold", "error"),
    [
        ("unsorted", 2, "BridgeInvalidValidator"),
        ("with_zero", 2, "BridgeInvalidValidator"),
        ("sorted", 1, "BridgeInvalidValidatorSet"),  # 1 of 3 is not a majority
        ("sorted", 4, "BridgeInvalidValidatorSet"),
        ("empty", 0, "BridgeInvalidValidatorSet"),
    ],
)
def test_invalid_new_sets_are_refused(
    bridge, chain, validators, next_set, relayer, addresses, threshold, error
):
    sets = {
        "unsorted": list(reversed(next_set.addresses)),
        "with_zero": [ZERO, *next_set.addresses[:2]],
        "sorted": next_set.addresses,
        "empty": [],
    }
    new = sets[addresses]
    # Signed by a quorum over the (invalid) set itself: only the set's validity can fail.
    typed = rotation_typed_data(
        bridge=bridge.address, chain_id=chain.chain_id, epoch=1, validators=new, threshold=threshold
    )
    signatures = pack_signatures(
        {k.address: sign_typed_data(typed, k.key) for k in validators.keys[:3]}
    )
    with ape.reverts(getattr(bridge, error)):
        bridge.rotateValidators(new, threshold, signatures, sender=relayer)


def test_old_set_signatures_are_accepted_until_the_grace_period_ends(
    bridge, wrapped, chain, validators, next_set, make_message, relayer
):
    rotate(bridge, chain, validators, next_set, relayer)
    valid_until = bridge.previousEpochValidUntil()
    claim(bridge, validators, make_message(nonce=0, epoch=1), relayer)  # inside the grace period
    chain.pending_timestamp = valid_until + 1
    with ape.reverts(bridge.BridgeEpochExpired, epoch=1, currentEpoch=2):
        claim(bridge, validators, make_message(nonce=1, epoch=1), relayer)
    # The old set cannot pass its signatures off as the new epoch's either.
    with ape.reverts(bridge.BridgeNotValidator):
        claim(bridge, validators, make_message(nonce=1, epoch=2), relayer)
    claim(bridge, next_set, make_message(nonce=1, epoch=2), relayer)
    assert wrapped.totalSupply() == 10 * 10**18
    assert valid_until - chain.blocks.head.timestamp <= GRACE_PERIOD


def test_a_rotation_while_paused_is_possible(
    bridge, chain, validators, next_set, relayer, guardian
):
    bridge.pause(sender=guardian)
    rotate(bridge, chain, validators, next_set, relayer)
    assert bridge.epoch() == 2


def fresh_deployer(accounts):
    """An account no other test deploys from: the address a refused deployment would have had
    was never used by a contract that an earlier test deployed and its snapshot reverted (Ape
    would decode the revert with that contract's ABI)."""
    return accounts[7]


@pytest.mark.parametrize(("window", "grace"), [(0, GRACE_PERIOD), (WINDOW, 30 * 86_400 + 1)])
def test_deployment_with_a_zero_window_or_an_overlong_grace_period_is_refused(
    project, deployer, guardian, validators, accounts, window, grace
):
    with ape.reverts(project.Bridge.BridgeInvalidConfig, window=window, gracePeriod=grace):
        fresh_deployer(accounts).deploy(
            project.Bridge,
            deployer,
            guardian,
            validators.addresses,
            validators.threshold,
            window,
            grace,
        )


@pytest.mark.parametrize("threshold", [0, 2, 6])  # 2 of 5 is not a majority
def test_deployment_with_an_invalid_threshold_is_refused(
    project, deployer, guardian, validators, accounts, threshold
):
    with ape.reverts(project.Bridge.BridgeInvalidValidatorSet, count=5, threshold=threshold):
        fresh_deployer(accounts).deploy(
            project.Bridge, deployer, guardian, validators.addresses, threshold, WINDOW, 60
        )
