"""Signed orders of the TigerEx exchange: the single off-chain source of truth.

Mirrors ``contracts/exchange/Exchange.sol`` exactly:

- :class:`Order` is the EIP-712 ``Order`` struct; :func:`typed_data` builds the
  ``eth_signTypedData_v4`` payload any standard signer accepts (eth-account, ethers, viem,
  a hardware wallet); :func:`order_hash` equals the contract's ``hashOrder``.
- :func:`base_amount`, :func:`quote_amount` and :func:`fee` are the contract's integer
  arithmetic: ``q`` lots at ``p`` ticks move ``q * lot_size`` base units and
  ``q * p * tick_size`` quote units; ``fee = amount * bps // 10_000`` (rounded down).
  Each side pays its fee out of what it receives (the buyer in base, the seller in quote).

Self-contained: depends only on eth-abi, eth-utils and eth-account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Final

from eth_abi import encode
from eth_account import Account
from eth_keys import keys
from eth_utils import is_address, keccak, to_checksum_address

DOMAIN_NAME: Final = "TigerEx"
DOMAIN_VERSION: Final = "1"
MAX_FEE_BPS: Final = 100
BPS: Final = 10_000

ORDER_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("maker", "address"),
    ("marketId", "uint32"),
    ("isBuy", "bool"),
    ("priceTicks", "uint64"),
    ("quantityLots", "uint64"),
    ("expiry", "uint64"),
    ("salt", "uint64"),
    ("epoch", "uint32"),
    ("maxFeeBps", "uint16"),
)
ORDER_TYPE_STRING: Final = "Order(" + ",".join(f"{t} {n}" for n, t in ORDER_FIELDS) + ")"
ORDER_TYPEHASH: Final = keccak(text=ORDER_TYPE_STRING)
EIP712_DOMAIN_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)
_DOMAIN_TYPEHASH: Final = keccak(
    text="EIP712Domain(" + ",".join(f"{t} {n}" for n, t in EIP712_DOMAIN_FIELDS) + ")"
)
# secp256k1 group order; signatures with s > N/2 are malleable and refused on chain.
_SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


# ------------------------------------------------------------------------------------ errors


class OrderError(Exception):
    """Root of this module's errors; ``code`` is stable and machine-readable."""

    code: ClassVar[str] = "order_error"

    def __init__(self, message: str, **details: Any) -> None:
        self.message = message
        self.details = details
        super().__init__(f"{self.code}: {message}")


class OrderFieldInvalid(OrderError):
    """A field is outside its fixed-width type or otherwise malformed."""

    code = "order_field_invalid"

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}={value!r}: {reason}", field=field, value=value)


class MarketInvalid(OrderError):
    """Market parameters that the contract would refuse."""

    code = "market_invalid"


class OrderMarketMismatch(OrderError):
    """An order was used with the parameters of another market."""

    code = "order_market_mismatch"


class SignatureInvalid(OrderError):
    """A signature that is malformed, malleable (high s) or not by the order's maker."""

    code = "signature_invalid"


# ------------------------------------------------------------------------------------- types


