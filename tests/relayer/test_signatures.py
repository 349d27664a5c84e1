"""relayer/signatures.py (the intake fast path) equals relayer/orders.py exactly."""

from __future__ import annotations

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from relayer.orders import (
    Order,
    SignatureInvalid,
    domain_separator,
    order_hash,
    recover_signer,
    sign_order,
)
from relayer.signatures import order_digest, recover_digest, trusted_order

KEY = Account.create().key
MAKER = Account.from_key(KEY).address
EXCHANGE = "0x4A679253410272dd5232B3Ff7cF5dbB88f295319"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

fields = st.fixed_dictionaries(
    {
        "maker": st.just(MAKER.lower()),
        "market_id": st.integers(0, 2**32 - 1),
        "is_buy": st.booleans(),
        "price_ticks": st.integers(0, 2**64 - 1),
        "quantity_lots": st.integers(0, 2**64 - 1),
        "expiry": st.integers(0, 2**64 - 1),
        "salt": st.integers(0, 2**64 - 1),
        "epoch": st.integers(0, 2**32 - 1),
        "max_fee_bps": st.integers(0, 2**16 - 1),
    }
)


@settings(max_examples=50, deadline=None)
@given(fields=fields, chain_id=st.integers(1, 2**64))
def test_digest_recovery_and_trusted_order_equal_the_reference(fields, chain_id):
    order = Order(**fields)
    assert trusted_order(fields) == order  # same fields, maker checksummed
    digest = order_digest(order, domain_separator(chain_id, EXCHANGE))
    assert digest == order_hash(order, chain_id, EXCHANGE)
    signature = sign_order(order, KEY, chain_id, EXCHANGE)
    assert recover_digest(digest, signature) == recover_signer(order, signature, chain_id, EXCHANGE)
    assert recover_digest(digest, signature) == MAKER


def test_recovery_refuses_what_the_contract_refuses():
    order = Order(MAKER, 1, True, 1, 1, 2**40, 1)
    digest = order_hash(order, 1, EXCHANGE)
    signature = sign_order(order, KEY, 1, EXCHANGE)
    s = int.from_bytes(signature[32:64], "big")
    high_s = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - signature[64]])
    for bad in (high_s, signature[:64] + b"\x1d", signature[:64], bytes(65)):
        with pytest.raises(SignatureInvalid):
            recover_digest(digest, bad)
