"""EIP-712 messages of ``contracts/bridge/Bridge.sol`` and the signature encoding ``claim`` and
``rotateValidators`` expect.

A ``BridgeMessage`` is signed for the DESTINATION bridge (domain: destination chain id and
bridge address); ``rotation_typed_data`` for the bridge whose set rotates. The JSON-able typed
data is what any standard signer (eth-account, ethers, viem, a hardware wallet) signs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi import encode
from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address

from offchain.bridge.errors import DuplicateSigner, SignatureMalformed
from tigerex.eip712 import domain, is_low_s, typed_data

DOMAIN_NAME = "TigerEx Bridge"
DOMAIN_VERSION = "1"

MESSAGE_FIELDS: list[dict[str, str]] = [
    {"name": "kind", "type": "uint8"},
    {"name": "srcChainId", "type": "uint256"},
    {"name": "srcBridge", "type": "address"},
    {"name": "dstChainId", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "token", "type": "address"},
    {"name": "recipient", "type": "address"},
    {"name": "amount", "type": "uint256"},
    {"name": "epoch", "type": "uint256"},
]
ROTATION_FIELDS: list[dict[str, str]] = [
    {"name": "epoch", "type": "uint256"},
    {"name": "validators", "type": "address[]"},
    {"name": "threshold", "type": "uint256"},
]


class MessageKind(IntEnum):
    """What happened on the source: a ``LOCK`` is minted on the destination, a ``BURN`` released."""

    LOCK = 0
    BURN = 1


@dataclass(frozen=True)
class BridgeMessage:
    """One transfer between two bridges. ``token`` is the origin (native) token; ``amount`` in
    its base units, exact; ``epoch`` the destination bridge's validator epoch that signs it."""

    kind: MessageKind
    src_chain_id: int
    src_bridge: ChecksumAddress
    dst_chain_id: int
    dst_bridge: ChecksumAddress
    nonce: int
    token: ChecksumAddress
    recipient: ChecksumAddress
    amount: int
    epoch: int

    @property
    def message_id(self) -> bytes:
        """The id the contracts claim under: keccak256(abi.encode(srcChainId, srcBridge, nonce))."""
        return message_id(self.src_chain_id, self.src_bridge, self.nonce)

    def as_tuple(self) -> tuple[int, int, str, int, int, str, str, int, int]:
        """The ``IBridge.Message`` argument of ``claim`` / ``hashMessage``."""
        return (
            int(self.kind),
            self.src_chain_id,
            self.src_bridge,
            self.dst_chain_id,
            self.nonce,
            self.token,
            self.recipient,
            self.amount,
            self.epoch,
        )


def message_id(src_chain_id: int, src_bridge: str, nonce: int) -> bytes:
    return keccak(
        encode(
            ["uint256", "address", "uint256"],
            [src_chain_id, to_checksum_address(src_bridge), nonce],
        )
    )


def message_typed_data(message: BridgeMessage) -> dict[str, Any]:
    """The EIP-712 typed data validators sign for ``message``."""
    return typed_data(
        "BridgeMessage",
        MESSAGE_FIELDS,
        domain(DOMAIN_NAME, DOMAIN_VERSION, message.dst_chain_id, message.dst_bridge),
        {
            "kind": int(message.kind),
            "srcChainId": message.src_chain_id,
            "srcBridge": to_checksum_address(message.src_bridge),
            "dstChainId": message.dst_chain_id,
            "nonce": message.nonce,
            "token": to_checksum_address(message.token),
            "recipient": to_checksum_address(message.recipient),
            "amount": message.amount,
            "epoch": message.epoch,
        },
    )


def rotation_typed_data(
    *, bridge: str, chain_id: int, epoch: int, validators: list[str], threshold: int
) -> dict[str, Any]:
    """The typed data the CURRENT set (``epoch``) signs to install ``validators``."""
    return typed_data(
        "ValidatorRotation",
        ROTATION_FIELDS,
        domain(DOMAIN_NAME, DOMAIN_VERSION, chain_id, bridge),
        {
            "epoch": epoch,
            "validators": [to_checksum_address(v) for v in validators],
            "threshold": threshold,
        },
    )


def sorted_validators(validators: list[str]) -> list[ChecksumAddress]:
    """Validators in the order the contract requires (strictly ascending)."""
    return sorted((to_checksum_address(v) for v in validators), key=lambda a: int(a, 16))


def pack_signatures(signatures: dict[str, bytes]) -> bytes:
    """Concatenate ``{signer: 65-byte signature}`` sorted by signer, as ``claim`` expects.

    Raises:
        SignatureMalformed: a signature is not 65 bytes or is high-s (the contract refuses it).
        DuplicateSigner: two entries name the same signer in different case.
    """
    ordered = sorted(signatures.items(), key=lambda item: int(item[0], 16))
    signers = [int(signer, 16) for signer, _ in ordered]
    if len(set(signers)) != len(signers):
        raise DuplicateSigner("a validator appears twice", details={"signers": list(signatures)})
    packed = bytearray()
    for signer, signature in ordered:
        if len(signature) != 65:
            raise SignatureMalformed(
                f"a signature is 65 bytes, got {len(signature)}", details={"signer": signer}
            )
        if not is_low_s(signature):
            raise SignatureMalformed(
                "high-s signature: the bridge rejects malleated signatures",
                details={"signer": signer},
            )
        packed += signature
    return bytes(packed)
