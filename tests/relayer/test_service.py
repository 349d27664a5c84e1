"""RelayerService on a real Anvil with the deployed suite: intake, matching, journal, funds."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from eth_account import Account
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from relayer import service as service_module
from relayer.cancels import CancelOrders, sign_cancel
from relayer.errors import OrderRejected, RelayerUnavailable
from relayer.models import (
    FILL_PENDING,
    FILL_SETTLED,
    ORDER_CANCELLED,
    ORDER_FILLED,
    ORDER_OPEN,
    RelayerCancel,
    RelayerFill,
    RelayerOrder,
)
from relayer.orders import sign_order
from relayer.service import OrderAck, RelayerService, Submission
from tests.relayer.conftest import (
    LOT,
    PRICE,
    TICK,
    USDC,
    WETH,
    deposit,
    make_order,
    make_service,
    send,
    signed,
)

# A direct on-chain filler's bound on the taker fee: Exchange.MAX_FEE_BPS accepts any fee a market
# can charge.
ANY_TAKER_FEE_BPS = 100

pytestmark = [pytest.mark.anvil, pytest.mark.anyio]

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@pytest.fixture
def seller(funded_accounts):
    return funded_accounts[1]


@pytest.fixture
def buyer(funded_accounts):
    return funded_accounts[2]


@pytest.fixture
def funded(suite, w3, seller, buyer):
    """The seller has 1 tWETH and the buyer 10,000 tUSDC in the vault."""
    deposit(suite, w3, seller.address, "tWETH", WETH)
    deposit(suite, w3, buyer.address, "tUSDC", 10_000 * USDC)


def _journal(service: RelayerService):
    with service.factory() as session:
        orders = {o.order_hash: o for o in session.scalars(select(RelayerOrder))}
        fills = list(session.scalars(select(RelayerFill).order_by(RelayerFill.id)))
        cancels = list(session.scalars(select(RelayerCancel)))
    return orders, fills, cancels


async def _accept(service: RelayerService, *subs: Submission) -> list[OrderAck]:
    results = await service.submit(list(subs))
    for result in results:
        assert isinstance(result, OrderAck), result
    return results  # type: ignore[return-value]


async def _reject(service: RelayerService, sub: Submission) -> OrderRejected:
    before = _journal(service)
    reserved = dict(service._reserved)
    [result] = await service.submit([sub])
    assert isinstance(result, OrderRejected), result
    # A rejection changes nothing: journal and reservations as before.
    after = _journal(service)
    assert {h: o.status for h, o in after[0].items()} == {h: o.status for h, o in before[0].items()}
    assert len(after[1]) == len(before[1])
    assert {k: v for k, v in service._reserved.items() if v} == {
        k: v for k, v in reserved.items() if v
    }
    return result


# ------------------------------------------------------------------------------------ match


async def test_two_makers_match_and_the_fill_is_journaled_pending(relayer, funded, seller, buyer):
    ask = signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=10))
    [rest] = await _accept(relayer, ask)
    assert rest.status == ORDER_OPEN and rest.remaining_lots == 10 and not rest.fills

    bid = signed(
        relayer, buyer, make_order(buyer, is_buy=True, quantity_lots=4, price_ticks=PRICE + 50)
    )
    [take] = await _accept(relayer, bid)

    assert take.status == ORDER_FILLED and take.matched_lots == 4
    [fill] = take.fills
    assert (fill.price_ticks, fill.quantity_lots, fill.taker_is_buy) == (PRICE, 4, True)
    assert (fill.maker, fill.taker) == (seller.address, buyer.address)

    orders, fills, _ = _journal(relayer)
    assert orders[rest.order_hash].status == ORDER_OPEN
    assert orders[rest.order_hash].matched_lots == 4
    assert orders[take.order_hash].status == ORDER_FILLED
    assert [(f.maker_order_hash, f.taker_order_hash, f.quantity_lots, f.status) for f in fills] == [
        (rest.order_hash, take.order_hash, 4, FILL_PENDING)
    ]
    # The journaled hash is the contract's hashOrder.
    exchange = relayer.exchange
    assert (
        orders[take.order_hash].order_hash
        == "0x" + bytes(exchange.functions.hashOrder(bid.order.as_tuple()).call()).hex()
    )

    book = relayer.depth(1, 5)
    assert book["asks"] == [(PRICE, 6, 1)] and book["bids"] == []

    # Reservations: the seller's 6 open lots + 4 unsettled; the buyer pays the maker's price.
    [seller_weth] = [r for r in await relayer.vault(seller.address) if r["reserved_open_orders"]]
    assert seller_weth["reserved_open_orders"] == 6 * LOT
    assert seller_weth["reserved_unsettled_fills"] == 4 * LOT
    buyer_rows = {r["token"]: r for r in await relayer.vault(buyer.address)}
    usdc = relayer.markets[1].market.quote
    assert buyer_rows[usdc]["reserved_unsettled_fills"] == 4 * PRICE * TICK
    assert buyer_rows[usdc]["reserved_open_orders"] == 0


async def test_settled_fills_release_their_reservation(relayer, funded, seller, buyer):
    [ask] = await _accept(relayer, signed(relayer, seller, make_order(seller, is_buy=False)))
    [bid] = await _accept(
        relayer, signed(relayer, buyer, make_order(buyer, is_buy=True, quantity_lots=10))
    )
    weth = relayer.markets[1].market.base
    assert relayer._reserved[(seller.address, weth)] == 10 * LOT
    # What the settlement worker does once the fill is final on chain.
    with relayer.factory() as session, session.begin():
        for fill in session.scalars(select(RelayerFill)):
            fill.status = FILL_SETTLED
    await relayer.sweep()
    assert relayer._reserved[(seller.address, weth)] == 0
    assert ask.status == ORDER_OPEN and bid.status == ORDER_FILLED


async def test_time_in_force_ioc_fok_post_only_and_market(relayer, funded, seller, buyer):
    await _accept(
        relayer, signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=5))
    )
    # FOK larger than the book: killed, nothing matched.
    fok = make_order(buyer, is_buy=True, quantity_lots=8)
    [killed] = await _accept(relayer, signed(relayer, buyer, fok, time_in_force="fok"))
    assert killed.status == "expired" and killed.matched_lots == 0
    # Post-only that would take: refused with a stable code, nothing journaled.
    post = make_order(buyer, is_buy=True, quantity_lots=1)
    err = await _reject(relayer, signed(relayer, buyer, post, time_in_force="post_only"))
    assert err.code == "post_only_would_take"
    # IOC: takes 5, the rest expires.
    ioc = make_order(buyer, is_buy=True, quantity_lots=7)
    [partial] = await _accept(relayer, signed(relayer, buyer, ioc, time_in_force="ioc"))
    assert (partial.status, partial.matched_lots, partial.remaining_lots) == ("expired", 5, 0)
    # Market order with a worst price on an empty ask side: expires, reserves nothing after.
    market = make_order(buyer, is_buy=True, quantity_lots=3, price_ticks=PRICE * 2)
    [gone] = await _accept(
        relayer, signed(relayer, buyer, market, order_type="market", time_in_force="ioc")
    )
    assert gone.status == "expired"
    usdc = relayer.markets[1].market.quote
    assert relayer._reserved[(buyer.address, usdc)] == 5 * PRICE * TICK  # the unsettled fill


# ------------------------------------------------------------------------------ rejections


async def test_off_grid_zero_price_and_quantity_below_minimum_are_rejected(relayer, funded, seller):
    zero_price = make_order(seller, is_buy=False, price_ticks=0)
    assert (await _reject(relayer, signed(relayer, seller, zero_price))).code == "price_invalid"
    zero_qty = make_order(seller, is_buy=False, quantity_lots=0)
    assert (await _reject(relayer, signed(relayer, seller, zero_qty))).code == "quantity_invalid"
    huge = make_order(seller, is_buy=False, quantity_lots=2**50)
    assert (await _reject(relayer, signed(relayer, seller, huge))).code == "quantity_invalid"


async def test_unknown_market_expired_and_fee_cap_are_rejected(relayer, funded, seller):
    unknown = make_order(seller, is_buy=False, market_id=99)
    assert (await _reject(relayer, signed(relayer, seller, unknown))).code == "market_unknown"
    expired = make_order(seller, is_buy=False, expiry=int(time.time()) - 1)
    assert (await _reject(relayer, signed(relayer, seller, expired))).code == "order_expired"
    low_fee = make_order(seller, is_buy=False, max_fee_bps=5)
    assert (await _reject(relayer, signed(relayer, seller, low_fee))).code == "fee_above_signed_max"


async def test_orders_signed_for_another_chain_or_exchange_are_rejected(relayer, funded, seller):
    order = make_order(seller, is_buy=False)
    other_chain = sign_order(order, seller.key, relayer.chain_id + 1, relayer.exchange_address)
    err = await _reject(relayer, Submission(order, other_chain))
    assert err.code == "signature_invalid"
    other_exchange = sign_order(order, seller.key, relayer.chain_id, "0x" + "11" * 20)
    err = await _reject(relayer, Submission(order, other_exchange))
    assert err.code == "signature_invalid"
    # A client that names its domain gets the precise reason.
    good = sign_order(order, seller.key, relayer.chain_id, relayer.exchange_address)
    err = await _reject(relayer, Submission(order, good, chain_id=relayer.chain_id + 1))
    assert err.code == "domain_mismatch"
    err = await _reject(relayer, Submission(order, good, exchange="0x" + "11" * 20))
    assert err.code == "domain_mismatch"


async def test_malleated_high_s_signature_is_rejected(relayer, funded, seller):
    order = make_order(seller, is_buy=False)
    signature = sign_order(order, seller.key, relayer.chain_id, relayer.exchange_address)
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    high_s = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    err = await _reject(relayer, Submission(order, high_s))
    assert err.code == "signature_invalid" and "high-s" in err.message
    # Someone else's signature of the same order.
    forged = sign_order(
        order.__class__(**{**_fields(order), "maker": seller.address}),
        seller.key,
        relayer.chain_id,
        relayer.exchange_address,
    )
    stranger = Account.create()
    err = await _reject(
        relayer,
        Submission(
            make_order(stranger, is_buy=False, salt=order.salt),
            forged,
        ),
    )
    assert err.code == "signature_invalid"


def _fields(order):
    return {
        "maker": order.maker,
        "market_id": order.market_id,
        "is_buy": order.is_buy,
        "price_ticks": order.price_ticks,
        "quantity_lots": order.quantity_lots,
        "expiry": order.expiry,
        "salt": order.salt,
        "epoch": order.epoch,
        "max_fee_bps": order.max_fee_bps,
    }


async def test_insufficient_funds_and_reservations(relayer, funded, seller, funded_accounts):
    broke = funded_accounts[3]  # no vault deposit
    err = await _reject(relayer, signed(relayer, broke, make_order(broke, is_buy=False)))
    assert err.code == "insufficient_funds"
    # 1 tWETH = 1000 lots in the vault: 600 + 400 fit, one more lot does not.
    await _accept(
        relayer, signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=600))
    )
    await _accept(
        relayer, signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=400))
    )
    err = await _reject(
        relayer, signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=1))
    )
    assert err.code == "insufficient_funds"
    assert err.details["reserved"] == str(1000 * LOT)


async def test_a_withdrawal_request_cancels_the_newest_orders_it_uncovers(
    relayer, suite, w3, funded, seller
):
    [old] = await _accept(
        relayer, signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=300))
    )
    [new] = await _accept(
        relayer, signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=300))
    )
    exchange = suite.contract("Exchange")
    weth = suite.contract("tWETH").address
    send(w3, exchange.functions.requestWithdrawal(weth, 500 * LOT), seller.address)
    await relayer.sweep()
    orders, _, cancels = _journal(relayer)
    assert orders[new.order_hash].status == ORDER_CANCELLED
    assert orders[old.order_hash].status == ORDER_OPEN
    assert [(c.order_hash, c.reason) for c in cancels] == [(new.order_hash, "funds")]


async def test_replayed_duplicate_and_chain_cancelled_orders_are_rejected(
    relayer, suite, w3, funded, seller, buyer
):
    exchange = suite.contract("Exchange")
    sub = signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=5))
    await _accept(relayer, sub)
    assert (await _reject(relayer, sub)).code == "order_exists"

    # Filled directly on chain (the relayer never saw the order): once the relayer followed
    # the block (the sweep), a replay is refused.
    direct = make_order(seller, is_buy=False, quantity_lots=5)
    signature = sign_order(direct, seller.key, relayer.chain_id, relayer.exchange_address)
    send(
        w3,
        exchange.functions.fillOrder(direct.as_tuple(), signature, 2, ANY_TAKER_FEE_BPS),
        buyer.address,
    )
    await relayer.sweep()
    err = await _reject(relayer, Submission(direct, signature))
    assert err.code == "order_filled_on_chain" and err.details["filled_lots"] == 2

    cancelled = make_order(seller, is_buy=False)
    send(w3, exchange.functions.cancelOrder(cancelled.as_tuple()), seller.address)
    await relayer.sweep()
    err = await _reject(relayer, signed(relayer, seller, cancelled))
    assert err.code == "order_cancelled_on_chain"

    send(w3, exchange.functions.advanceEpoch(3), seller.address)
    stale = make_order(seller, is_buy=False, epoch=2)
    assert (await _reject(relayer, signed(relayer, seller, stale))).code == "order_epoch_stale"
    await _accept(relayer, signed(relayer, seller, make_order(seller, is_buy=False, epoch=3)))


async def test_without_the_event_index_every_order_state_is_read_at_intake(
    suite, w3, anvil, database_url, funded, seller, buyer
):
    """order_state_from_events=false: filled/cancelled are read for each order, so an order
    filled or cancelled on chain a moment ago is refused with no sweep in between."""
    relayer = make_service(suite, w3, anvil, database_url, order_state_from_events=False)
    await relayer.start()
    try:
        exchange = suite.contract("Exchange")
        direct = make_order(seller, is_buy=False, quantity_lots=5)
        signature = sign_order(direct, seller.key, relayer.chain_id, relayer.exchange_address)
        send(
            w3,
            exchange.functions.fillOrder(direct.as_tuple(), signature, 2, ANY_TAKER_FEE_BPS),
            buyer.address,
        )
        err = await _reject(relayer, Submission(direct, signature))
        assert err.code == "order_filled_on_chain" and err.details["filled_lots"] == 2
        cancelled = make_order(seller, is_buy=False)
        send(w3, exchange.functions.cancelOrder(cancelled.as_tuple()), seller.address)
        err = await _reject(relayer, signed(relayer, seller, cancelled))
        assert err.code == "order_cancelled_on_chain"
    finally:
        await relayer.stop()


async def test_the_event_index_is_built_at_start_from_the_chain_history(
    relayer, suite, w3, anvil, database_url, funded, seller, buyer
):
    """A relayer that starts after an order was filled or cancelled on chain refuses it at
    once: the start-up scan reads every OrderFilled / OrderCancelled since the deploy block."""
    exchange = suite.contract("Exchange")
    direct = make_order(seller, is_buy=False, quantity_lots=5)
    signature = sign_order(direct, seller.key, relayer.chain_id, relayer.exchange_address)
    send(
        w3,
        exchange.functions.fillOrder(direct.as_tuple(), signature, 2, ANY_TAKER_FEE_BPS),
        buyer.address,
    )
    cancelled = make_order(seller, is_buy=False)
    send(w3, exchange.functions.cancelOrder(cancelled.as_tuple()), seller.address)
    restarted = make_service(suite, w3, anvil, database_url)
    await restarted.start()
    try:
        err = await _reject(restarted, Submission(direct, signature))
        assert err.code == "order_filled_on_chain"
        err = await _reject(restarted, signed(restarted, seller, cancelled))
        assert err.code == "order_cancelled_on_chain"
        # An order no event names is accepted without reading its state.
        await _accept(restarted, signed(restarted, seller, make_order(seller, is_buy=False)))
    finally:
        await restarted.stop()


async def test_an_order_cancelled_on_chain_between_validation_and_matching_is_refused(
    relayer, suite, w3, funded, seller
):
    """The index said "never named" at validation; the sweep then saw its OrderCancelled
    before the sequencer placed it: the sequencer sends it back for a chain read."""
    exchange = suite.contract("Exchange")
    order = make_order(seller, is_buy=False)
    validate = relayer._validate

    async def validate_then_cancel_on_chain(*args, **kwargs):  # type: ignore[no-untyped-def]
        checked = await validate(*args, **kwargs)
        assert [c.chain_read for c in checked] == [False]
        send(w3, exchange.functions.cancelOrder(order.as_tuple()), seller.address)
        await relayer.sweep()
        return checked

    relayer._validate = validate_then_cancel_on_chain  # type: ignore[method-assign]
    err = await _reject(relayer, signed(relayer, seller, order))
    assert err.code == "order_cancelled_on_chain"
    assert relayer.depth(1, 1)["asks"] == []


async def test_while_another_writer_holds_sqlite_the_commit_waits_in_a_thread(
    relayer, database_url, funded, seller
):
    """A commit on the event loop never waits for SQLite's write lock: it gives up at once and
    the same commit runs in a thread (which would wait: test_journal.py); the order is
    acknowledged after it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    other = sqlite3.connect(
        str(make_url(database_url).database), isolation_level=None, check_same_thread=False
    )
    attempts: list[tuple[bool, bool]] = []
    write = relayer.journal.write

    def recording_write(tx, *, wait_for_lock=True):  # type: ignore[no-untyped-def]
        done = write(tx, wait_for_lock=wait_for_lock)
        attempts.append((wait_for_lock, done))
        if not done:
            other.execute("COMMIT")  # the other writer finishes
        return done

    relayer.journal.write = recording_write  # type: ignore[method-assign]
    other.execute("BEGIN IMMEDIATE")
    try:
        [ack] = await _accept(relayer, signed(relayer, seller, make_order(seller, is_buy=False)))
    finally:
        other.close()
    assert attempts == [(False, False), (True, True)]
    assert _journal(relayer)[0][ack.order_hash].status == ORDER_OPEN