def _check_uint(field: str, value: object, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OrderFieldInvalid(field, value, "must be an int")
    if not 0 <= value < 1 << bits:
        raise OrderFieldInvalid(field, value, f"must fit uint{bits}")
    return value


@dataclass(frozen=True, slots=True)
class Order:
    """The EIP-712 ``Order`` the maker signs (field names are the contract's, snake_cased).

    Raises:
        OrderFieldInvalid: a field does not fit its Solidity type.
    """

    maker: str
    market_id: int
    is_buy: bool
    price_ticks: int
    quantity_lots: int
    expiry: int
    salt: int
    epoch: int = 0
    max_fee_bps: int = MAX_FEE_BPS

    def __post_init__(self) -> None:
        if not isinstance(self.maker, str) or not is_address(self.maker):
            raise OrderFieldInvalid("maker", self.maker, "must be a 20-byte hex address")
        object.__setattr__(self, "maker", to_checksum_address(self.maker))
        if not isinstance(self.is_buy, bool):
            raise OrderFieldInvalid("is_buy", self.is_buy, "must be a bool")
        for field, bits in (
            ("market_id", 32),
            ("price_ticks", 64),
            ("quantity_lots", 64),
            ("expiry", 64),
            ("salt", 64),
            ("epoch", 32),
            ("max_fee_bps", 16),
        ):
            _check_uint(field, getattr(self, field), bits)

    def as_message(self) -> dict[str, Any]:
        """The EIP-712 message (contract field names)."""
        return {
            "maker": self.maker,
            "marketId": self.market_id,
            "isBuy": self.is_buy,
            "priceTicks": self.price_ticks,
            "quantityLots": self.quantity_lots,
            "expiry": self.expiry,
            "salt": self.salt,
            "epoch": self.epoch,
            "maxFeeBps": self.max_fee_bps,
        }

    def as_tuple(self) -> tuple[str, int, bool, int, int, int, int, int, int]:
        """The ABI tuple for contract calls (``hashOrder``, ``fillOrder``, ``settle``)."""
        return (
            self.maker,
            self.market_id,
            self.is_buy,
            self.price_ticks,
            self.quantity_lots,
            self.expiry,
            self.salt,
            self.epoch,
            self.max_fee_bps,
        )


@dataclass(frozen=True, slots=True)
class Market:
    """A market's on-chain parameters (``Exchange.market``).

    Raises:
        MarketInvalid: parameters ``createMarket`` would refuse.
    """

    market_id: int
    base: str
    quote: str
    lot_size: int
    tick_size: int
    min_quantity_lots: int = 1
    maker_fee_bps: int = 0
    taker_fee_bps: int = 0
    active: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.market_id < 1 << 32:
            raise MarketInvalid(f"market id {self.market_id} outside 1..2**32-1")
        if not 0 < self.lot_size < 1 << 96:
            raise MarketInvalid(f"lot size {self.lot_size} outside 1..2**96-1")
        if not 0 < self.tick_size < 1 << 64:
            raise MarketInvalid(f"tick size {self.tick_size} outside 1..2**64-1")
        if not 0 < self.min_quantity_lots < 1 << 24:
            raise MarketInvalid(f"min quantity {self.min_quantity_lots} outside 1..2**24-1")
        for name in ("maker_fee_bps", "taker_fee_bps"):
            if not 0 <= getattr(self, name) <= MAX_FEE_BPS:
                raise MarketInvalid(f"{name} {getattr(self, name)} above {MAX_FEE_BPS}")


@dataclass(frozen=True, slots=True)
class FillAmounts:
    """What one fill moves, exactly as the contract's ``OrderFilled`` reports it."""

    base_amount: int
    quote_amount: int
    maker_fee: int
    taker_fee: int


# ----------------------------------------------------------------------------------- amounts


def base_amount(market: Market, quantity_lots: int) -> int:
    """Base units moved by ``quantity_lots`` lots."""
    return _check_uint("quantity_lots", quantity_lots, 64) * market.lot_size


def quote_amount(market: Market, quantity_lots: int, price_ticks: int) -> int:
    """Quote units moved by ``quantity_lots`` lots at ``price_ticks``."""
    quantity = _check_uint("quantity_lots", quantity_lots, 64)
    return quantity * _check_uint("price_ticks", price_ticks, 64) * market.tick_size


def fee(amount: int, fee_bps: int) -> int:
    """The fee on ``amount``, rounded down (in the user's favour)."""
    if not 0 <= fee_bps <= MAX_FEE_BPS:
        raise OrderFieldInvalid("fee_bps", fee_bps, f"must be 0..{MAX_FEE_BPS}")
    return amount * fee_bps // BPS


def fill_amounts(market: Market, maker: Order, quantity_lots: int) -> FillAmounts:
    """The amounts and fees of filling ``quantity_lots`` of ``maker`` (at the maker's price).

    Raises:
        OrderMarketMismatch: the order is for another market.
    """
    if maker.market_id != market.market_id:
        raise OrderMarketMismatch(
            f"order is for market {maker.market_id}, not {market.market_id}",
            order_market=maker.market_id,
            market=market.market_id,
        )
    base = base_amount(market, quantity_lots)
    quote = quote_amount(market, quantity_lots, maker.price_ticks)
    # Buyers pay their fee in base (what they receive), sellers in quote.
    if maker.is_buy:
        return FillAmounts(
            base, quote, fee(base, market.maker_fee_bps), fee(quote, market.taker_fee_bps)
        )
    return FillAmounts(
        base, quote, fee(quote, market.maker_fee_bps), fee(base, market.taker_fee_bps)
    )


# ----------------------------------------------------------------------------------- EIP-712


def domain(chain_id: int, exchange: str) -> dict[str, Any]:
    """The EIP-712 domain of the exchange deployed at ``exchange`` on ``chain_id``."""
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(exchange),
    }


