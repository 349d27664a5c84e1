"""relayer/orders.py: the off-chain order library agrees with the deployed Exchange exactly."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from relayer.orders import (
    Market,
    MarketInvalid,
    Order,
    OrderError,
    OrderFieldInvalid,
    OrderMarketMismatch,
    SignatureInvalid,
    base_amount,
    domain_separator,
    fee,
    fill_amounts,
    order_hash,
    quote_amount,
    recover_signer,
    sign_order,
    typed_data,
)

KEY = Account.create().key
MAKER = Account.from_key(KEY).address
EXCHANGE = "0x4A679253410272dd5232B3Ff7cF5dbB88f295319"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
WETH_USDC = Market(1, "0x" + "11" * 20, "0x" + "22" * 20, 10**15, 10, 1, 10, 20)


def _order(**kw):
    fields = {
        "maker": MAKER,
        "market_id": 1,
        "is_buy": True,
        "price_ticks": 300_000,
        "quantity_lots": 1000,
        "expiry": 2**40,
        "salt": 1,
    }
    return Order(**{**fields, **kw})


orders_strategy = st.builds(
    Order,
    maker=st.just(MAKER),
    market_id=st.integers(0, 2**32 - 1),
    is_buy=st.booleans(),
    price_ticks=st.integers(0, 2**64 - 1),
    quantity_lots=st.integers(0, 2**64 - 1),
    expiry=st.integers(0, 2**64 - 1),
    salt=st.integers(0, 2**64 - 1),
    epoch=st.integers(0, 2**32 - 1),
    max_fee_bps=st.integers(0, 2**16 - 1),
)


# ------------------------------------------------------------------------------- pure tests


def test_amounts_follow_the_grid_without_division():
    # 1 WETH (1000 lots of 0.001) at 3000.00 USDC (300000 ticks of 0.01) = 3000 USDC.
    assert base_amount(WETH_USDC, 1000) == 10**18
    assert quote_amount(WETH_USDC, 1000, 300_000) == 3_000 * 10**6
    assert fee(3_000 * 10**6, 20) == 6 * 10**6
    assert fee(9_999, 1) == 0  # rounded down, in the user's favour
    assert fee(10_000, 1) == 1


def test_fill_amounts_charge_each_side_in_what_it_receives():
    buy = fill_amounts(WETH_USDC, _order(is_buy=True), 3)
    assert (buy.base_amount, buy.quote_amount) == (3 * 10**15, 9_000_000)
    assert buy.maker_fee == 3 * 10**15 * 10 // 10_000  # maker buys: fee in base
    assert buy.taker_fee == 9_000_000 * 20 // 10_000  # taker sells: fee in quote
    sell = fill_amounts(WETH_USDC, _order(is_buy=False), 3)
    assert (sell.maker_fee, sell.taker_fee) == (9_000_000 * 10 // 10_000, 3 * 10**15 * 20 // 10_000)
    with pytest.raises(OrderMarketMismatch) as info:
        fill_amounts(WETH_USDC, _order(market_id=2), 1)
    assert info.value.code == "order_market_mismatch"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("market_id", 2**32),
        ("price_ticks", -1),
        ("quantity_lots", 2**64),
        ("epoch", 2**32),
        ("max_fee_bps", 2**16),
        ("salt", 1.5),
        ("is_buy", 1),
        ("maker", "0x1234"),
    ],
)
def test_order_fields_must_fit_their_solidity_types(field, value):
    with pytest.raises(OrderFieldInvalid) as info:
        _order(**{field: value})
    assert info.value.code == "order_field_invalid"
    assert info.value.field == field
    assert isinstance(info.value, OrderError)


@pytest.mark.parametrize(
    "kw",
    [{"lot_size": 0}, {"tick_size": 2**64}, {"maker_fee_bps": 101}, {"min_quantity_lots": 0}],
)
def test_market_rejects_what_the_contract_rejects(kw):
    fields = {
        "market_id": 1,
        "base": "0x" + "11" * 20,
        "quote": "0x" + "22" * 20,
        "lot_size": 1,
        "tick_size": 1,
    }
    with pytest.raises(MarketInvalid):
        Market(**{**fields, **kw})


@settings(max_examples=50, deadline=None)
@given(order=orders_strategy, chain_id=st.integers(1, 2**64))
def test_order_hash_equals_eth_account_typed_data_hash(order, chain_id):
    expected = order_hash(order, chain_id, EXCHANGE)
    message = encode_typed_data(full_message=typed_data(order, chain_id, EXCHANGE))
    assert _hash_eip191_message(message) == expected
    # The JSON-safe variant (decimal strings for JavaScript signers) signs the same digest.
    as_strings = typed_data(order, chain_id, EXCHANGE, numbers_as_strings=True)
    assert isinstance(as_strings["message"]["salt"], str)
    assert _hash_eip191_message(encode_typed_data(full_message=as_strings)) == expected


def test_sign_order_equals_a_standard_typed_data_signature():
    order = _order()
    sig = sign_order(order, KEY, 31337, EXCHANGE)
    standard = Account.sign_typed_data(KEY, full_message=typed_data(order, 31337, EXCHANGE))
    assert sig == bytes(standard.signature)
    assert recover_signer(order, sig, 31337, EXCHANGE) == MAKER
    assert recover_signer(order, sig, 1, EXCHANGE) != MAKER  # another chain id
    with pytest.raises(SignatureInvalid):
        sign_order(_order(maker="0x" + "33" * 20), KEY, 31337, EXCHANGE)


def test_recover_signer_refuses_high_s_and_malformed():
    order = _order()
    sig = sign_order(order, KEY, 31337, EXCHANGE)
    s = int.from_bytes(sig[32:64], "big")
    high_s = sig[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])
    for bad in (high_s, sig[:64], sig[:64] + b"\x01"):
        with pytest.raises(SignatureInvalid) as info:
            recover_signer(order, bad, 31337, EXCHANGE)
        assert info.value.code == "signature_invalid"


# ------------------------------------------------------------------------- against Anvil


@pytest.mark.anvil
def test_hash_and_amounts_equal_the_deployed_contract(suite, w3, funded_accounts):
    exchange = suite.contract("Exchange")
    chain_id = w3.eth.chain_id
    assert (
        domain_separator(chain_id, exchange.address) == exchange.functions.DOMAIN_SEPARATOR().call()
    )
    for order in [
        _order(),
        _order(
            maker=funded_accounts[1].address,
            is_buy=False,
            epoch=7,
            max_fee_bps=65535,
            salt=2**64 - 1,
        ),
        _order(market_id=2**32 - 1, price_ticks=2**64 - 1, quantity_lots=2**64 - 1, expiry=0),
    ]:
        assert (
            order_hash(order, chain_id, exchange.address)
            == exchange.functions.hashOrder(order.as_tuple()).call()
        )

    # A direct fill on the deployed market 1 moves exactly what fill_amounts says.
    info = exchange.functions.market(1).call()
    market = Market(1, info[0], info[1], info[2], info[3], info[4], info[5], info[6])
    base, quote = suite.contract("tWETH"), suite.contract("tUSDC")
    maker_acct, taker_acct = funded_accounts[1], funded_accounts[2]
    for acct in (maker_acct, taker_acct):
        for token, amount in ((base, 10 * 10**18), (quote, 100_000 * 10**6)):
            _transact(w3, token.functions.approve(exchange.address, amount), acct)
            _transact(w3, exchange.functions.deposit(token.address, amount), acct)
    order = _order(maker=maker_acct.address, is_buy=False, price_ticks=301_234, quantity_lots=777)
    sig = sign_order(order, maker_acct.key, chain_id, exchange.address)
    before = {
        (t, a.address): exchange.functions.balanceOf(t.address, a.address).call()
        for t in (base, quote)
        for a in (maker_acct, taker_acct)
    }
    receipt = _transact(
        w3,
        exchange.functions.fillOrder(order.as_tuple(), sig, 555, market.taker_fee_bps),
        taker_acct,
    )
    amounts = fill_amounts(market, order, 555)
    after = {k: exchange.functions.balanceOf(k[0].address, k[1]).call() for k in before}
    m, t = maker_acct.address, taker_acct.address
    assert after[(base, m)] - before[(base, m)] == -amounts.base_amount
    assert after[(quote, m)] - before[(quote, m)] == amounts.quote_amount - amounts.maker_fee
    assert after[(base, t)] - before[(base, t)] == amounts.base_amount - amounts.taker_fee
    assert after[(quote, t)] - before[(quote, t)] == -amounts.quote_amount
    (event,) = exchange.events.OrderFilled().process_receipt(receipt)
    assert event.args.makerOrderHash == order_hash(order, chain_id, exchange.address)
    assert (event.args.makerFee, event.args.takerFee) == (amounts.maker_fee, amounts.taker_fee)


def _transact(w3, call, account):
    tx = call.build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address)}
    )
    signed = account.sign_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction)
    )
    assert receipt.status == 1
    return receipt
