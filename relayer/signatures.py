"""Fast EIP-712 order digests and ECDSA recovery for intake (equal to :mod:`relayer.orders`).

Intake hashes and recovers every order; :func:`order_digest` packs the nine static fields as
32-byte words directly instead of going through eth-abi, and :func:`recover_digest` applies the
contract's rules (65 bytes, v in {27, 28}, low s). The tests hold both to ``relayer.orders``.
"""

from __future__ import annotations

from typing import Final

from eth_keys import keys
from eth_utils import keccak, to_checksum_address

from relayer.orders import ORDER_TYPEHASH, Order, SignatureInvalid

_SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N: Final = _SECP256K1_N // 2


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def order_struct_hash(order: Order) -> bytes:
    """``hashStruct(order)``: the same bytes as ``relayer.orders.struct_hash``."""
    return keccak(
        ORDER_TYPEHASH
        + bytes(12)
        + bytes.fromhex(order.maker[2:])
        + _word(order.market_id)
        + _word(int(order.is_buy))
        + _word(order.price_ticks)
        + _word(order.quantity_lots)
        + _word(order.expiry)
        + _word(order.salt)
        + _word(order.epoch)
        + _word(order.max_fee_bps)
    )


def order_digest(order: Order, separator: bytes) -> bytes:
    """The EIP-712 digest of ``order`` under the domain ``separator`` (``hashOrder``)."""
    return keccak(b"\x19\x01" + separator + order_struct_hash(order))


def recover_digest(digest: bytes, signature: bytes) -> str:
    """The checksummed address that signed ``digest``.

    Raises:
        SignatureInvalid: not 65 bytes, v not 27/28, r or s out of range, or high s.
    """
    return to_checksum_address(recover_digest_bytes(digest, signature))


def recover_digest_bytes(digest: bytes, signature: bytes) -> bytes:
    """The 20-byte address that signed ``digest`` (no checksum: intake compares bytes).

    Raises:
        SignatureInvalid: not 65 bytes, v not 27/28, r or s out of range, or high s.
    """
    if len(signature) != 65:
        raise SignatureInvalid(f"signature is {len(signature)} bytes, expected 65")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v not in (27, 28):
        raise SignatureInvalid(f"v={v}, expected 27 or 28")
    if not (0 < r < _SECP256K1_N and 0 < s <= _HALF_N):
        raise SignatureInvalid("r or s out of range (high-s signatures are malleable)")
    try:
        public_key = keys.Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest)
    except Exception as err:  # the curve library refuses points that do not recover
        raise SignatureInvalid(f"signature does not recover: {err}") from err
    return bytes(public_key.to_canonical_address())
