"""EIP-712 messages of ``contracts/p2p/Escrow.sol``: gasless instructions a party signs and a
relayer submits (mark paid, release, cancel) and split settlements both parties sign."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_utils import to_checksum_address

DOMAIN_NAME = "TigerEx Escrow"
DOMAIN_VERSION = "1"
BPS = 10_000


class Action(IntEnum):
    MARK_PAID = 1
    RELEASE = 2
    CANCEL = 3


class EscrowStatus(IntEnum):
    OPEN = 0
    PAID = 1
    DISPUTED = 2
    RELEASED = 3
    REFUNDED = 4
    RESOLVED = 5


@dataclass(frozen=True)
class Payout:
    """How an escrow's ``amount`` splits; ``buyer + seller + fee == amount`` always."""

    buyer: int
    seller: int
    fee: int


def payout(amount: int, buyer_bps: int, fee_bps: int) -> Payout:
    """The contract's split, computed identically (integer arithmetic, rounding down)."""
    if not 0 <= buyer_bps <= BPS:
        raise ValueError(f"buyer_bps out of range: {buyer_bps}")
    buyer_gross = amount * buyer_bps // BPS
    fee = buyer_gross * fee_bps // BPS
    return Payout(buyer=buyer_gross - fee, seller=amount - buyer_gross, fee=fee)


def _domain(escrow: str, chain_id: int) -> dict[str, Any]:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(escrow),
    }


_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def instruction_typed_data(
    *, escrow: str, chain_id: int, escrow_id: int, action: Action, deadline: int
) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": _DOMAIN_FIELDS,
            "Instruction": [
                {"name": "escrowId", "type": "uint256"},
                {"name": "action", "type": "uint8"},
                {"name": "deadline", "type": "uint64"},
            ],
        },
        "primaryType": "Instruction",
        "domain": _domain(escrow, chain_id),
        "message": {"escrowId": escrow_id, "action": int(action), "deadline": deadline},
    }


def settlement_typed_data(
    *, escrow: str, chain_id: int, escrow_id: int, buyer_bps: int, deadline: int
) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": _DOMAIN_FIELDS,
            "Settlement": [
                {"name": "escrowId", "type": "uint256"},
                {"name": "buyerBps", "type": "uint16"},
                {"name": "deadline", "type": "uint64"},
            ],
        },
        "primaryType": "Settlement",
        "domain": _domain(escrow, chain_id),
        "message": {"escrowId": escrow_id, "buyerBps": buyer_bps, "deadline": deadline},
    }
