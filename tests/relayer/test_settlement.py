"""The settlement worker against the deployed suite on a real Anvil: fills journaled as the
relayer writes them, settled by ``Exchange.settle``; balances and fees exact to the unit."""

# ruff: noqa: F811 (the fixtures are imported from tests/relayer/settlement_fixtures.py)

from __future__ import annotations

import json
import time

import pytest
from eth_account import Account

from relayer.models import (
    FILL_SETTLED,
    FILL_SKIPPED,
    FILL_SUBMITTED,
    ORDER_CANCELLED,
    ORDER_FILLED,
    ORDER_OPEN,
    ORDER_REJECTED,
    SETTLEMENT_CONFIRMED,
    SETTLEMENT_DROPPED,
    SETTLEMENT_MINED,
    SETTLEMENT_REPLACED,
    SETTLEMENT_SENT,
    RelayerOrder,
)
from relayer.orders import fill_amounts
from relayer.settlement import (
    SettlementCallRejected,
    SettlementConfig,
    build_worker,
    load_operator,
)
from tests.relayer.settlement_fixtures import (  # noqa: F401 (fixtures)
    DEPOSIT_BASE,
    DEPOSIT_QUOTE,
    LOT,
    PRICE,
    TICK,
    Trading,
    journal_url,
    mine,
    run_until_idle,
    traders,
    trading,
)
from tigerex.devchain import dev_accounts
from tigerex.errors import ConfigurationError
from tigerex.node import rpc_call
from tigerex.settings import Settings

# A direct on-chain filler's bound on the taker fee: Exchange.MAX_FEE_BPS accepts any fee a market
# can charge.
ANY_TAKER_FEE_BPS = 100

pytestmark = pytest.mark.anvil

QUOTE_PER_LOT = PRICE * TICK  # 3,000,000 tUSDC units (3 tUSDC) per 0.001 tWETH


