"""EIP-712 helpers shared by every off-chain signer of TigerEx messages (custody, P2P, KYC).

Typed data is built as the JSON shape standard signers take (eth-account, ethers
``signTypedData``, viem, hardware wallets), so what a service signs in tests is exactly what a
user's wallet signs.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

#: The curve order; a signature with s > N/2 is the malleated twin of a valid one and is refused.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

DOMAIN_FIELDS: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def domain(name: str, version: str, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """An EIP-712 domain bound to one chain and one contract."""
    return {
        "name": name,
        "version": version,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(verifying_contract),
    }


def typed_data(
    primary_type: str, fields: list[dict[str, str]], dom: dict[str, Any], message: dict[str, Any]
) -> dict[str, Any]:
    """The full typed-data document for one message type."""
    return {
        "types": {"EIP712Domain": DOMAIN_FIELDS, primary_type: fields},
        "primaryType": primary_type,
        "domain": dom,
        "message": message,
    }


def typed_data_digest(document: dict[str, Any]) -> bytes:
    """The 32-byte digest a contract verifies (``keccak(0x1901 || domainSeparator || hash)``)."""
    signable = encode_typed_data(full_message=document)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_typed_data(document: dict[str, Any], private_key: bytes | str) -> bytes:
    """Sign with a local key; returns the 65-byte ``r || s || v`` (v = 27/28, low s)."""
    signed = Account.sign_message(encode_typed_data(full_message=document), private_key)
    return bytes(signed.signature)


def is_low_s(signature: bytes) -> bool:
    """True for the canonical (non-malleated) form of a 65-byte signature."""
    return int.from_bytes(signature[32:64], "big") <= SECP256K1_N // 2
