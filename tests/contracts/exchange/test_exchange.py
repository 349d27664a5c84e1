"""Settlement, direct fills, cancels and epochs of contracts/exchange/Exchange.sol."""

from __future__ import annotations

import ape
import pytest

from relayer.orders import fill_amounts, order_hash

from .conftest import DEPOSIT_BASE, DEPOSIT_QUOTE, FAR, LOT, MARKET_ID, PRICE, TICK

# SkipReason codes (IExchange.SkipReason)
MARKET_INACTIVE, MARKET_MISMATCH, SIDES_NOT_OPPOSITE, PRICES_NOT_CROSSING, QUANTITY_ZERO = (
    1,
    2,
    3,
    4,
    5,
)
MAKER_SIG, TAKER_SIG, MAKER_CANCELLED, TAKER_CANCELLED = 6, 7, 8, 9
MAKER_EXPIRED, TAKER_EXPIRED, MAKER_EPOCH, TAKER_EPOCH = 10, 11, 12, 13
MAKER_FEE_MAX, TAKER_FEE_MAX, MAKER_BELOW_MIN, TAKER_BELOW_MIN = 14, 15, 16, 17
MAKER_OVERFILL, TAKER_OVERFILL, MAKER_FUNDS, TAKER_FUNDS = 18, 19, 20, 21
# The taker fee bound a direct filler passes (the market charges 20 bps).
MAX_TAKER_FEE = 100
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _hash(orders, order):
    return order_hash(order, orders.chain_id, str(orders.exchange.address))


def _skips(exchange, receipt):
    return [
        (bytes(e.makerOrderHash), bytes(e.takerOrderHash), e.reason)
        for e in receipt.events.filter(exchange.MatchSkipped)
    ]


def _fills(exchange, receipt):
    return list(receipt.events.filter(exchange.OrderFilled))


def _balances(exchange, tokens, accounts):
    return {(t.address, a.address): exchange.balanceOf(t, a) for t in tokens for a in accounts}


def _assert_skipped(exchange, operator, orders, match, reason, tokens, accounts):
    """Settles one match and asserts it was skipped for `reason` with nothing changed."""
    maker_hash = _hash(orders, _order_of(match[0]))
    taker_hash = _hash(orders, _order_of(match[2]))
    before = _balances(exchange, tokens, accounts)
    filled_before = (exchange.filled(maker_hash), exchange.filled(taker_hash))
    fees_before = exchange.market(MARKET_ID)
    receipt = exchange.settle([match], sender=operator)
    assert _skips(exchange, receipt) == [(maker_hash, taker_hash, reason)]
    assert _fills(exchange, receipt) == []
    assert _balances(exchange, tokens, accounts) == before
    assert (exchange.filled(maker_hash), exchange.filled(taker_hash)) == filled_before
    assert exchange.market(MARKET_ID) == fees_before
    return receipt


def _order_of(t):
    from relayer.orders import Order

    return Order(*t)


# ---------------------------------------------------------------------------------- settle


