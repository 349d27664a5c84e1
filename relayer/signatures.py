"""Fast EIP-712 order digests and ECDSA recovery for intake (equal to :mod:`relayer.orders`).

Intake hashes and recovers every order; :func:`order_digest` packs the nine static fields as
32-byte words directly instead of going through eth-abi, and :func:`recover_digest` applies the
contract's rules (65 bytes, v in {27, 28}, low s). The tests hold both to ``relayer.orders``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

from eth_keys import keys
from eth_utils import keccak as _eth_keccak
from eth_utils import to_checksum_address

from relayer.orders import ORDER_TYPEHASH, Order, SignatureInvalid

try:  # safe-pysha3 (a C extension; Ape's eth-tester[py-evm] installs it): 4 us a call here
    from sha3 import keccak_256 as _pysha3_keccak_256

    def keccak(data: bytes) -> bytes:
        return bytes(_pysha3_keccak_256(data).digest())

except ImportError:  # pragma: no cover - then pycryptodome, as eth-utils: ~14 us a call
    try:
        from Crypto.Hash import keccak as _pycryptodome_keccak

        def keccak(data: bytes) -> bytes:
            return bytes(_pycryptodome_keccak.new(digest_bits=256, data=data).digest())

    except ImportError:  # eth-hash has another backend

        def keccak(data: bytes) -> bytes:
            return bytes(_eth_keccak(data))


try:  # libsecp256k1 directly; eth-keys validates and wraps the same call
    from coincurve import PublicKey as _CoincurvePublicKey
except ImportError:  # pragma: no cover - eth-keys' own backend
    _CoincurvePublicKey = None  # type: ignore[misc,assignment]

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
        if _CoincurvePublicKey is not None:
            point = _CoincurvePublicKey.from_signature_and_message(
                signature[:64] + bytes([v - 27]), digest, hasher=None
            ).format(compressed=False)
            return keccak(point[1:])[12:]
        public_key = keys.Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest)
    except Exception as err:  # the curve library refuses points that do not recover
        raise SignatureInvalid(f"signature does not recover: {err}") from err
    return bytes(public_key.to_canonical_address())


@lru_cache(maxsize=65_536)
def checksum(address: str) -> str:
    """EIP-55 form of a 0x-hex address (cached: makers repeat)."""
    return str(to_checksum_address(address))


def trusted_order(fields: dict[str, Any]) -> Order:
    """An :class:`Order` from fields whose types and ranges the API schema already checked
    (uint widths, 20-byte hex maker): skips ``Order.__post_init__``'s re-validation, which costs
    more than the signature recovery on the intake path. Anything unchecked uses ``Order``."""
    order = object.__new__(Order)
    for name, value in fields.items():
        object.__setattr__(order, name, value)
    object.__setattr__(order, "maker", checksum(fields["maker"]))
    return order
