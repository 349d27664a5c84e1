import ape
import pytest

from offchain.custody.multisig import SECP256K1_N, sign_typed_data

MONTH = 30 * 24 * 3600


@pytest.fixture(scope="module")
def kyc(project, deployer):
    registry = deployer.deploy(project.KYCRegistry, deployer)
    registry.grantRole(registry.ATTESTER_ROLE(), deployer, sender=deployer)
    return registry


@pytest.fixture(scope="module", autouse=True)
def _deployed_first(kyc):
    """Deploy before any test, so Ape's per-test snapshots never need rebasing."""


def attestation_typed_data(registry, chain_id, subject, level, expires_at, nonce, deadline):
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Attestation": [
                {"name": "subject", "type": "address"},
                {"name": "level", "type": "uint8"},
                {"name": "expiresAt", "type": "uint64"},
                {"name": "nonce", "type": "uint64"},
                {"name": "deadline", "type": "uint64"},
            ],
        },
        "primaryType": "Attestation",
        "domain": {
            "name": "TigerEx KYC",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": str(registry),
        },
        "message": {
            "subject": str(subject),
            "level": level,
            "expiresAt": expires_at,
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def _signed(kyc, chain, signer, subject, level=2, nonce=None, chain_id=None, registry=None):
    expires = chain.pending_timestamp + MONTH
    deadline = chain.pending_timestamp + 3600
    nonce = kyc.nonces(subject) if nonce is None else nonce
    typed = attestation_typed_data(
        registry or kyc.address,
        chain_id or chain.chain_id,
        subject,
        level,
        expires,
        nonce,
        deadline,
    )
    return (str(subject), level, expires, nonce, deadline), sign_typed_data(
        typed, signer.private_key
    )


def test_attester_records_a_level_with_expiry(kyc, deployer, alice, chain):
    expires = chain.pending_timestamp + MONTH
    receipt = kyc.attest(alice, 2, expires, sender=deployer)
    assert kyc.levelOf(alice) == 2
    assert kyc.hasLevel(alice, 1) and kyc.hasLevel(alice, 2) and not kyc.hasLevel(alice, 3)
    assert kyc.attestationOf(alice) == (2, expires)
    assert receipt.events[-1] == kyc.Attested(alice, 2, expires, deployer)


def test_level_lapses_at_expiry(kyc, deployer, alice, chain):
    expires = chain.pending_timestamp + 100
    kyc.attest(alice, 2, expires, sender=deployer)
    chain.pending_timestamp = expires
    chain.mine()
    assert kyc.levelOf(alice) == 0
    assert not kyc.hasLevel(alice, 1)
    assert kyc.hasLevel(alice, 0)  # "no requirement" always holds


def test_non_attester_cannot_attest_or_revoke(kyc, alice, bob, chain):
    with ape.reverts(kyc.AccessControlUnauthorizedAccount):
        kyc.attest(alice, 1, chain.pending_timestamp + MONTH, sender=bob)
    with ape.reverts(kyc.AccessControlUnauthorizedAccount):
        kyc.revoke(alice, sender=bob)


@pytest.mark.parametrize("level, offset", [(0, MONTH), (1, -1)])
def test_level_zero_or_past_expiry_is_refused(kyc, deployer, alice, chain, level, offset):
    with ape.reverts(kyc.KYCInvalidAttestation):
        kyc.attest(alice, level, chain.pending_timestamp + offset, sender=deployer)
    assert kyc.nonces(alice) == 0


def test_signed_attestation_is_accepted_once(kyc, deployer, alice, bob, chain):
    attestation, signature = _signed(kyc, chain, deployer, alice)
    kyc.attestWithSignature(attestation, signature, sender=bob)  # anyone submits
    assert kyc.levelOf(alice) == 2
    assert kyc.nonces(alice) == 1
    with ape.reverts(kyc.KYCInvalidNonce, subject=alice.address, expected=1, given=0):
        kyc.attestWithSignature(attestation, signature, sender=bob)


def test_revocation_voids_unsubmitted_signed_attestations(kyc, deployer, alice, bob, chain):
    attestation, signature = _signed(kyc, chain, deployer, alice)
    kyc.revoke(alice, sender=deployer)
    with ape.reverts(kyc.KYCInvalidNonce):
        kyc.attestWithSignature(attestation, signature, sender=bob)
    assert kyc.levelOf(alice) == 0


def test_signature_of_a_non_attester_is_refused(kyc, alice, bob, chain):
    attestation, signature = _signed(kyc, chain, bob, alice)
    with ape.reverts(kyc.KYCUnauthorizedSigner, signer=bob.address):
        kyc.attestWithSignature(attestation, signature, sender=bob)


@pytest.mark.parametrize("where", ["chain", "registry"])
def test_attestation_for_another_chain_or_registry_is_refused(
    kyc, deployer, alice, bob, chain, where
):
    other = {"chain_id": chain.chain_id + 1} if where == "chain" else {"registry": bob.address}
    attestation, signature = _signed(kyc, chain, deployer, alice, **other)
    with ape.reverts(kyc.KYCUnauthorizedSigner):
        kyc.attestWithSignature(attestation, signature, sender=bob)


def test_malleated_signature_is_refused(kyc, deployer, alice, bob, chain):
    attestation, signature = _signed(kyc, chain, deployer, alice)
    s = int.from_bytes(signature[32:64], "big")
    malleated = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - signature[64]])
    with ape.reverts(kyc.ECDSAInvalidSignatureS):
        kyc.attestWithSignature(attestation, malleated, sender=bob)


def test_expired_signature_is_refused(kyc, deployer, alice, bob, chain):
    attestation, signature = _signed(kyc, chain, deployer, alice)
    chain.pending_timestamp = attestation[4] + 1
    with ape.reverts(kyc.KYCSignatureExpired):
        kyc.attestWithSignature(attestation, signature, sender=bob)


def test_hash_matches_the_off_chain_typed_data(kyc, deployer, alice, chain):
    from offchain.custody.multisig import typed_data_digest

    typed = attestation_typed_data(kyc.address, chain.chain_id, alice.address, 2, 10**9, 0, 10**9)
    assert bytes(kyc.hashAttestation((alice.address, 2, 10**9, 0, 10**9))) == typed_data_digest(
        typed
    )
