"""EIP-712 messages of ``contracts/custody/MultisigWallet.sol`` and the signature encoding its
``execTransaction`` / ``isValidSignature`` expect.

Works with any standard signer: ``transaction_typed_data`` returns the JSON-able typed data that
eth-account, ethers (``signTypedData``), viem and hardware wallets sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address

DOMAIN_NAME = "TigerEx Multisig"
DOMAIN_VERSION = "1"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


class MultisigError(Exception):
    """Root of the custody signing errors; ``code`` is stable."""

    code = "multisig_error"


class SignatureMalformed(MultisigError):
    code = "signature_malformed"


class Operation(IntEnum):
    CALL = 0
    DELEGATE_CALL = 1


@dataclass(frozen=True)
class MultisigTransaction:
    """A transaction for one wallet at one nonce. ``value`` in wei, exact."""

    wallet: ChecksumAddress
    chain_id: int
    to: ChecksumAddress
    value: int
    data: bytes
    operation: Operation
    nonce: int


def _domain(wallet: str, chain_id: int) -> dict[str, Any]:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(wallet),
    }


def transaction_typed_data(tx: MultisigTransaction) -> dict[str, Any]:
    """The EIP-712 typed data owners sign for ``tx`` (``data`` as 0x-hex)."""
    return {
        "types": {
            "EIP712Domain": _DOMAIN_FIELDS,
            "MultisigTransaction": [
                {"name": "to", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "data", "type": "bytes"},
                {"name": "operation", "type": "uint8"},
                {"name": "nonce", "type": "uint256"},
            ],
        },
        "primaryType": "MultisigTransaction",
        "domain": _domain(tx.wallet, tx.chain_id),
        "message": {
            "to": to_checksum_address(tx.to),
            "value": tx.value,
            "data": "0x" + tx.data.hex(),
            "operation": int(tx.operation),
            "nonce": tx.nonce,
        },
    }


def message_typed_data(wallet: str, chain_id: int, message_hash: bytes) -> dict[str, Any]:
    """The typed data owners sign so the wallet validates ``message_hash`` under EIP-1271."""
    return {
        "types": {
            "EIP712Domain": _DOMAIN_FIELDS,
            "MultisigMessage": [{"name": "hash", "type": "bytes32"}],
        },
        "primaryType": "MultisigMessage",
        "domain": _domain(wallet, chain_id),
        "message": {"hash": "0x" + message_hash.hex()},
    }


def typed_data_digest(typed_data: dict[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest (``\\x19\\x01 || domainSeparator || structHash``)."""
    signable = encode_typed_data(full_message=typed_data)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_typed_data(typed_data: dict[str, Any], private_key: bytes | str) -> bytes:
    """Sign with a local key; returns the 65-byte ``r || s || v`` (v = 27/28, low s)."""
    signed = Account.sign_message(encode_typed_data(full_message=typed_data), private_key)
    return bytes(signed.signature)


@dataclass(frozen=True)
class OwnerSignature:
    """One owner's contribution. ``kind``: ``ecdsa`` (65 bytes), ``contract`` (EIP-1271 bytes of
    an owner contract) or ``approved`` (hash approved on chain / owner submits)."""

    owner: ChecksumAddress
    kind: str
    signature: bytes = b""


def ecdsa(owner: str, signature: bytes) -> OwnerSignature:
    if len(signature) != 65:
        raise SignatureMalformed(f"an ECDSA signature is 65 bytes, got {len(signature)}")
    if int.from_bytes(signature[32:64], "big") > SECP256K1_N // 2:
        raise SignatureMalformed("high-s signature: the wallet rejects malleated signatures")
    return OwnerSignature(to_checksum_address(owner), "ecdsa", signature)


def contract_signature(owner: str, signature: bytes) -> OwnerSignature:
    return OwnerSignature(to_checksum_address(owner), "contract", signature)


def approved(owner: str) -> OwnerSignature:
    return OwnerSignature(to_checksum_address(owner), "approved")


def pack_signatures(signatures: list[OwnerSignature]) -> bytes:
    """Encode for ``execTransaction``: sorted by owner, 65-byte items, EIP-1271 data appended.

    Raises:
        SignatureMalformed: two signatures of the same owner.
    """
    ordered = sorted(signatures, key=lambda s: int(s.owner, 16))
    owners = [s.owner for s in ordered]
    if len(set(owners)) != len(owners):
        raise SignatureMalformed("an owner signed twice")
    static = bytearray()
    dynamic = bytearray()
    head_size = 65 * len(ordered)
    for sig in ordered:
        if sig.kind == "ecdsa":
            static += sig.signature
        elif sig.kind == "approved":
            static += int(sig.owner, 16).to_bytes(32, "big") + bytes(32) + b"\x01"
        elif sig.kind == "contract":
            offset = head_size + len(dynamic)
            static += int(sig.owner, 16).to_bytes(32, "big") + offset.to_bytes(32, "big") + b"\x00"
            dynamic += len(sig.signature).to_bytes(32, "big") + sig.signature
        else:
            raise SignatureMalformed(f"unknown signature kind {sig.kind!r}")
    return bytes(static + dynamic)