# ---------------------------------------------------------------------------------- cancels


async def test_gasless_cancel_takes_the_order_off_the_book(relayer, funded, seller, buyer):
    [ack] = await _accept(relayer, signed(relayer, seller, make_order(seller, is_buy=False)))
    digest = bytes.fromhex(ack.order_hash[2:])
    cancel = CancelOrders(seller.address, (digest,), int(time.time()) + 60)

    # Signed by someone else: refused, the order stays.
    wrong = sign_cancel(cancel, buyer.key, relayer.chain_id, relayer.exchange_address)
    with pytest.raises(OrderRejected) as info:
        await relayer.cancel_signed(cancel, wrong)
    assert info.value.code == "cancel_invalid"
    assert relayer.depth(1, 1)["asks"]

    good = sign_cancel(cancel, seller.key, relayer.chain_id, relayer.exchange_address)
    [result] = await relayer.cancel_signed(cancel, good)
    assert isinstance(result, OrderAck) and result.status == ORDER_CANCELLED
    assert relayer.depth(1, 1)["asks"] == []
    assert not any(relayer._reserved.values())
    orders, _, cancels = _journal(relayer)
    assert orders[ack.order_hash].status == ORDER_CANCELLED
    assert [c.reason for c in cancels] == ["maker"]
    # Again: not open any more.
    [again] = await relayer.cancel_signed(cancel, good)
    assert isinstance(again, OrderRejected) and again.code == "order_not_open"