def typed_data(
    order: Order, chain_id: int, exchange: str, *, numbers_as_strings: bool = False
) -> dict[str, Any]:
    """The full ``eth_signTypedData_v4`` payload for ``order`` (any standard signer).

    Args:
        numbers_as_strings: Integers as decimal strings, for JSON consumers whose numbers
            lose precision above 2**53 (JavaScript wallets); the digest is the same.
    """
    payload: dict[str, Any] = {
        "types": {
            "EIP712Domain": [{"name": n, "type": t} for n, t in EIP712_DOMAIN_FIELDS],
            "Order": [{"name": n, "type": t} for n, t in ORDER_FIELDS],
        },
        "primaryType": "Order",
        "domain": domain(chain_id, exchange),
        "message": order.as_message(),
    }
    if numbers_as_strings:
        for part in ("domain", "message"):
            payload[part] = {
                k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v
                for k, v in payload[part].items()
            }
    return payload


def domain_separator(chain_id: int, exchange: str) -> bytes:
    """The contract's ``DOMAIN_SEPARATOR()``."""
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                _DOMAIN_TYPEHASH,
                keccak(text=DOMAIN_NAME),
                keccak(text=DOMAIN_VERSION),
                chain_id,
                to_checksum_address(exchange),
            ],
        )
    )


def struct_hash(order: Order) -> bytes:
    """``hashStruct(order)`` of EIP-712."""
    return keccak(
        encode(["bytes32", *(t for _, t in ORDER_FIELDS)], [ORDER_TYPEHASH, *order.as_tuple()])
    )


def order_hash(order: Order, chain_id: int, exchange: str) -> bytes:
    """The EIP-712 digest of ``order``: equal to the contract's ``hashOrder(order)``."""
    return keccak(b"\x19\x01" + domain_separator(chain_id, exchange) + struct_hash(order))


def sign_order(order: Order, private_key: bytes | str, chain_id: int, exchange: str) -> bytes:
    """Signs ``order`` with ``private_key``: 65 bytes ``r || s || v`` (v = 27 or 28, low s).

    Raises:
        SignatureInvalid: the key is not the order's maker.
    """
    signed = Account.unsafe_sign_hash(order_hash(order, chain_id, exchange), private_key)
    signature = bytes(signed.signature)
    signer = Account.from_key(private_key).address
    if signer != order.maker:
        raise SignatureInvalid(
            f"key of {signer} cannot sign for maker {order.maker}", signer=signer
        )
    return signature


def recover_signer(order: Order, signature: bytes, chain_id: int, exchange: str) -> str:
    """The address that produced ``signature`` over ``order`` (EOA only; EIP-1271 wallets are
    checked by calling the wallet).

    Raises:
        SignatureInvalid: not 65 bytes, v not 27/28, or a malleable high-s signature.
    """
    if len(signature) != 65:
        raise SignatureInvalid(f"signature is {len(signature)} bytes, expected 65")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v not in (27, 28):
        raise SignatureInvalid(f"v={v}, expected 27 or 28")
    if not (0 < r < _SECP256K1_N and 0 < s <= _SECP256K1_N // 2):
        raise SignatureInvalid("r or s out of range (high-s signatures are malleable)")
    sig = keys.Signature(vrs=(v - 27, r, s))
    public_key = sig.recover_public_key_from_msg_hash(order_hash(order, chain_id, exchange))
    return str(public_key.to_checksum_address())
