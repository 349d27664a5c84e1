"""Token amounts at the edges: decimal strings in token units <-> integer base units, exactly.

``Decimal`` only here; everything past these functions is an ``int`` of base units.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext

from offchain.earn.errors import AmountInvalid


def to_base_units(text: str, decimals: int, *, allow_zero: bool = False) -> int:
    """``"1.5"`` of a 6-decimal token -> ``1_500_000``.

    Args:
        text: A plain decimal number (no exponent, no sign, no separators).
        decimals: The token's decimals.
        allow_zero: Accept ``0``.

    Returns:
        The amount in base units.

    Raises:
        AmountInvalid: Not a plain non-negative decimal, zero when not allowed, or more
            fractional digits than the token has (it would be rounded).
    """
    cleaned = text.strip()
    if not cleaned or not all(c.isdigit() or c == "." for c in cleaned) or cleaned.count(".") > 1:
        raise AmountInvalid(
            f"amount {text!r} is not a plain decimal number such as 1250 or 0.5",
            details={"amount": text},
        )
    try:
        value = Decimal(cleaned)
    except InvalidOperation as err:  # pragma: no cover - the check above admits only digits
        raise AmountInvalid(f"amount {text!r} is not a number", details={"amount": text}) from err
    fraction = cleaned.partition(".")[2].rstrip("0")
    if len(fraction) > decimals:
        raise AmountInvalid(
            f"amount {text} has {len(fraction)} decimals; the token has {decimals}",
            details={"amount": text, "decimals": decimals},
        )
    # The default context keeps 28 significant digits; a uint256 has up to 78.
    with localcontext() as context:
        context.prec = len(cleaned) + decimals + 2
        base = int(value.scaleb(decimals))
    if base == 0 and not allow_zero:
        raise AmountInvalid("amount must be more than 0", details={"amount": text})
    return base


def format_units(amount: int, decimals: int) -> str:
    """``1_500_000`` base units of a 6-decimal token -> ``"1.5"`` (exact, no trailing zeros)."""
    whole, fraction = divmod(amount, 10**decimals)
    if not fraction:
        return str(whole)
    return f"{whole}.{str(fraction).zfill(decimals).rstrip('0')}"