async def test_on_chain_cancel_and_epoch_take_orders_off_the_book(
    relayer, suite, w3, funded, seller
):
    exchange = suite.contract("Exchange")
    first = make_order(seller, is_buy=False)
    [a] = await _accept(relayer, signed(relayer, seller, first))
    [b] = await _accept(relayer, signed(relayer, seller, make_order(seller, is_buy=False)))
    send(w3, exchange.functions.cancelOrder(first.as_tuple()), seller.address)
    await relayer.sweep()
    orders, _, _ = _journal(relayer)
    assert orders[a.order_hash].status == ORDER_CANCELLED
    assert orders[b.order_hash].status == ORDER_OPEN
    send(w3, exchange.functions.advanceEpoch(1), seller.address)
    await relayer.sweep()
    orders, _, cancels = _journal(relayer)
    assert orders[b.order_hash].status == ORDER_CANCELLED
    assert sorted(c.reason for c in cancels) == ["chain", "chain"]
    assert relayer.depth(1, 5)["asks"] == []


# ---------------------------------------------------------------------------------- restart


async def test_restart_rebuilds_the_same_book_from_snapshot_and_journal(
    relayer, suite, w3, anvil, database_url, funded, seller, buyer
):
    for i in range(3):
        await _accept(
            relayer,
            signed(
                relayer,
                seller,
                make_order(seller, is_buy=False, quantity_lots=10, price_ticks=PRICE + i),
            ),
        )
    await relayer.snapshot()  # snapshot after 3 orders; the rest comes from the journal
    await _accept(
        relayer,
        signed(
            relayer, buyer, make_order(buyer, is_buy=True, quantity_lots=15, price_ticks=PRICE + 1)
        ),
    )
    [rest] = await _accept(
        relayer,
        signed(
            relayer, buyer, make_order(buyer, is_buy=True, quantity_lots=5, price_ticks=PRICE - 10)
        ),
    )
    orders, _, _ = _journal(relayer)
    digest = bytes.fromhex(rest.order_hash[2:])
    cancel = CancelOrders(buyer.address, (digest,), int(time.time()) + 60)
    await relayer.cancel_signed(
        cancel, sign_cancel(cancel, buyer.key, relayer.chain_id, relayer.exchange_address)
    )
    before_hash = relayer.engines[1].state_hash()
    before_reserved = {k: v for k, v in relayer._reserved.items() if v}
    before_seq = relayer.book_seq[1]
    with relayer.factory() as session:
        fills_before = session.scalar(select(func.count()).select_from(RelayerFill))

    restarted = make_service(suite, w3, anvil, database_url)
    await restarted.start()
    try:
        assert restarted.engines[1].state_hash() == before_hash
        assert {k: v for k, v in restarted._reserved.items() if v} == before_reserved
        assert restarted.book_seq[1] == before_seq
        assert set(restarted._live) == set(relayer._live)
        with restarted.factory() as session:
            assert session.scalar(select(func.count()).select_from(RelayerFill)) == fills_before
        # It keeps matching where the old one stopped, with fresh seqs and fill ids.
        [take] = await _accept(
            restarted,
            signed(
                restarted,
                buyer,
                make_order(buyer, is_buy=True, quantity_lots=15, price_ticks=PRICE + 2),
            ),
        )
        assert take.matched_lots == 15
        assert take.seq > max(o.seq for o in orders.values())
    finally:
        await restarted.stop()