def test_settle_moves_exact_amounts_and_fees(
    exchange, operator, orders, market, base, quote, alice, bob
):
    maker = orders.signed(alice, is_buy=False, quantity=10)  # alice sells 0.01 base at 3000
    taker = orders.signed(bob, is_buy=True, price=PRICE + 500, quantity=4)
    receipt = exchange.settle([orders.match(maker, taker, 4)], sender=operator)

    amounts = fill_amounts(market, maker[0], 4)
    assert amounts.base_amount == 4 * LOT
    assert amounts.quote_amount == 4 * PRICE * TICK == 12_000_000  # 12 quote units (6 dec)
    assert (amounts.maker_fee, amounts.taker_fee) == (12_000, 4 * LOT * 20 // 10_000)
    # alice (maker, seller) pays base and receives quote minus the maker fee, and so on.
    assert exchange.balanceOf(base, alice) == DEPOSIT_BASE - amounts.base_amount
    assert (
        exchange.balanceOf(quote, alice) == DEPOSIT_QUOTE + amounts.quote_amount - amounts.maker_fee
    )
    assert exchange.balanceOf(base, bob) == DEPOSIT_BASE + amounts.base_amount - amounts.taker_fee
    assert exchange.balanceOf(quote, bob) == DEPOSIT_QUOTE - amounts.quote_amount
    info = exchange.market(MARKET_ID)
    assert (info.accruedBaseFees, info.accruedQuoteFees) == (amounts.taker_fee, amounts.maker_fee)

    maker_hash, taker_hash = _hash(orders, maker[0]), _hash(orders, taker[0])
    assert exchange.filled(maker_hash) == 4
    assert exchange.filled(taker_hash) == 4
    (event,) = _fills(exchange, receipt)
    assert bytes(event.makerOrderHash) == maker_hash
    assert bytes(event.takerOrderHash) == taker_hash
    assert (event.maker, event.taker) == (alice.address, bob.address)
    assert (event.marketId, event.quantityLots, event.priceTicks) == (MARKET_ID, 4, PRICE)
    assert (event.baseAmount, event.quoteAmount) == (amounts.base_amount, amounts.quote_amount)
    assert (event.makerFee, event.takerFee) == (amounts.maker_fee, amounts.taker_fee)
    assert _skips(exchange, receipt) == []


def test_settle_buyer_maker_pays_fee_in_base(
    exchange, operator, orders, market, base, quote, alice, bob
):
    maker = orders.signed(alice, is_buy=True, quantity=3)
    taker = orders.signed(bob, is_buy=False, price=PRICE - 1, quantity=3)
    exchange.settle([orders.match(maker, taker, 3)], sender=operator)
    amounts = fill_amounts(market, maker[0], 3)
    assert exchange.balanceOf(base, alice) == DEPOSIT_BASE + amounts.base_amount - amounts.maker_fee
    assert (
        exchange.balanceOf(quote, bob) == DEPOSIT_QUOTE + amounts.quote_amount - amounts.taker_fee
    )
    info = exchange.market(MARKET_ID)
    assert (info.accruedBaseFees, info.accruedQuoteFees) == (amounts.maker_fee, amounts.taker_fee)


def test_partial_fills_over_batches_and_replay_beyond_quantity_is_skipped(
    exchange, operator, orders, base, quote, alice, bob, carol
):
    maker = orders.signed(alice, is_buy=False, quantity=5)
    t1 = orders.signed(bob, is_buy=True, quantity=3)
    t2 = orders.signed(carol, is_buy=True, quantity=3)
    exchange.settle([orders.match(maker, t1, 3)], sender=operator)
    # The same match again: the taker has nothing left.
    _assert_skipped(
        exchange,
        operator,
        orders,
        orders.match(maker, t1, 1),
        TAKER_OVERFILL,
        [base, quote],
        [alice, bob],
    )
    # 2 lots remain of the maker: 3 is an overfill, 2 settles, then nothing more.
    _assert_skipped(
        exchange,
        operator,
        orders,
        orders.match(maker, t2, 3),
        MAKER_OVERFILL,
        [base, quote],
        [alice, carol],
    )
    exchange.settle([orders.match(maker, t2, 2)], sender=operator)
    assert exchange.filled(_hash(orders, maker[0])) == 5
    _assert_skipped(
        exchange,
        operator,
        orders,
        orders.match(maker, t2, 1),
        MAKER_OVERFILL,
        [base, quote],
        [alice, carol],
    )


def test_batch_settles_valid_matches_and_skips_the_rest(
    exchange, operator, orders, alice, bob, carol
):
    good1 = orders.match(orders.signed(alice, is_buy=False), orders.signed(bob, is_buy=True), 2)
    bad = orders.match(orders.signed(alice, is_buy=False), orders.signed(carol, is_buy=False), 1)
    good2 = orders.match(orders.signed(carol, is_buy=True), orders.signed(bob, is_buy=False), 5)
    receipt = exchange.settle([good1, bad, good2], sender=operator)
    assert [e.quantityLots for e in _fills(exchange, receipt)] == [2, 5]
    assert [s[2] for s in _skips(exchange, receipt)] == [SIDES_NOT_OPPOSITE]


def test_settle_reverts_for_non_operator(exchange, orders, alice, bob):
    match = orders.match(orders.signed(alice, is_buy=False), orders.signed(bob, is_buy=True), 1)
    with ape.reverts(
        exchange.AccessControlUnauthorizedAccount,
        account=alice,
        neededRole=exchange.OPERATOR_ROLE(),
    ):
        exchange.settle([match], sender=alice)


def test_signature_for_another_chain_id_is_skipped(
    exchange, operator, orders, base, quote, alice, bob
):
    maker = orders.make(alice, is_buy=False)
    bad_sig = orders.sign(alice, maker, chain_id=orders.chain_id + 1)
    match = orders.match((maker, bad_sig), orders.signed(bob, is_buy=True), 1)
    _assert_skipped(exchange, operator, orders, match, MAKER_SIG, [base, quote], [alice, bob])


def test_signature_for_another_deployment_is_skipped(
    project, deployer, weth, fee_recipient, exchange, operator, orders, base, quote, alice, bob
):
    other = deployer.deploy(project.Exchange, deployer, weth, fee_recipient, 600)
    assert other.DOMAIN_SEPARATOR() != exchange.DOMAIN_SEPARATOR()
    taker = orders.make(bob, is_buy=True)
    match = orders.match(
        orders.signed(alice, is_buy=False),
        (taker, orders.sign(bob, taker, exchange=other.address)),
        1,
    )
    _assert_skipped(exchange, operator, orders, match, TAKER_SIG, [base, quote], [alice, bob])


def test_malleated_high_s_signature_is_skipped(exchange, operator, orders, base, quote, alice, bob):
    maker, sig = orders.signed(alice, is_buy=False)
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    # (r, n - s, v ^ 1) recovers the same address with plain ecrecover.
    malleated = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    match = orders.match((maker, malleated), orders.signed(bob, is_buy=True), 1)
    _assert_skipped(exchange, operator, orders, match, MAKER_SIG, [base, quote], [alice, bob])
    # The original low-s signature settles.
    receipt = exchange.settle(
        [orders.match((maker, sig), orders.signed(bob, is_buy=True), 1)], sender=operator
    )
    assert len(_fills(exchange, receipt)) == 1


@pytest.mark.parametrize("bad", [b"", b"\x00" * 65, b"\x01" * 64])
def test_malformed_signatures_are_skipped(exchange, operator, orders, base, quote, alice, bob, bad):
    maker = orders.make(alice, is_buy=False)
    match = orders.match((maker, bad), orders.signed(bob, is_buy=True), 1)
    _assert_skipped(exchange, operator, orders, match, MAKER_SIG, [base, quote], [alice, bob])


def test_signature_by_another_key_is_skipped(exchange, operator, orders, base, quote, alice, bob):
    maker = orders.make(alice, is_buy=False)
    sig = orders.sign(alice, maker)
    forged = sig[:64] + bytes([55 - sig[64]])  # the other v recovers another address
    match = orders.match((maker, forged), orders.signed(bob, is_buy=True), 1)
    _assert_skipped(exchange, operator, orders, match, MAKER_SIG, [base, quote], [alice, bob])


@pytest.fixture
def wallet(project, deployer, carol, exchange, base, quote):
    """An EIP-1271 wallet owned by carol, with base and quote in the vault."""
    w = deployer.deploy(project.MockERC1271Wallet, carol)
    for token in (base, quote):
        amount = 10**24
        token.mint(w, amount, sender=deployer)
        w.execute(token, token.approve.encode_input(exchange, amount), sender=carol)
        w.execute(exchange, exchange.deposit.encode_input(token, amount), sender=carol)
    return w


def test_eip1271_wallet_order_settles_and_rejection_is_skipped(
    exchange, operator, orders, base, quote, wallet, carol, bob
):
    from relayer.orders import Order

    order = Order(wallet.address, MARKET_ID, False, PRICE, 4, FAR, 77, 0, 100)
    sig = _sign_digest(carol, _hash(orders, order))
    receipt = exchange.settle(
        [orders.match((order, sig), orders.signed(bob, is_buy=True), 1)], sender=operator
    )
    assert [e.maker for e in _fills(exchange, receipt)] == [wallet.address]
    assert exchange.balanceOf(base, wallet) == 10**24 - LOT

    # A new order while the wallet refuses every signature: skipped, nothing moves.
    order2 = Order(wallet.address, MARKET_ID, False, PRICE, 4, FAR, 78, 0, 100)
    wallet.setRejectAll(True, sender=carol)
    match = orders.match(
        (order2, _sign_digest(carol, _hash(orders, order2))), orders.signed(bob, is_buy=True), 1
    )
    _assert_skipped(exchange, operator, orders, match, MAKER_SIG, [base, quote], [wallet, bob])


def _sign_digest(account, digest):
    from eth_account import Account

    return bytes(Account.unsafe_sign_hash(digest, account.private_key).signature)


def test_eip1271_signature_by_a_non_owner_is_skipped(
    exchange, operator, orders, base, quote, wallet, alice, bob
):
    from relayer.orders import Order

    order = Order(wallet.address, MARKET_ID, False, PRICE, 4, FAR, 79, 0, 100)
    match = orders.match(
        (order, _sign_digest(alice, _hash(orders, order))), orders.signed(bob, is_buy=True), 1
    )
    _assert_skipped(exchange, operator, orders, match, MAKER_SIG, [base, quote], [wallet, bob])


def test_insufficient_funds_is_skipped_and_moves_nothing(
    exchange, operator, orders, base, quote, alice, bob, accounts
):
    poor = accounts[5]
    # poor sells base it does not have (maker side), then buys with quote it does not have (taker).
    match = orders.match(orders.signed(poor, is_buy=False), orders.signed(bob, is_buy=True), 1)
    _assert_skipped(exchange, operator, orders, match, MAKER_FUNDS, [base, quote], [poor, bob])
    match = orders.match(orders.signed(alice, is_buy=False), orders.signed(poor, is_buy=True), 1)
    _assert_skipped(exchange, operator, orders, match, TAKER_FUNDS, [base, quote], [poor, alice])


def test_exactly_sufficient_funds_settle(
    exchange, operator, orders, deployer, base, quote, bob, accounts
):
    seller = accounts[6]
    base.mint(seller, 2 * LOT, sender=deployer)
    base.approve(exchange, 2 * LOT, sender=seller)
    exchange.deposit(base, 2 * LOT, sender=seller)
    receipt = exchange.settle(
        [orders.match(orders.signed(seller, is_buy=False), orders.signed(bob, is_buy=True), 2)],
        sender=operator,
    )
    assert len(_fills(exchange, receipt)) == 1
    assert exchange.balanceOf(base, seller) == 0


@pytest.mark.parametrize(
    ("maker_kw", "taker_kw", "quantity", "reason"),
    [
        ({}, {}, 0, QUANTITY_ZERO),
        ({"is_buy": True}, {"is_buy": True}, 1, SIDES_NOT_OPPOSITE),
        ({"price": PRICE}, {"price": PRICE - 1}, 1, PRICES_NOT_CROSSING),
        ({"market_id": 7}, {"market_id": 7}, 1, MARKET_INACTIVE),  # unknown market
        ({"market_id": 0}, {"market_id": 0}, 1, MARKET_INACTIVE),  # reserved id 0
        ({}, {"market_id": 7}, 1, MARKET_MISMATCH),
        ({"expiry": 1}, {}, 1, MAKER_EXPIRED),
        ({}, {"expiry": 1}, 1, TAKER_EXPIRED),
        ({"max_fee_bps": 9}, {}, 1, MAKER_FEE_MAX),  # market maker fee is 10
        ({}, {"max_fee_bps": 19}, 1, TAKER_FEE_MAX),  # market taker fee is 20
        ({"quantity": 2}, {}, 3, MAKER_OVERFILL),
        ({}, {"quantity": 2}, 3, TAKER_OVERFILL),
    ],
)
def test_invalid_match_is_skipped_with_reason(
    exchange, operator, orders, base, quote, alice, bob, maker_kw, taker_kw, quantity, reason
):
    maker_kw = {"is_buy": False, **maker_kw}
    taker_kw = {"is_buy": not maker_kw["is_buy"], **taker_kw}
    match = orders.match(orders.signed(alice, **maker_kw), orders.signed(bob, **taker_kw), quantity)
    _assert_skipped(exchange, operator, orders, match, reason, [base, quote], [alice, bob])


def test_fee_within_signed_max_settles_exactly_at_the_max(exchange, operator, orders, alice, bob):
    match = orders.match(
        orders.signed(alice, is_buy=False, max_fee_bps=10),
        orders.signed(bob, is_buy=True, max_fee_bps=20),
        1,
    )
    assert len(_fills(exchange, exchange.settle([match], sender=operator))) == 1


def test_fee_raise_never_charges_more_than_signed(
    exchange, operator, deployer, orders, base, quote, alice, bob
):
    maker = orders.signed(alice, is_buy=False, max_fee_bps=10)
    taker = orders.signed(bob, is_buy=True, max_fee_bps=20)
    exchange.updateMarket(MARKET_ID, 11, 20, 1, True, sender=deployer)
    _assert_skipped(
        exchange,
        operator,
        orders,
        orders.match(maker, taker, 1),
        MAKER_FEE_MAX,
        [base, quote],
        [alice, bob],
    )


def test_below_min_quantity_and_inactive_market_are_skipped(
    exchange, operator, deployer, orders, base, quote, alice, bob
):
    exchange.updateMarket(MARKET_ID, 10, 20, 5, True, sender=deployer)
    match = orders.match(
        orders.signed(alice, is_buy=False, quantity=4),
        orders.signed(bob, is_buy=True, quantity=5),
        1,
    )
    _assert_skipped(exchange, operator, orders, match, MAKER_BELOW_MIN, [base, quote], [alice, bob])
    match = orders.match(
        orders.signed(alice, is_buy=False, quantity=5),
        orders.signed(bob, is_buy=True, quantity=4),
        1,
    )
    _assert_skipped(exchange, operator, orders, match, TAKER_BELOW_MIN, [base, quote], [alice, bob])
    exchange.updateMarket(MARKET_ID, 10, 20, 1, False, sender=deployer)
    match = orders.match(orders.signed(alice, is_buy=False), orders.signed(bob, is_buy=True), 1)
    _assert_skipped(exchange, operator, orders, match, MARKET_INACTIVE, [base, quote], [alice, bob])


def test_self_trade_settles_and_only_fees_leave(
    exchange, operator, orders, market, base, quote, alice
):
    maker = orders.signed(alice, is_buy=False)
    taker = orders.signed(alice, is_buy=True)
    exchange.settle([orders.match(maker, taker, 2)], sender=operator)
    amounts = fill_amounts(market, maker[0], 2)
    assert exchange.balanceOf(base, alice) == DEPOSIT_BASE - amounts.taker_fee
    assert exchange.balanceOf(quote, alice) == DEPOSIT_QUOTE - amounts.maker_fee


# --------------------------------------------------------------------------------- cancels


def test_cancelled_order_is_skipped_and_cannot_be_filled(
    exchange, operator, orders, base, quote, alice, bob
):
    maker = orders.signed(alice, is_buy=False)
    receipt = exchange.cancelOrder(maker[0].as_tuple(), sender=alice)
    h = _hash(orders, maker[0])
    assert receipt.events == [exchange.OrderCancelled(h, alice)]
    assert exchange.cancelled(h)
    match = orders.match(maker, orders.signed(bob, is_buy=True), 1)
    _assert_skipped(exchange, operator, orders, match, MAKER_CANCELLED, [base, quote], [alice, bob])
    taker = orders.signed(bob, is_buy=True)
    exchange.cancelOrder(taker[0].as_tuple(), sender=bob)
    match = orders.match(orders.signed(alice, is_buy=False), taker, 1)
    _assert_skipped(exchange, operator, orders, match, TAKER_CANCELLED, [base, quote], [alice, bob])
    with ape.reverts(exchange.ExchangeFillRejected, orderHash=h, reason=MAKER_CANCELLED):
        exchange.fillOrder(maker[0].as_tuple(), maker[1], 1, MAX_TAKER_FEE, sender=bob)


def test_cancel_reverts_for_others_and_twice(exchange, orders, alice, bob):
    order = orders.make(alice, is_buy=False)
    h = _hash(orders, order)
    with ape.reverts(exchange.ExchangeNotOrderMaker, orderHash=h, caller=bob):
        exchange.cancelOrder(order.as_tuple(), sender=bob)
    exchange.cancelOrder(order.as_tuple(), sender=alice)
    with ape.reverts(exchange.ExchangeOrderAlreadyCancelled, orderHash=h):
        exchange.cancelOrder(order.as_tuple(), sender=alice)


def test_epoch_voids_older_orders_and_never_revives(
    exchange, operator, orders, base, quote, alice, bob
):
    old = orders.signed(alice, is_buy=False, epoch=2)
    current = orders.signed(alice, is_buy=False, epoch=3)
    receipt = exchange.advanceEpoch(3, sender=alice)
    assert receipt.events == [exchange.EpochAdvanced(alice, 3)]
    assert exchange.epoch(alice) == 3
    match = orders.match(old, orders.signed(bob, is_buy=True), 1)
    _assert_skipped(exchange, operator, orders, match, MAKER_EPOCH, [base, quote], [alice, bob])
    assert (
        len(
            _fills(
                exchange,
                exchange.settle(
                    [orders.match(current, orders.signed(bob, is_buy=True), 1)], sender=operator
                ),
            )
        )
        == 1
    )
    for lower in (3, 2):
        with ape.reverts(exchange.ExchangeEpochNotIncreasing, current=3, requested=lower):
            exchange.advanceEpoch(lower, sender=alice)
    # The taker side is checked too.
    exchange.advanceEpoch(10, sender=bob)
    match = orders.match(
        orders.signed(alice, is_buy=False, epoch=3), orders.signed(bob, is_buy=True, epoch=9), 1
    )
    _assert_skipped(exchange, operator, orders, match, TAKER_EPOCH, [base, quote], [alice, bob])


def test_market_epoch_voids_orders_of_that_market_only(
    exchange, operator, deployer, orders, base, quote, alice, bob
):
    receipt = exchange.advanceMarketEpoch(MARKET_ID, 5, sender=alice)
    assert receipt.events == [exchange.MarketEpochAdvanced(alice, MARKET_ID, 5)]
    assert exchange.marketEpoch(alice, MARKET_ID) == 5
    assert exchange.marketEpoch(alice, 2) == 0 and exchange.epoch(alice) == 0
    match = orders.match(
        orders.signed(alice, is_buy=False, epoch=4), orders.signed(bob, is_buy=True), 1
    )
    _assert_skipped(exchange, operator, orders, match, MAKER_EPOCH, [base, quote], [alice, bob])
    with ape.reverts(exchange.ExchangeEpochNotIncreasing, current=5, requested=5):
        exchange.advanceMarketEpoch(MARKET_ID, 5, sender=alice)
    # Another market of alice is unaffected.
    exchange.createMarket(2, quote, base, 1000, 1, 1, 0, 0, sender=deployer)
    match = orders.match(
        orders.signed(alice, is_buy=False, epoch=0, market_id=2, price=1),
        orders.signed(bob, is_buy=True, market_id=2, price=1),
        1,
    )
    assert len(_fills(exchange, exchange.settle([match], sender=operator))) == 1


# ------------------------------------------------------------------------------- fillOrder


def test_fill_order_takes_a_maker_order_directly(exchange, orders, market, base, quote, alice, bob):
    maker, sig = orders.signed(alice, is_buy=True, quantity=6)
    receipt = exchange.fillOrder(maker.as_tuple(), sig, 6, MAX_TAKER_FEE, sender=bob)
    amounts = fill_amounts(market, maker, 6)
    assert exchange.balanceOf(base, alice) == DEPOSIT_BASE + amounts.base_amount - amounts.maker_fee
    assert exchange.balanceOf(quote, alice) == DEPOSIT_QUOTE - amounts.quote_amount
    assert exchange.balanceOf(base, bob) == DEPOSIT_BASE - amounts.base_amount
    assert (
        exchange.balanceOf(quote, bob) == DEPOSIT_QUOTE + amounts.quote_amount - amounts.taker_fee
    )
    (event,) = _fills(exchange, receipt)
    assert bytes(event.takerOrderHash) == b"\x00" * 32
    assert event.taker == bob.address
    h = _hash(orders, maker)
    assert exchange.filled(h) == 6
    with ape.reverts(exchange.ExchangeFillRejected, orderHash=h, reason=MAKER_OVERFILL):
        exchange.fillOrder(maker.as_tuple(), sig, 1, MAX_TAKER_FEE, sender=bob)


@pytest.mark.parametrize("maker_buys", [True, False])
def test_fill_order_accrues_its_fees_and_reports_the_fill_exactly(
    exchange, orders, market, deployer, alice, bob, maker_buys
):
    # A minimum quantity above 1, so that the fee word's top bits are not trivially 1 / true.
    exchange.updateMarket(
        MARKET_ID, market.maker_fee_bps, market.taker_fee_bps, 3, True, sender=deployer
    )
    before = exchange.market(MARKET_ID)
    maker, sig = orders.signed(alice, is_buy=maker_buys, price=PRICE + 7, quantity=5)
    receipt = exchange.fillOrder(maker.as_tuple(), sig, 3, MAX_TAKER_FEE, sender=bob)
    amounts = fill_amounts(market, maker, 3)
    (event,) = _fills(exchange, receipt)
    assert bytes(event.makerOrderHash) == _hash(orders, maker)
    assert (event.maker, event.taker, event.marketId) == (alice.address, bob.address, MARKET_ID)
    assert (event.quantityLots, event.priceTicks) == (3, PRICE + 7)
    assert (event.baseAmount, event.quoteAmount) == (amounts.base_amount, amounts.quote_amount)
    assert (event.makerFee, event.takerFee) == (amounts.maker_fee, amounts.taker_fee)
    # The buyer pays its fee in base, the seller in quote; the market's other fields in the
    # fee word (minimum quantity, active) are kept.
    buyer_fee, seller_fee = (
        (amounts.maker_fee, amounts.taker_fee)
        if maker_buys
        else (amounts.taker_fee, amounts.maker_fee)
    )
    after = exchange.market(MARKET_ID)
    assert after.accruedBaseFees == before.accruedBaseFees + buyer_fee
    assert after.accruedQuoteFees == before.accruedQuoteFees + seller_fee
    assert (after.minQuantityLots, after.active) == (3, True)


@pytest.mark.parametrize(
    ("kw", "quantity", "reason"),
    [
        ({}, 0, QUANTITY_ZERO),
        ({"market_id": 9}, 1, MARKET_INACTIVE),
        ({"expiry": 1}, 1, MAKER_EXPIRED),
        ({"max_fee_bps": 0}, 1, MAKER_FEE_MAX),
        ({"quantity": 1}, 2, MAKER_OVERFILL),
    ],
)
def test_fill_order_reverts_when_invalid(exchange, orders, alice, bob, kw, quantity, reason):
    maker, sig = orders.signed(alice, is_buy=False, **kw)
    with ape.reverts(exchange.ExchangeFillRejected, orderHash=_hash(orders, maker), reason=reason):
        exchange.fillOrder(maker.as_tuple(), sig, quantity, MAX_TAKER_FEE, sender=bob)


def test_fill_order_reverts_on_bad_signature_or_funds(exchange, orders, alice, bob, accounts):
    maker = orders.make(alice, is_buy=False)
    h = _hash(orders, maker)
    with ape.reverts(exchange.ExchangeFillRejected, orderHash=h, reason=MAKER_SIG):
        exchange.fillOrder(
            maker.as_tuple(),
            orders.sign(bob, orders.make(bob, is_buy=False)),
            1,
            MAX_TAKER_FEE,
            sender=bob,
        )
    with ape.reverts(exchange.ExchangeFillRejected, orderHash=h, reason=TAKER_FUNDS):
        exchange.fillOrder(
            maker.as_tuple(), orders.sign(alice, maker), 1, MAX_TAKER_FEE, sender=accounts[5]
        )
    poor = orders.signed(accounts[5], is_buy=False)
    with ape.reverts(
        exchange.ExchangeFillRejected, orderHash=_hash(orders, poor[0]), reason=MAKER_FUNDS
    ):
        exchange.fillOrder(poor[0].as_tuple(), poor[1], 1, MAX_TAKER_FEE, sender=bob)


def test_direct_fill_and_relayer_race_never_overfill(exchange, operator, orders, alice, bob, carol):
    maker = orders.signed(alice, is_buy=False, quantity=3)
    exchange.fillOrder(maker[0].as_tuple(), maker[1], 2, MAX_TAKER_FEE, sender=carol)
    receipt = exchange.settle(
        [orders.match(maker, orders.signed(bob, is_buy=True), 2)], sender=operator
    )
    assert [s[2] for s in _skips(exchange, receipt)] == [MAKER_OVERFILL]
    receipt = exchange.settle(
        [orders.match(maker, orders.signed(bob, is_buy=True), 1)], sender=operator
    )
    assert len(_fills(exchange, receipt)) == 1
    assert exchange.filled(_hash(orders, maker[0])) == 3


# ---------------------------------------------------------------------------------- pause


def test_pause_stops_settle_fill_and_deposit_but_not_withdrawals(
    exchange, deployer, operator, orders, base, alice, bob, chain
):
    exchange.requestWithdrawal(base, 10, sender=alice)
    exchange.pause(sender=deployer)
    maker = orders.signed(alice, is_buy=False)
    with ape.reverts(exchange.EnforcedPause):
        exchange.settle([orders.match(maker, orders.signed(bob, is_buy=True), 1)], sender=operator)
    with ape.reverts(exchange.EnforcedPause):
        exchange.fillOrder(maker[0].as_tuple(), maker[1], 1, MAX_TAKER_FEE, sender=bob)
    with ape.reverts(exchange.EnforcedPause):
        exchange.deposit(base, 1, sender=alice)
    with ape.reverts(exchange.EnforcedPause):
        exchange.depositETH(sender=alice, value=1)
    exchange.requestWithdrawal(base, 20, sender=bob)
    chain.pending_timestamp += 700
    before = base.balanceOf(bob)
    exchange.withdraw(base, sender=bob)
    assert base.balanceOf(bob) == before + 20
    exchange.unpause(sender=deployer)
    exchange.fillOrder(maker[0].as_tuple(), maker[1], 1, MAX_TAKER_FEE, sender=bob)


def test_pause_is_role_gated(exchange, alice):
    with ape.reverts(
        exchange.AccessControlUnauthorizedAccount, account=alice, neededRole=exchange.PAUSER_ROLE()
    ):
        exchange.pause(sender=alice)


def test_eip1271_signature_is_checked_at_the_first_fill_only(
    exchange, operator, orders, base, quote, wallet, carol, bob
):
    """Documented (Seaport-like): a recorded fill proves the signature; revoking needs a cancel."""
    from relayer.orders import Order

    order = Order(wallet.address, MARKET_ID, False, PRICE, 4, FAR, 80, 0, 100)
    signed = (order, _sign_digest(carol, _hash(orders, order)))
    exchange.settle([orders.match(signed, orders.signed(bob, is_buy=True), 1)], sender=operator)
    wallet.setRejectAll(True, sender=carol)
    receipt = exchange.settle(
        [orders.match(signed, orders.signed(bob, is_buy=True), 1)], sender=operator
    )
    assert len(_fills(exchange, receipt)) == 1
    # The wallet cancels through its own call; then the order is dead.
    wallet.execute(exchange, exchange.cancelOrder.encode_input(order.as_tuple()), sender=carol)
    match = orders.match(signed, orders.signed(bob, is_buy=True), 1)
    _assert_skipped(
        exchange, operator, orders, match, MAKER_CANCELLED, [base, quote], [wallet, bob]
    )


def test_epoch_lanes_are_independent_per_market_and_global(
    exchange, operator, deployer, orders, base, quote, alice, bob
):
    # Markets 1..7 share the global epoch's storage word; 8+ live in other words.
    for market_id, epoch in ((2, 7), (7, 0xFFFFFFFF), (8, 5), (9, 6), (2**32 - 1, 9)):
        exchange.advanceMarketEpoch(market_id, epoch, sender=alice)
    exchange.advanceEpoch(3, sender=alice)
    expected = {1: 0, 2: 7, 3: 0, 7: 0xFFFFFFFF, 8: 5, 9: 6, 10: 0, 15: 0, 16: 0, 2**32 - 1: 9}
    assert {m: exchange.marketEpoch(alice, m) for m in expected} == expected
    assert exchange.epoch(alice) == 3
    assert exchange.marketEpoch(bob, 2) == 0 and exchange.epoch(bob) == 0
    with ape.reverts(exchange.ExchangeMarketUnknown, marketId=0):
        exchange.advanceMarketEpoch(0, 10, sender=alice)
    # Market 9 (second word): an order below its epoch is stale, one at it settles.
    exchange.createMarket(9, base, quote, 10**15, 10, 1, 0, 0, sender=deployer)
    match = orders.match(
        orders.signed(alice, is_buy=False, market_id=9, epoch=5),
        orders.signed(bob, is_buy=True, market_id=9),
        1,
    )
    receipt = exchange.settle([match], sender=operator)
    assert [s[2] for s in _skips(exchange, receipt)] == [MAKER_EPOCH]
    match = orders.match(
        orders.signed(alice, is_buy=False, market_id=9, epoch=6),
        orders.signed(bob, is_buy=True, market_id=9),
        1,
    )
    assert len(_fills(exchange, exchange.settle([match], sender=operator))) == 1
    # Market 1: only the global epoch (3) applies.
    match = orders.match(
        orders.signed(alice, is_buy=False, epoch=2), orders.signed(bob, is_buy=True), 1
    )
    _assert_skipped(exchange, operator, orders, match, MAKER_EPOCH, [base, quote], [alice, bob])
    match = orders.match(
        orders.signed(alice, is_buy=False, epoch=3), orders.signed(bob, is_buy=True), 1
    )
    assert len(_fills(exchange, exchange.settle([match], sender=operator))) == 1


# ------------------------------------------------------- fillOrder: the taker's fee bound


def test_fill_order_settles_at_exactly_the_taker_fee_bound(exchange, orders, market, alice, bob):
    maker, sig = orders.signed(alice, is_buy=False, quantity=2)
    receipt = exchange.fillOrder(maker.as_tuple(), sig, 2, market.taker_fee_bps, sender=bob)
    (event,) = _fills(exchange, receipt)
    assert event.takerFee == fill_amounts(market, maker, 2).taker_fee


def test_fill_order_refuses_a_taker_fee_raised_above_the_callers_bound(
    exchange, deployer, orders, base, quote, alice, bob
):
    """An admin fee change mined first (front-running the fill) cannot charge the taker more."""
    maker, sig = orders.signed(alice, is_buy=False, quantity=2)
    exchange.updateMarket(MARKET_ID, 10, 21, 1, True, sender=deployer)
    before = _balances(exchange, [base, quote], [alice, bob])
    h = _hash(orders, maker)
    with ape.reverts(exchange.ExchangeFillRejected, orderHash=h, reason=TAKER_FEE_MAX):
        exchange.fillOrder(maker.as_tuple(), sig, 2, 20, sender=bob)
    assert _balances(exchange, [base, quote], [alice, bob]) == before
    assert exchange.filled(h) == 0
    # A bound of zero accepts only a fee-free market.
    with ape.reverts(exchange.ExchangeFillRejected, orderHash=h, reason=TAKER_FEE_MAX):
        exchange.fillOrder(maker.as_tuple(), sig, 2, 0, sender=bob)
    exchange.updateMarket(MARKET_ID, 10, 0, 1, True, sender=deployer)
    (event,) = _fills(exchange, exchange.fillOrder(maker.as_tuple(), sig, 2, 0, sender=bob))
    assert event.takerFee == 0


# ----------------------------------------------------- batches: market cache, fee accrual


def test_batch_over_two_markets_accrues_each_markets_fees_exactly(
    exchange, operator, deployer, orders, market, base, quote, alice, bob, carol
):
    """Fees accrue in memory per market and are written when the batch moves to another
    market and at its end; a skipped match in between accrues nothing."""
    from relayer.orders import Market

    exchange.createMarket(2, base, quote, 10**16, 1, 1, 30, 50, sender=deployer)
    market2 = Market(2, base.address, quote.address, 10**16, 1, 1, 30, 50)
    a = orders.match(orders.signed(alice, is_buy=False), orders.signed(bob, is_buy=True), 3)
    b = orders.match(
        orders.signed(carol, is_buy=True, market_id=2, price=2_000),
        orders.signed(bob, is_buy=False, market_id=2, price=1_999),
        4,
    )
    skipped = orders.match(orders.signed(alice, is_buy=False), orders.signed(bob, is_buy=False), 1)
    c = orders.match(orders.signed(bob, is_buy=True), orders.signed(carol, is_buy=False), 5)
    before1, before2 = exchange.market(MARKET_ID), exchange.market(2)
    receipt = exchange.settle([a, b, skipped, c], sender=operator)
    assert len(_fills(exchange, receipt)) == 3
    assert [s[2] for s in _skips(exchange, receipt)] == [SIDES_NOT_OPPOSITE]
    fa = fill_amounts(market, _order_of(a[0]), 3)
    fb = fill_amounts(market2, _order_of(b[0]), 4)
    fc = fill_amounts(market, _order_of(c[0]), 5)
    after1, after2 = exchange.market(MARKET_ID), exchange.market(2)
    # a: maker sells (maker fee in quote, taker fee in base); c: maker buys (the reverse).
    assert after1.accruedBaseFees - before1.accruedBaseFees == fa.taker_fee + fc.maker_fee
    assert after1.accruedQuoteFees - before1.accruedQuoteFees == fa.maker_fee + fc.taker_fee
    # b: maker (carol) buys: maker fee in base, taker fee in quote.
    assert after2.accruedBaseFees - before2.accruedBaseFees == fb.maker_fee
    assert after2.accruedQuoteFees - before2.accruedQuoteFees == fb.taker_fee


def test_sweep_batch_moves_exact_balances_and_fees(
    exchange, operator, orders, market, base, quote, alice, bob
):
    """One taker order filling several maker orders of one account in one batch (the
    repeated balance slots and the taker's growing fill stay exact)."""
    taker = orders.signed(bob, is_buy=True, quantity=12, price=PRICE + 7)
    makers = [orders.signed(alice, is_buy=False, quantity=q) for q in (1, 2, 3, 6)]
    before = _balances(exchange, [base, quote], [alice, bob])
    fees_before = exchange.market(MARKET_ID)
    receipt = exchange.settle(
        [orders.match(m, taker, m[0].quantity_lots) for m in makers], sender=operator
    )
    assert len(_fills(exchange, receipt)) == 4
    assert exchange.filled(_hash(orders, taker[0])) == 12
    parts = [fill_amounts(market, m[0], m[0].quantity_lots) for m in makers]
    base_moved = sum(p.base_amount for p in parts)
    quote_moved = sum(p.quote_amount for p in parts)
    maker_fees = sum(p.maker_fee for p in parts)
    taker_fees = sum(p.taker_fee for p in parts)
    after = _balances(exchange, [base, quote], [alice, bob])
    assert (
        after[(base.address, alice.address)] == before[(base.address, alice.address)] - base_moved
    )
    assert (
        after[(quote.address, alice.address)]
        == before[(quote.address, alice.address)] + quote_moved - maker_fees
    )
    assert (
        after[(base.address, bob.address)]
        == before[(base.address, bob.address)] + base_moved - taker_fees
    )
    assert after[(quote.address, bob.address)] == before[(quote.address, bob.address)] - quote_moved
    info = exchange.market(MARKET_ID)
    assert info.accruedBaseFees - fees_before.accruedBaseFees == taker_fees
    assert info.accruedQuoteFees - fees_before.accruedQuoteFees == maker_fees


# ----------------------------------------------------------- EIP-1271: hostile signers

HONEST, BURN_GAS, REVERT, SHORT_RETURN, WRONG_MAGIC, DIRTY_MAGIC, RETURN_BOMB = range(7)


@pytest.fixture
def hostile(project, deployer, carol, exchange, base, quote):
    """A contract signer that misbehaves on demand, with base and quote in the vault."""
    w = deployer.deploy(project.HostileERC1271Wallet, carol)
    for token in (base, quote):
        amount = 10**24
        token.mint(w, amount, sender=deployer)
        w.execute(token, token.approve.encode_input(exchange, amount), sender=carol)
        w.execute(exchange, exchange.deposit.encode_input(token, amount), sender=carol)
    return w


def _hostile_match(orders, wallet, bob, salt):
    from relayer.orders import Order

    order = Order(wallet.address, MARKET_ID, False, PRICE, 4, FAR, salt, 0, 100)
    return orders.match((order, b"\x01" * 65), orders.signed(bob, is_buy=True), 1)


@pytest.mark.parametrize("mode", [BURN_GAS, REVERT, SHORT_RETURN, WRONG_MAGIC, DIRTY_MAGIC])
def test_hostile_eip1271_signer_is_skipped_and_the_rest_of_the_batch_settles(
    exchange, operator, orders, base, quote, hostile, carol, alice, bob, mode
):
    hostile.setMode(mode, sender=carol)
    bad = _hostile_match(orders, hostile, bob, 900 + mode)
    good = orders.match(orders.signed(alice, is_buy=False), orders.signed(bob, is_buy=True), 2)
    before = _balances(exchange, [base, quote], [hostile])
    receipt = exchange.settle([bad, good, bad], sender=operator)
    bad_hashes = (_hash(orders, _order_of(bad[0])), _hash(orders, _order_of(bad[2])))
    assert _skips(exchange, receipt) == [(*bad_hashes, MAKER_SIG)] * 2
    assert [e.maker for e in _fills(exchange, receipt)] == [alice.address]
    assert _balances(exchange, [base, quote], [hostile]) == before
    assert exchange.filled(bad_hashes[0]) == 0
    if mode == BURN_GAS:
        # Each of the two checks burnt at most its cap; the batch did not run dry.
        assert receipt.gas_used < 2 * exchange.ERC1271_GAS_LIMIT() + 250_000


def test_eip1271_return_bomb_costs_the_signer_not_the_batch(
    exchange, operator, orders, hostile, carol, bob
):
    """100 kB of return data that starts with the magic value: valid, and only its first
    word is copied."""
    hostile.setMode(RETURN_BOMB, sender=carol)
    receipt = exchange.settle([_hostile_match(orders, hostile, bob, 990)], sender=operator)
    assert [e.maker for e in _fills(exchange, receipt)] == [hostile.address]
    assert receipt.gas_used < 250_000


def test_honest_contract_signer_settles_under_the_gas_cap(exchange, operator, orders, hostile, bob):
    receipt = exchange.settle([_hostile_match(orders, hostile, bob, 991)], sender=operator)
    assert [e.maker for e in _fills(exchange, receipt)] == [hostile.address]


def test_starving_an_eip1271_check_of_gas_reverts_instead_of_skipping(
    exchange, operator, orders, hostile, bob
):
    """With too little gas for the full cap the batch reverts: a sender cannot get an honest
    contract signer's match skipped as 'signature invalid' by under-funding the call."""
    match = _hostile_match(orders, hostile, bob, 992)
    with ape.reverts(exchange.ExchangeSignatureCheckGasTooLow):
        exchange.settle([match], sender=operator, gas=200_000)
    receipt = exchange.settle([match], sender=operator)
    assert len(_fills(exchange, receipt)) == 1


# ------------------------------------------------------ orders decoded once per match


@pytest.mark.parametrize(
    ("field", "dirty"),
    [
        (0, 1 << 160),  # maker: an address
        (1, 1 << 32),  # marketId: uint32
        (2, 2),  # isBuy: a bool is 0 or 1
        (3, 1 << 64),  # priceTicks: uint64
        (6, 1 << 64),  # salt: uint64
        (7, 1 << 32),  # epoch: uint32
        (8, 1 << 16),  # maxFeeBps: uint16
    ],
)
def test_settle_reverts_on_an_order_field_outside_its_type(
    exchange, operator, orders, alice, bob, field, dirty
):
    """Orders are copied from calldata once and range-checked as ABI decoding would: a dirty
    word reverts the call (it could never carry a valid signature anyway)."""
    match = orders.match(orders.signed(alice, is_buy=False), orders.signed(bob, is_buy=True), 1)
    data = bytearray(exchange.settle.encode_input([match]))
    # selector, array offset, length, offset of match 0, then the maker order's nine words
    at = 4 + 3 * 32 + field * 32
    word = int.from_bytes(data[at : at + 32], "big") | dirty
    data[at : at + 32] = word.to_bytes(32, "big")
    with ape.reverts():
        operator.call(_raw_tx(exchange, operator, bytes(data)))
    receipt = exchange.settle([match], sender=operator)
    assert len(_fills(exchange, receipt)) == 1


def _raw_tx(exchange, sender, data):
    from ape import networks

    return networks.provider.network.ecosystem.create_transaction(
        receiver=exchange.address, data=data, gas_limit=1_000_000, sender=sender.address
    )


def test_three_of_three_custody_multisig_trades_under_the_eip1271_gas_cap(
    project, deployer, exchange, operator, orders, base, quote, bob, accounts, chain
):
    """The custody multisig (contracts/custody) signs orders through EIP-1271 well within
    ERC1271_GAS_LIMIT, with every owner's signature checked."""
    from offchain.custody.multisig import (
        MultisigTransaction,
        Operation,
        ecdsa,
        message_typed_data,
        pack_signatures,
        transaction_typed_data,
    )
    from relayer.orders import Order
    from tigerex.eip712 import sign_typed_data

    owners = sorted(accounts[5:8], key=lambda a: int(a.address, 16))
    factory = deployer.deploy(project.MultisigFactory)
    receipt = factory.createWallet([o.address for o in owners], 3, 0, sender=deployer)
    wallet = project.MultisigWallet.at(receipt.events[-1].wallet)

    def execute(to, data):
        tx = MultisigTransaction(
            wallet=wallet.address,
            chain_id=chain.chain_id,
            to=str(to),
            value=0,
            data=bytes(data),
            operation=Operation.CALL,
            nonce=wallet.call_view_method("nonce"),
        )
        typed = transaction_typed_data(tx)
        sigs = pack_signatures(
            [ecdsa(o.address, sign_typed_data(typed, o.private_key)) for o in owners]
        )
        wallet.execTransaction(tx.to, 0, tx.data, 0, sigs, sender=owners[0])

    base.mint(wallet, 10 * LOT, sender=deployer)
    execute(base, base.approve.encode_input(exchange, 10 * LOT))
    execute(exchange, exchange.deposit.encode_input(base, 10 * LOT))

    order = Order(wallet.address, MARKET_ID, False, PRICE, 4, FAR, 4242, 0, 100)
    digest = _hash(orders, order)
    typed = message_typed_data(wallet.address, chain.chain_id, digest)
    signature = pack_signatures(
        [ecdsa(o.address, sign_typed_data(typed, o.private_key)) for o in owners]
    )
    gas_check = wallet.isValidSignature.estimate_gas_cost(digest, signature, sender=deployer)
    assert gas_check < exchange.ERC1271_GAS_LIMIT() // 2
    receipt = exchange.settle(
        [orders.match((order, signature), orders.signed(bob, is_buy=True), 3)], sender=operator
    )
    assert [e.maker for e in _fills(exchange, receipt)] == [wallet.address]
    assert exchange.balanceOf(base, wallet) == 7 * LOT
    # Two owners of three are not enough: skipped.
    order2 = Order(wallet.address, MARKET_ID, False, PRICE, 4, FAR, 4243, 0, 100)
    typed2 = message_typed_data(wallet.address, chain.chain_id, _hash(orders, order2))
    short = pack_signatures(
        [ecdsa(o.address, sign_typed_data(typed2, o.private_key)) for o in owners[:2]]
    )
    match = orders.match((order2, short), orders.signed(bob, is_buy=True), 1)
    _assert_skipped(exchange, operator, orders, match, MAKER_SIG, [base, quote], [wallet, bob])


def test_epochs_in_one_batch_are_checked_per_order_and_per_market(
    exchange, operator, deployer, orders, base, quote, alice, bob
):
    """The epoch floor remembered between matches is per (maker, market); each order is
    still compared with it."""
    exchange.createMarket(9, base, quote, LOT, TICK, 1, 10, 20, sender=deployer)
    exchange.advanceEpoch(3, sender=alice)
    exchange.advanceMarketEpoch(9, 5, sender=alice)
    batch = [
        orders.match(
            orders.signed(alice, is_buy=False, epoch=3), orders.signed(bob, is_buy=True), 1
        ),
        orders.match(
            orders.signed(alice, is_buy=False, epoch=2), orders.signed(bob, is_buy=True), 1
        ),
        orders.match(
            orders.signed(alice, is_buy=False, epoch=4, market_id=9),
            orders.signed(bob, is_buy=True, market_id=9),
            1,
        ),
        orders.match(
            orders.signed(alice, is_buy=False, epoch=5, market_id=9),
            orders.signed(bob, is_buy=True, market_id=9),
            1,
        ),
        orders.match(
            orders.signed(bob, is_buy=False), orders.signed(alice, is_buy=True, epoch=2), 1
        ),
        orders.match(
            orders.signed(bob, is_buy=False), orders.signed(alice, is_buy=True, epoch=3), 1
        ),
    ]
    receipt = exchange.settle(batch, sender=operator)
    assert [s[2] for s in _skips(exchange, receipt)] == [MAKER_EPOCH, MAKER_EPOCH, TAKER_EPOCH]
    assert [(e.marketId, e.maker) for e in _fills(exchange, receipt)] == [
        (MARKET_ID, alice.address),
        (9, alice.address),
        (MARKET_ID, bob.address),
    ]


def test_order_of_the_zero_address_never_passes_a_failed_recovery(
    exchange, operator, orders, base, quote, bob
):
    from relayer.orders import Order

    zero = "0x0000000000000000000000000000000000000000"
    order = Order(zero, MARKET_ID, False, PRICE, 4, FAR, 31337, 0, 100)
    for bad in (b"", b"\x00" * 65, b"\x01" * 64 + b"\x1b"):
        match = orders.match((order, bad), orders.signed(bob, is_buy=True), 1)
        receipt = exchange.settle([match], sender=operator)
        assert [s[2] for s in _skips(exchange, receipt)] == [MAKER_SIG]