def test_two_makers_one_taker_settle_exactly_with_fees(anvil, trading: Trading, traders):
    alice, bob, carol = traders
    sell_a = trading.order(alice, is_buy=False, lots=4)
    sell_b = trading.order(bob, is_buy=False, lots=6)
    buy = trading.order(carol, is_buy=True, lots=10, price=PRICE + 500)
    for order, trader in ((sell_a, alice), (sell_b, bob), (buy, carol)):
        trading.journal_order(order, trader)
    fills = [trading.journal_fill(sell_a, buy, 4), trading.journal_fill(sell_b, buy, 6)]

    run_until_idle(trading.worker(), anvil.url)

    # Hand-computed: fills run at each maker's price; the maker (seller) pays 10 bps of the
    # quote it receives, the taker (buyer) 20 bps of the base it receives.
    for trader, lots in ((alice, 4), (bob, 6)):
        quote = lots * QUOTE_PER_LOT
        assert trading.vault(trading.base, trader.address) == DEPOSIT_BASE - lots * LOT
        assert (
            trading.vault(trading.quote, trader.address)
            == DEPOSIT_QUOTE + quote - quote * 10 // 10_000
        )
    base = 10 * LOT
    assert trading.vault(trading.base, carol.address) == DEPOSIT_BASE + base - base * 20 // 10_000
    assert trading.vault(trading.quote, carol.address) == DEPOSIT_QUOTE - 10 * QUOTE_PER_LOT
    info = trading.exchange.functions.market(1).call()
    assert (info[8], info[9]) == (base * 20 // 10_000, 10 * QUOTE_PER_LOT * 10 // 10_000)
    # ... and the same through relayer.orders (the relayer's own arithmetic).
    expected = [fill_amounts(trading.market, sell_a, 4), fill_amounts(trading.market, sell_b, 6)]
    assert info[9] == sum(amounts.maker_fee for amounts in expected)
    assert info[8] == sum(amounts.taker_fee for amounts in expected)

    assert [trading.fill(f).status for f in fills] == [FILL_SETTLED, FILL_SETTLED]
    (settlement,) = trading.settlements()
    assert settlement.status == SETTLEMENT_CONFIRMED
    assert settlement.gas_used and settlement.block_number
    assert {trading.fill(f).settlement_id for f in fills} == {settlement.id}
    for order, lots in ((sell_a, 4), (sell_b, 6), (buy, 10)):
        row = trading.order_row(order)
        assert (row.settled_lots, row.status) == (lots, ORDER_FILLED)
        assert trading.filled_on_chain(order) == lots


def test_partial_fills_over_several_batches(anvil, trading: Trading, traders):
    alice, bob, carol = traders
    sell = trading.order(alice, is_buy=False, lots=10)
    trading.journal_order(sell, alice)
    buys = []
    for n in range(5):
        taker = (bob, carol)[n % 2]
        buy = trading.order(taker, is_buy=True, lots=2)
        trading.journal_order(buy, taker)
        buys.append(trading.journal_fill(sell, buy, 2))

    worker = trading.worker(max_batch=2, max_in_flight=1, confirmations=2)
    report = worker.step()
    assert len(report.submitted) == 1  # one transaction in flight at a time
    run_until_idle(worker, anvil.url)

    settlements = trading.settlements()
    assert [len(json.loads(s.fill_ids)) for s in settlements] == [2, 2, 1]
    assert all(s.status == SETTLEMENT_CONFIRMED for s in settlements)
    nonces = [s.nonce for s in settlements]
    assert nonces == list(range(nonces[0], nonces[0] + 3))
    assert all(trading.fill(f).status == FILL_SETTLED for f in buys)
    assert trading.filled_on_chain(sell) == 10
    assert trading.order_row(sell).settled_lots == 10
    quote = 10 * QUOTE_PER_LOT
    assert (
        trading.vault(trading.quote, alice.address) == DEPOSIT_QUOTE + quote - quote * 10 // 10_000
    )
    # bob took 3 x 2 lots, carol 2 x 2 lots; each fill's fee is rounded down on its own.
    fee_per_fill = 2 * LOT * 20 // 10_000
    assert trading.vault(trading.base, bob.address) == DEPOSIT_BASE + 3 * (2 * LOT - fee_per_fill)
    assert trading.vault(trading.base, carol.address) == DEPOSIT_BASE + 2 * (2 * LOT - fee_per_fill)


def test_batches_wait_for_a_full_batch_or_the_interval(anvil, trading: Trading, traders):
    alice, _bob, carol = traders
    sell = trading.order(alice, is_buy=False, lots=20)
    trading.journal_order(sell, alice)

    def fills(count: int) -> None:
        for _ in range(count):
            buy = trading.order(carol, is_buy=True, lots=1)
            trading.journal_order(buy, carol)
            trading.journal_fill(sell, buy, 1)

    # The worker's own clock, moved by the test: a slow step can't make a batch due early.
    now = [1_000.0]
    worker = trading.worker(
        clock=lambda: now[0], max_batch=3, max_interval=0.5, funds_check_interval=3600
    )
    fills(2)
    assert worker.step().submitted == []  # 2 < 3 and not waited 0.5 s yet
    now[0] += 0.4
    assert worker.step().submitted == []  # still not
    now[0] += 0.1
    assert len(worker.step().submitted) == 1  # the interval passed: a partial batch
    fills(7)
    assert len(worker.step().submitted) == 2  # two full batches now, 1 fill waits
    assert worker.step().submitted == []
    now[0] += 0.5
    assert len(worker.step().submitted) == 1
    run_until_idle(worker, anvil.url)
    assert [len(json.loads(s.fill_ids)) for s in trading.settlements()] == [2, 3, 3, 1]
    assert trading.filled_on_chain(sell) == 9


def test_direct_fill_on_chain_racing_the_relayer_is_skipped_and_rows_corrected(
    anvil, trading: Trading, traders
):
    alice, bob, carol = traders
    sell, buy, fill = trading.cross(alice, carol, 5)
    # bob takes alice's whole order directly on chain before the relayer settles.
    trading.send(
        trading.exchange.functions.fillOrder(
            sell.as_tuple(), trading.signature(sell, alice), 5, ANY_TAKER_FEE_BPS
        ),
        bob.address,
    )

    worker = trading.worker()
    run_until_idle(worker, anvil.url)

    row = trading.fill(fill)
    assert (row.status, row.skip_reason) == (FILL_SKIPPED, 18)  # MakerOverfill
    maker = trading.order_row(sell)
    assert (maker.status, maker.status_reason, maker.settled_lots) == (
        ORDER_FILLED, "filled_on_chain", 5,
    )  # fmt: skip
    # The innocent taker keeps the engine's view; the relayer learns the fill was skipped.
    taker = trading.order_row(buy)
    assert (taker.status, taker.status_reason, taker.settled_lots) == (ORDER_FILLED, None, 0)
    assert trading.vault(trading.quote, carol.address) == DEPOSIT_QUOTE  # nothing moved
    assert trading.filled_on_chain(buy) == 0


def test_partial_direct_fill_rejects_the_open_maker_order(anvil, trading: Trading, traders):
    alice, bob, carol = traders
    sell, _buy, fill = trading.cross(alice, carol, 5, maker_lots=10)
    trading.send(
        trading.exchange.functions.fillOrder(
            sell.as_tuple(), trading.signature(sell, alice), 8, ANY_TAKER_FEE_BPS
        ),
        bob.address,
    )

    run_until_idle(trading.worker(), anvil.url)

    assert (trading.fill(fill).status, trading.fill(fill).skip_reason) == (FILL_SKIPPED, 18)
    maker = trading.order_row(sell)
    # 2 lots remain on chain but the engine holds 5 more: off the book it goes.
    assert (maker.status, maker.status_reason, maker.settled_lots) == (
        ORDER_REJECTED, "filled_on_chain", 8,
    )  # fmt: skip


def test_funds_withdrawn_and_expired_orders_are_corrected_after_skips(
    anvil, trading: Trading, traders
):
    alice, bob, carol = traders
    now = int(trading.w3.eth.get_block("latest")["timestamp"])
    short = trading.order(bob, is_buy=False, lots=2, expiry=now + 1_000)
    trading.journal_order(short, bob)
    late_buy = trading.order(carol, is_buy=True, lots=2)
    trading.journal_order(late_buy, carol)
    expired_fill = trading.journal_fill(short, late_buy, 2)
    # Fully matched, so the funds check leaves it alone: the skip is what rejects it.
    sell, _buy, broke_fill = trading.cross(alice, carol, 3)
    # alice withdraws all her base after the delay; bob's order expires meanwhile.
    trading.send(
        trading.exchange.functions.requestWithdrawal(trading.base.address, DEPOSIT_BASE),
        alice.address,
    )
    rpc_call(anvil.url, "evm_increaseTime", [1_200])
    mine(anvil.url)
    trading.send(trading.exchange.functions.withdraw(trading.base.address), alice.address)

    run_until_idle(trading.worker(funds_check_interval=3600), anvil.url)

    assert (trading.fill(broke_fill).status, trading.fill(broke_fill).skip_reason) == (
        FILL_SKIPPED, 20,
    )  # fmt: skip
    assert (trading.fill(expired_fill).skip_reason) == 10
    maker = trading.order_row(sell)
    assert (maker.status, maker.status_reason) == (ORDER_REJECTED, "insufficient_funds")
    expired = trading.order_row(short)
    assert (expired.status, expired.status_reason) == ("expired", "expired")
    assert trading.vault(trading.quote, carol.address) == DEPOSIT_QUOTE


def test_cancel_on_chain_before_settlement(anvil, trading: Trading, traders):
    alice, _bob, carol = traders
    sell, buy, fill = trading.cross(alice, carol, 3, maker_lots=8)
    trading.send(trading.exchange.functions.cancelOrder(sell.as_tuple()), alice.address)

    changed: list[list[str]] = []
    worker = trading.worker()
    worker.on_orders_changed = changed.append
    run_until_idle(worker, anvil.url)

    assert changed == [[trading.digest(sell)]]  # the relayer is told which rows changed
    assert (trading.fill(fill).status, trading.fill(fill).skip_reason) == (FILL_SKIPPED, 8)
    maker = trading.order_row(sell)
    assert (maker.status, maker.status_reason) == (ORDER_CANCELLED, "cancelled_on_chain")
    taker = trading.order_row(buy)
    assert (taker.status, taker.status_reason, taker.matched_lots) == (ORDER_FILLED, None, 3)
    assert trading.vault(trading.base, alice.address) == DEPOSIT_BASE


def test_withdrawal_request_rejects_open_orders_but_matched_fills_settle(
    anvil, trading: Trading, traders
):
    alice, _bob, carol = traders
    resting = trading.order(alice, is_buy=False, lots=50)
    trading.journal_order(resting, alice)
    sell, _buy, fill = trading.cross(alice, carol, 2)
    worker = trading.worker(max_interval=3600)  # hold the batch: the withdrawal comes first
    assert worker.step().submitted == []  # funds still cover both orders
    assert trading.order_row(resting).status == ORDER_OPEN

    # alice asks to withdraw everything but 1 lot's worth: the 2 matched lots stay payable
    # during the delay, the 50 resting lots are no longer covered.
    trading.send(
        trading.exchange.functions.requestWithdrawal(trading.base.address, DEPOSIT_BASE - LOT),
        alice.address,
    )
    report = worker.step()
    assert report.rejected_orders == [trading.digest(resting)]
    row = trading.order_row(resting)
    assert (row.status, row.status_reason) == (ORDER_REJECTED, "funds_uncovered")
    assert trading.order_row(sell).status == ORDER_FILLED  # matched: never cancelled

    run_until_idle(worker, anvil.url)
    assert trading.fill(fill).status == FILL_SETTLED
    assert trading.vault(trading.base, alice.address) == DEPOSIT_BASE - 2 * LOT
    assert worker.check_maker_funds(alice.address) == []  # nothing left to reject


def test_reorg_after_mining_resubmits_under_the_same_nonce(anvil, trading: Trading, traders):
    alice, _bob, carol = traders
    sell, _buy, fill = trading.cross(alice, carol, 3, maker_lots=6)
    worker = trading.worker(confirmations=3)
    fork = rpc_call(anvil.url, "evm_snapshot")
    worker.step()
    worker.step()
    (first,) = trading.settlements()
    assert first.status == SETTLEMENT_MINED
    assert trading.fill(fill).status == FILL_SUBMITTED
    assert trading.filled_on_chain(sell) == 3

    # The block with the settlement is reorged out; the other branch is longer.
    assert rpc_call(anvil.url, "evm_revert", [fork]) is True
    mine(anvil.url, 2)
    assert trading.filled_on_chain(sell) == 0
    report = worker.step()
    assert report.reorged == [first.id]
    run_until_idle(worker, anvil.url)

    dropped, second = trading.settlements()
    assert (dropped.status, second.status) == (SETTLEMENT_DROPPED, SETTLEMENT_CONFIRMED)
    assert second.nonce == dropped.nonce and second.replaces_id == dropped.id
    assert trading.fill(fill).status == FILL_SETTLED
    assert trading.fill(fill).settlement_id == second.id
    assert trading.filled_on_chain(sell) == 3  # once
    assert trading.vault(trading.base, alice.address) == DEPOSIT_BASE - 3 * LOT
    # The old transaction can never come back: its nonce is used.
    with pytest.raises(Exception, match="nonce"):
        trading.w3.eth.send_raw_transaction(dropped.raw_tx)


def test_reorg_that_re_mines_the_transaction_in_another_block_is_followed(
    anvil, trading: Trading, traders
):
    alice, _bob, carol = traders
    sell, _buy, fill = trading.cross(alice, carol, 2)
    worker = trading.worker(confirmations=2)
    fork = rpc_call(anvil.url, "evm_snapshot")
    worker.step()
    worker.step()
    (row,) = trading.settlements()
    assert row.status == SETTLEMENT_MINED
    old_block = (row.block_number, row.block_hash)

    # The other branch includes the same transaction one block later (a peer re-broadcast it).
    assert rpc_call(anvil.url, "evm_revert", [fork]) is True
    mine(anvil.url)
    trading.w3.eth.send_raw_transaction(row.raw_tx)
    report = worker.step()
    assert report.reorged == [] and report.replaced == []
    (row,) = trading.settlements()
    assert (row.block_number, row.block_hash) != old_block
    assert row.block_number == old_block[0] + 1
    run_until_idle(worker, anvil.url)
    (row,) = trading.settlements()
    assert row.status == SETTLEMENT_CONFIRMED
    assert trading.fill(fill).status == FILL_SETTLED
    assert trading.filled_on_chain(sell) == 2


def test_stuck_transaction_is_replaced_with_higher_fees(anvil, trading: Trading, traders):
    alice, _bob, carol = traders
    sell, _buy, fill = trading.cross(alice, carol, 2)
    worker = trading.worker(replace_after=0.3)
    rpc_call(anvil.url, "evm_setAutomine", [False])
    try:
        worker.step()
        (first,) = trading.settlements()
        assert first.status == SETTLEMENT_SENT
        time.sleep(0.4)
        report = worker.step()
        assert report.replaced == [first.id]
        old, new = trading.settlements()
        assert (old.status, new.status, new.nonce) == (
            SETTLEMENT_REPLACED,
            SETTLEMENT_SENT,
            old.nonce,
        )
        assert new.max_fee_per_gas >= old.max_fee_per_gas * 1.125
        assert new.max_priority_fee_per_gas >= old.max_priority_fee_per_gas * 1.125
        mine(anvil.url)
    finally:
        rpc_call(anvil.url, "evm_setAutomine", [True])
    run_until_idle(worker, anvil.url)
    old, new = trading.settlements()
    assert (old.status, new.status) == (SETTLEMENT_REPLACED, SETTLEMENT_CONFIRMED)
    assert trading.fill(fill).status == FILL_SETTLED
    assert trading.filled_on_chain(sell) == 2


def test_fee_bump_never_exceeds_the_fee_cap(anvil, trading: Trading, traders):
    alice, _bob, carol = traders
    _sell, _buy, fill = trading.cross(alice, carol, 2)
    tip = 10**9
    base_fee = int(trading.w3.eth.get_block("latest")["baseFeePerGas"])
    cap = tip + base_fee + 1  # below 2 * baseFee + tip, enough to be mined
    worker = trading.worker(replace_after=0.2, max_fee_per_gas=cap, priority_fee=tip)
    rpc_call(anvil.url, "evm_setAutomine", [False])
    try:
        worker.step()
        (first,) = trading.settlements()
        assert first.max_fee_per_gas == cap
        time.sleep(0.3)
        assert worker.step().replaced == []  # a bump would pay more than the cap: it waits
        (first,) = trading.settlements()
        assert first.status == SETTLEMENT_SENT
        mine(anvil.url)
    finally:
        rpc_call(anvil.url, "evm_setAutomine", [True])
    run_until_idle(worker, anvil.url)
    assert trading.fill(fill).status == FILL_SETTLED


def test_nonce_taken_by_another_transaction_releases_the_fills(anvil, trading: Trading, traders):
    """Someone else's transaction with the operator key replaces the settlement in the pool:
    the fills go back to pending only once that nonce is used, and settle under the next one."""
    alice, _bob, carol = traders
    sell, _buy, fill = trading.cross(alice, carol, 2)
    worker = trading.worker()
    operator = dev_accounts()[0].address
    rpc_call(anvil.url, "evm_setAutomine", [False])
    try:
        worker.step()
        (first,) = trading.settlements()
        assert worker.step().dropped == []  # nonce not used yet: nothing released
        trading.w3.eth.send_transaction(
            {
                "from": operator,
                "to": operator,
                "value": 0,
                "nonce": first.nonce,
                "maxFeePerGas": first.max_fee_per_gas * 3,
                "maxPriorityFeePerGas": first.max_fee_per_gas * 2,
            }
        )
        mine(anvil.url)
        report = worker.step()
        assert report.dropped == [first.id]
        assert len(report.submitted) == 1  # the fill, batched again under the next nonce
    finally:
        rpc_call(anvil.url, "evm_setAutomine", [True])
    run_until_idle(worker, anvil.url)
    first, second = trading.settlements()
    assert (first.status, second.status) == (SETTLEMENT_DROPPED, SETTLEMENT_CONFIRMED)
    assert second.nonce == first.nonce + 1
    assert trading.fill(fill).status == FILL_SETTLED
    assert trading.filled_on_chain(sell) == 2


def test_a_repeated_full_fill_is_refused_by_the_contract(anvil, trading: Trading, traders):
    """The contract's ``filled`` amounts: the same full match journaled twice settles once."""
    alice, _bob, carol = traders
    sell, buy, first = trading.cross(alice, carol, 4)
    again = trading.journal_fill(sell, buy, 4)
    run_until_idle(trading.worker(), anvil.url)
    assert trading.fill(first).status == FILL_SETTLED
    assert (trading.fill(again).status, trading.fill(again).skip_reason) == (FILL_SKIPPED, 18)
    assert trading.filled_on_chain(sell) == 4
    assert trading.vault(trading.base, alice.address) == DEPOSIT_BASE - 4 * LOT


def test_paused_exchange_sends_nothing(anvil, trading: Trading, traders):
    alice, _bob, carol = traders
    _sell, _buy, fill = trading.cross(alice, carol, 1)
    deployer = dev_accounts()[0].address
    trading.send(trading.exchange.functions.pause(), deployer)
    with pytest.raises(SettlementCallRejected):
        trading.worker().step()
    assert trading.settlements() == []
    assert trading.fill(fill).status == "pending"
    trading.send(trading.exchange.functions.unpause(), deployer)
    run_until_idle(trading.worker(), anvil.url)
    assert trading.fill(fill).status == FILL_SETTLED


# ------------------------------------------------------------------------------ operator key


def test_operator_key_from_env_keystore_or_local_dev_account(tmp_path, monkeypatch):
    config = SettlementConfig()
    assert load_operator(Settings(), config).address == dev_accounts()[0].address
    key = Account.create().key
    env_settings = Settings(operator_private_key=key.hex())
    assert load_operator(env_settings, config).key == key

    monkeypatch.setenv("APE_DATA_FOLDER", str(tmp_path))
    (tmp_path / "accounts").mkdir()
    (tmp_path / "accounts" / "op.json").write_text(
        json.dumps(Account.encrypt(key, "pw", kdf="pbkdf2", iterations=1_000))
    )
    keystore = SettlementConfig(operator_account="op")
    with pytest.raises(ConfigurationError, match="PASSPHRASE"):
        load_operator(Settings(), keystore)
    monkeypatch.setenv("APE_ACCOUNTS_op_PASSPHRASE", "pw")
    assert load_operator(Settings(), keystore).key == key

    production = Settings(network="sepolia", api_secret="a-real-secret")
    with pytest.raises(ConfigurationError, match="no operator key"):
        load_operator(production, config)
    dev_key = dev_accounts()[0].key
    encrypted = Account.encrypt(dev_key, "pw", kdf="pbkdf2", iterations=1_000)
    (tmp_path / "accounts" / "op.json").write_text(json.dumps(encrypted))
    with pytest.raises(ConfigurationError, match="public dev key"):
        load_operator(production, keystore)


# ----------------------------------------------------------------------------------------- CLI


def test_cli_run_once_then_status(
    anvil, suite, trading: Trading, traders, journal_url, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from relayer.settlement_cli import app
    from tigerex.settings import get_settings

    alice, _bob, carol = traders
    _sell, _buy, fill = trading.cross(alice, carol, 1)
    suite.deployments.save(tmp_path / "local.json")
    for name, value in (
        ("TIGEREX_NETWORK", "local"),
        ("TIGEREX_RPC_URL", anvil.url),
        ("TIGEREX_DATABASE_URL", journal_url),
        ("TIGEREX_DEPLOYMENTS_DIR", str(tmp_path)),
        ("TIGEREX_SETTLEMENT_CONFIRMATIONS", "1"),
    ):
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(app, ["run", "--once"])
        assert result.exit_code == 0, result.output
        assert "submitted" in result.output
        result = runner.invoke(app, ["run", "--once"])  # the receipt: settled
        assert result.exit_code == 0, result.output
        assert trading.fill(fill).status == FILL_SETTLED
        result = runner.invoke(app, ["status"])
        assert result.exit_code == 0, result.output
        assert "settled" in result.output and "confirmed" in result.output
    finally:
        get_settings.cache_clear()


def test_fills_of_another_exchange_are_left_alone(anvil, trading: Trading, traders):
    alice, _bob, carol = traders
    sell, buy, fill = trading.cross(alice, carol, 1)
    with trading.sessions() as session:
        for order in (sell, buy):
            row = session.get(RelayerOrder, trading.digest(order))
            assert row is not None
            row.exchange = "0x" + "ab" * 20
        session.commit()
    assert trading.worker().step(flush=True).submitted == []
    assert trading.fill(fill).status == "pending"


def test_worker_refuses_an_operator_without_the_role(anvil, suite, journal_url, tmp_path):
    suite.deployments.save(tmp_path / "local.json")
    settings = Settings(
        rpc_url=anvil.url,
        deployments_dir=tmp_path,
        database_url=journal_url,
        operator_private_key=dev_accounts()[5].key.hex(),
    )
    with pytest.raises(ConfigurationError, match="lacks OPERATOR_ROLE"):
        build_worker(settings)
    assert build_worker(
        Settings(rpc_url=anvil.url, deployments_dir=tmp_path, database_url=journal_url)
    )