async def test_after_a_restart_an_order_already_journaled_is_still_refused(
    relayer, suite, w3, anvil, database_url, funded, seller
):
    """The duplicate check survives a restart: the new process knows every journaled hash
    (its filter is loaded from the journal) and confirms a possible duplicate in SQL."""
    cancelled = signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=5))
    [ack] = await _accept(relayer, cancelled)
    await relayer.cancel_orders([ack.order_hash], "maker")
    resting = signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=5))
    await _accept(relayer, resting)
    journaled = len(_journal(relayer)[0])

    restarted = make_service(suite, w3, anvil, database_url)
    await restarted.start()
    try:
        assert restarted._journaled.known.count == journaled
        assert not restarted._recent  # nothing in memory says it was seen
        assert (await _reject(restarted, cancelled)).code == "order_exists"
        assert (await _reject(restarted, resting)).code == "order_exists"
        await _accept(
            restarted, signed(restarted, seller, make_order(seller, is_buy=False, quantity_lots=5))
        )
    finally:
        await restarted.stop()


async def test_a_refused_commit_rebuilds_the_books_before_taking_requests_again(
    relayer, funded, seller, monkeypatch
):
    """While the journal can't be read back (database down), the relayer refuses requests as
    unavailable and keeps its whole book in place (no reader can meet a cleared engine); it
    retries the read, swaps the rebuilt books in at once, and then takes the same order."""
    [resting] = await _accept(
        relayer, signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=5))
    )
    committed = relayer.engines[1].state_hash()
    real_write, real_read = relayer.journal.write, relayer._read_journal
    reads: list[str] = []
    database_back = threading.Event()

    def refused_write(tx, *, wait_for_lock=True):
        raise OSError("disk full")

    def read_while_down():
        if not database_back.is_set():
            reads.append("refused")
            raise OSError("database unreachable")
        reads.append("read")
        return real_read()

    monkeypatch.setattr(service_module, "_REBUILD_RETRY_FIRST", 0.01)
    monkeypatch.setattr(service_module, "_REBUILD_RETRY_MAX", 0.02)
    monkeypatch.setattr(relayer.journal, "write", refused_write)
    monkeypatch.setattr(relayer, "_read_journal", read_while_down)
    late = signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=3))
    with pytest.raises(RelayerUnavailable):
        await relayer.submit([late])
    while len(reads) < 3:  # the read is retried while the database stays down
        await asyncio.sleep(0.01)
    assert not relayer.ready
    assert "rebuilding its books" in relayer.unavailable_reason
    with pytest.raises(RelayerUnavailable, match="rebuilding its books"):
        await relayer.submit([late])
    # The old book stays whole until the rebuilt one replaces it.
    assert relayer.depth(1, 5)["asks"] and relayer.live_order(resting.order_hash) is not None

    monkeypatch.setattr(relayer.journal, "write", real_write)
    database_back.set()
    while not relayer.ready:
        await asyncio.sleep(0.01)
    assert reads[-1] == "read" and reads.count("read") == 1
    assert relayer.engines[1].state_hash() == committed  # nothing of the refused step
    assert relayer.depth(1, 5)["asks"] == [(PRICE, 5, 1)]
    [ack] = await _accept(relayer, late)  # never journaled, so not a duplicate
    assert relayer.depth(1, 5)["asks"] == [(PRICE, 8, 2)]
    assert _journal(relayer)[0][ack.order_hash].status == ORDER_OPEN


