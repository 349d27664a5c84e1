"""The gasless cancel: an EIP-712 message by which a maker takes orders off the relayer's book.

    CancelOrders(address maker, bytes32[] orderHashes, uint64 deadline)

signed in the domain ``("TigerEx Relayer", "1", chainId, exchange)``: the name differs from the
exchange's own domain so that no relayer message can ever be mistaken for an order, and chain id
+ exchange address bind it to one deployment. ``deadline`` (unix seconds) bounds how long the
message can be presented. Replaying a cancel is harmless (the orders are already off the book).

A gasless cancel is off-chain only: the signed orders stay valid on the contract, so whoever
holds a copy could still fill them with ``fillOrder``. For a guarantee, cancel on chain
(``cancelOrder`` or ``advanceEpoch``); the relayer removes those orders from its book too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from relayer.orders import EIP712_DOMAIN_FIELDS, OrderFieldInvalid, _check_uint

CANCEL_DOMAIN_NAME: Final = "TigerEx Relayer"
CANCEL_DOMAIN_VERSION: Final = "1"
CANCEL_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("maker", "address"),
    ("orderHashes", "bytes32[]"),
    ("deadline", "uint64"),
)
CANCEL_TYPE_STRING: Final = "CancelOrders(" + ",".join(f"{t} {n}" for n, t in CANCEL_FIELDS) + ")"
CANCEL_TYPEHASH: Final = keccak(text=CANCEL_TYPE_STRING)
_DOMAIN_TYPEHASH: Final = keccak(
    text="EIP712Domain(" + ",".join(f"{t} {n}" for n, t in EIP712_DOMAIN_FIELDS) + ")"
)


@dataclass(frozen=True, slots=True)
class CancelOrders:
    """The message a maker signs to cancel ``order_hashes`` on the relayer.

    Raises:
        OrderFieldInvalid: a hash is not 32 bytes or the deadline does not fit uint64.
    """

    maker: str
    order_hashes: tuple[bytes, ...]
    deadline: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "maker", to_checksum_address(self.maker))
        for digest in self.order_hashes:
            if len(digest) != 32:
                raise OrderFieldInvalid("order_hashes", "0x" + digest.hex(), "must be 32 bytes")
        _check_uint("deadline", self.deadline, 64)


def cancel_domain(chain_id: int, exchange: str) -> dict[str, Any]:
    return {
        "name": CANCEL_DOMAIN_NAME,
        "version": CANCEL_DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(exchange),
    }


def cancel_typed_data(cancel: CancelOrders, chain_id: int, exchange: str) -> dict[str, Any]:
    """The ``eth_signTypedData_v4`` payload of ``cancel`` (any standard signer)."""
    return {
        "types": {
            "EIP712Domain": [{"name": n, "type": t} for n, t in EIP712_DOMAIN_FIELDS],
            "CancelOrders": [{"name": n, "type": t} for n, t in CANCEL_FIELDS],
        },
        "primaryType": "CancelOrders",
        "domain": cancel_domain(chain_id, exchange),
        "message": {
            "maker": cancel.maker,
            "orderHashes": ["0x" + h.hex() for h in cancel.order_hashes],
            "deadline": cancel.deadline,
        },
    }


def cancel_digest(cancel: CancelOrders, chain_id: int, exchange: str) -> bytes:
    """The EIP-712 digest the maker signs."""
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                _DOMAIN_TYPEHASH,
                keccak(text=CANCEL_DOMAIN_NAME),
                keccak(text=CANCEL_DOMAIN_VERSION),
                chain_id,
                to_checksum_address(exchange),
            ],
        )
    )
    struct = keccak(
        encode(
            ["bytes32", "address", "bytes32", "uint64"],
            [CANCEL_TYPEHASH, cancel.maker, keccak(b"".join(cancel.order_hashes)), cancel.deadline],
        )
    )
    return keccak(b"\x19\x01" + separator + struct)


def sign_cancel(
    cancel: CancelOrders, private_key: bytes | str, chain_id: int, exchange: str
) -> bytes:
    """65 bytes ``r || s || v`` over :func:`cancel_digest` (low s, as eth-account signs)."""
    signed = Account.unsafe_sign_hash(cancel_digest(cancel, chain_id, exchange), private_key)
    return bytes(signed.signature)
