"""Decimal strings in token units <-> base units: exact, or refused with a stable code."""

from __future__ import annotations

import pytest

from offchain.earn.amounts import format_units, to_base_units
from offchain.earn.cli import parse_duration, parse_time, sale_price
from offchain.earn.errors import AmountInvalid


@pytest.mark.parametrize(
    ("text", "decimals", "expected"),
    [
        ("1", 6, 1_000_000),
        ("1000.5", 6, 1_000_500_000),
        ("0.000001", 6, 1),
        ("1.500000", 6, 1_500_000),  # trailing zeros are not extra precision
        ("123456789012345678901234567890.123456789012345678", 18,
         123456789012345678901234567890123456789012345678),
        (" 7 ", 0, 7),
    ],
)  # fmt: skip
def test_to_base_units_is_exact(text: str, decimals: int, expected: int) -> None:
    assert to_base_units(text, decimals) == expected
    assert to_base_units(format_units(expected, decimals), decimals) == expected


@pytest.mark.parametrize(
    "text", ["1.0000001", "-1", "1e6", "1,5", "", "0x10", "NaN", "inf", "1.2.3", "0", "0.000"]
)
def test_to_base_units_refuses_what_it_cannot_convert_exactly(text: str) -> None:
    with pytest.raises(AmountInvalid) as err:
        to_base_units(text, 6)
    assert err.value.code == "amount_invalid"


def test_zero_only_when_allowed() -> None:
    assert to_base_units("0", 6, allow_zero=True) == 0


def test_format_units() -> None:
    assert format_units(1_000_500_000, 6) == "1000.5"
    assert format_units(10**18, 18) == "1"
    assert format_units(1, 18) == "0.000000000000000001"


def test_sale_price_is_exact_or_refused() -> None:
    # 0.5 TUSD (6 decimals) per whole tWETH (18): 500,000 base units per 1e18 sale units.
    assert sale_price("0.5", payment_decimals=6, sale_decimals=18) == 500_000
    # 1 payment token (18 decimals) per whole 6-decimal token: 1e30 per 1e18 sale units.
    assert sale_price("1", payment_decimals=18, sale_decimals=6) == 10**30
    with pytest.raises(AmountInvalid):
        sale_price("0.0000001", payment_decimals=6, sale_decimals=18)


def test_durations_and_times() -> None:
    assert parse_duration("30d") == 30 * 86400
    assert parse_duration("90m") == 5400 and parse_duration("15") == 15
    assert parse_time("+2h", 1000) == 8200 and parse_time("now", 5) == 5
    assert parse_time("1700000000", 0) == 1_700_000_000
    for bad in ("2 weeks", "-1d", "1.5h"):
        with pytest.raises(AmountInvalid):
            parse_duration(bad)
    with pytest.raises(AmountInvalid):
        parse_time("tomorrow", 0)