async def test_an_on_chain_cancel_the_journal_refused_to_record_is_applied_by_the_next_sweep(
    relayer, suite, w3, funded, seller, monkeypatch
):
    """The sweep moves past a block only once everything it found there is done: a cancel
    the journal refused is read and applied again."""
    sub = signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=5))
    [ack] = await _accept(relayer, sub)
    send(w3, suite.contract("Exchange").functions.cancelOrder(sub.order.as_tuple()), seller.address)
    real_write = relayer.journal.write

    def refused_write(tx, *, wait_for_lock=True):
        raise OSError("disk full")

    monkeypatch.setattr(relayer.journal, "write", refused_write)
    with pytest.raises(RelayerUnavailable):
        await relayer.sweep()
    monkeypatch.setattr(relayer.journal, "write", real_write)
    while not relayer.ready:
        await asyncio.sleep(0.01)
    assert relayer.live_order(ack.order_hash) is not None  # the rebuilt book still has it
    await relayer.sweep()
    orders, _, cancels = _journal(relayer)
    assert orders[ack.order_hash].status == ORDER_CANCELLED
    assert [c.reason for c in cancels] == ["chain"]
    assert relayer.depth(1, 1)["asks"] == []


async def test_a_direct_on_chain_fill_takes_the_overfilled_order_off_the_book(
    relayer, suite, w3, funded, seller, buyer
):
    """On-chain-first: anyone may take a published order with fillOrder, bypassing the relayer."""
    sub = signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=10))
    [ack] = await _accept(relayer, sub)
    exchange = suite.contract("Exchange")
    send(
        w3,
        exchange.functions.fillOrder(sub.order.as_tuple(), sub.signature, 10, ANY_TAKER_FEE_BPS),
        buyer.address,
    )
    await relayer.sweep()
    orders, _, cancels = _journal(relayer)
    assert orders[ack.order_hash].status == ORDER_CANCELLED
    assert [c.reason for c in cancels] == ["chain"]
    assert relayer.depth(1, 1)["asks"] == []


async def test_a_restart_drops_orders_cancelled_on_chain_while_it_was_down(
    relayer, suite, w3, anvil, database_url, funded, seller
):
    sub = signed(relayer, seller, make_order(seller, is_buy=False))
    [ack] = await _accept(relayer, sub)
    await relayer.stop()
    send(w3, suite.contract("Exchange").functions.cancelOrder(sub.order.as_tuple()), seller.address)
    restarted = make_service(suite, w3, anvil, database_url)
    await restarted.start()
    try:
        orders, _, _ = _journal(restarted)
        assert orders[ack.order_hash].status == ORDER_CANCELLED
        assert restarted.depth(1, 1)["asks"] == []
    finally:
        await restarted.stop()


def _close_as_settlement_worker(service: RelayerService, order_hash: str, status: str) -> None:
    with service.factory() as session, session.begin():
        order = session.get(RelayerOrder, order_hash)
        assert order is not None
        order.status = status
        order.status_reason = "skip:20"


async def test_orders_the_settlement_worker_closes_leave_the_book(relayer, funded, seller):
    [ack] = await _accept(relayer, signed(relayer, seller, make_order(seller, is_buy=False)))
    _close_as_settlement_worker(relayer, ack.order_hash, "rejected")
    await relayer.sweep()
    assert relayer.depth(1, 1)["asks"] == []
    assert not any(relayer._reserved.values())
    orders, _, cancels = _journal(relayer)
    assert orders[ack.order_hash].status == "rejected"  # the worker's status is kept
    assert [(c.order_hash, c.reason) for c in cancels] == [(ack.order_hash, "settlement")]


async def test_a_restart_takes_off_orders_closed_by_the_worker_while_it_was_down(
    relayer, suite, w3, anvil, database_url, funded, seller
):
    [ack] = await _accept(relayer, signed(relayer, seller, make_order(seller, is_buy=False)))
    await relayer.snapshot()  # the order is inside the snapshot, not only in the journal tail
    await relayer.stop()
    _close_as_settlement_worker(relayer, ack.order_hash, "cancelled")
    restarted = make_service(suite, w3, anvil, database_url)
    await restarted.start()
    try:
        assert restarted.depth(1, 1)["asks"] == []
        assert not any(restarted._reserved.values())
        _, _, cancels = _journal(restarted)
        assert [c.reason for c in cancels] == ["settlement"]
    finally:
        await restarted.stop()
