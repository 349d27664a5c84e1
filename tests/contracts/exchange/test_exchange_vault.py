"""The vault of contracts/exchange/Exchange.sol: deposits (hostile tokens included), the
withdrawal delay, ETH via WETH, and the conservation invariant."""

from __future__ import annotations

import ape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import DELAY, DEPOSIT_BASE, MARKET_ID


def test_deposit_credits_and_emits(exchange, base, deployer, accounts):
    user = accounts[6]
    base.mint(user, 1000, sender=deployer)
    base.approve(exchange, 1000, sender=user)
    receipt = exchange.deposit(base, 600, sender=user)
    assert exchange.balanceOf(base, user) == 600
    assert base.balanceOf(exchange) == 3 * DEPOSIT_BASE + 600
    assert exchange.Deposited(base, user, 600) in receipt.events


def test_deposit_of_zero_reverts(exchange, base, alice):
    with ape.reverts(exchange.ExchangeZeroAmount):
        exchange.deposit(base, 0, sender=alice)


def test_fee_on_transfer_deposit_credits_what_arrived(project, exchange, deployer, accounts):
    token = deployer.deploy(project.FeeOnTransferToken, 100)  # 1% burned per transfer
    user = accounts[6]
    token.mint(user, 10_000, sender=deployer)
    token.approve(exchange, 10_000, sender=user)
    receipt = exchange.deposit(token, 10_000, sender=user)
    assert token.balanceOf(exchange) == 9_900
    assert exchange.balanceOf(token, user) == 9_900
    assert exchange.Deposited(token, user, 9_900) in receipt.events


def test_no_return_value_token_deposits_and_withdraws(project, exchange, deployer, accounts, chain):
    token = deployer.deploy(project.NoReturnToken)
    user = accounts[6]
    token.mint(user, 500, sender=deployer)
    token.approve(exchange, 500, sender=user)
    exchange.deposit(token, 500, sender=user)
    assert exchange.balanceOf(token, user) == 500
    exchange.requestWithdrawal(token, 200, sender=user)
    chain.pending_timestamp += DELAY
    exchange.withdraw(token, sender=user)
    assert token.balanceOf(user) == 200
    assert exchange.balanceOf(token, user) == 300


def test_deposit_above_vault_cap_reverts(exchange, base, deployer, accounts):
    user = accounts[6]
    cap = exchange.VAULT_CAP()
    amount = cap - base.balanceOf(exchange) + 1
    base.mint(user, amount, sender=deployer)
    base.approve(exchange, amount, sender=user)
    with ape.reverts(exchange.ExchangeDepositCapExceeded, token=base, balance=cap + 1, cap=cap):
        exchange.deposit(base, amount, sender=user)


def test_reentrant_token_cannot_reenter_deposit_or_withdraw(
    project, exchange, deployer, accounts, chain
):
    token = deployer.deploy(project.ReentrantToken)
    user = accounts[6]
    token.mint(user, 1_000, sender=deployer)
    token.approve(exchange, 1_000, sender=user)
    exchange.deposit(token, 400, sender=user)
    exchange.requestWithdrawal(token, 400, sender=user)
    chain.pending_timestamp += DELAY
    # During the payout transfer the token calls withdraw again (as the exchange itself would
    # be the caller, the request lookup is for the token; what matters is the guard).
    token.arm(exchange, exchange.withdraw.encode_input(token), sender=user)
    exchange.withdraw(token, sender=user)
    assert token.attempted()
    assert not token.reentered()
    assert bytes(token.returned())[:4] == bytes.fromhex(
        "3ee5aeb5"
    )  # ReentrancyGuardReentrantCall()
    assert token.balanceOf(user) == 1_000 - 400 + 400
    assert exchange.balanceOf(token, user) == 0
    # A re-entering deposit during a deposit is refused as well.
    token.arm(exchange, exchange.deposit.encode_input(token, 1), sender=user)
    exchange.deposit(token, 100, sender=user)
    assert not token.reentered()
    assert exchange.balanceOf(token, user) == 100


def test_withdrawal_waits_for_the_delay(exchange, base, alice, chain):
    receipt = exchange.requestWithdrawal(base, 10**18, sender=alice)
    amount, unlocks_at = exchange.pendingWithdrawal(base, alice)
    assert amount == 10**18
    assert unlocks_at == receipt.timestamp + DELAY
    assert exchange.WithdrawalRequested(base, alice, 10**18, unlocks_at) in receipt.events
    with ape.reverts(
        exchange.ExchangeWithdrawalLocked, token=base, account=alice, unlocksAt=unlocks_at
    ):
        exchange.withdraw(base, sender=alice)
    chain.pending_timestamp = unlocks_at
    before = base.balanceOf(alice)
    receipt = exchange.withdraw(base, sender=alice)
    assert base.balanceOf(alice) == before + 10**18
    assert exchange.balanceOf(base, alice) == DEPOSIT_BASE - 10**18
    assert exchange.Withdrawn(base, alice, 10**18) in receipt.events
    assert exchange.pendingWithdrawal(base, alice) == (0, 0)
    with ape.reverts(exchange.ExchangeNoWithdrawalRequest, token=base, account=alice):
        exchange.withdraw(base, sender=alice)


def test_request_above_balance_or_zero_reverts(exchange, base, alice):
    with ape.reverts(
        exchange.ExchangeInsufficientBalance,
        token=base,
        account=alice,
        balance=DEPOSIT_BASE,
        needed=DEPOSIT_BASE + 1,
    ):
        exchange.requestWithdrawal(base, DEPOSIT_BASE + 1, sender=alice)
    with ape.reverts(exchange.ExchangeZeroAmount):
        exchange.requestWithdrawal(base, 0, sender=alice)


def test_funds_under_withdrawal_still_settle_and_payout_is_capped(
    exchange, operator, orders, base, alice, bob, chain
):
    exchange.requestWithdrawal(base, DEPOSIT_BASE, sender=alice)
    # A match made before the relayer saw the request still settles during the delay.
    maker = orders.signed(alice, is_buy=False, quantity=1000)
    receipt = exchange.settle(
        [orders.match(maker, orders.signed(bob, is_buy=True, quantity=1000), 1000)], sender=operator
    )
    sold = next(iter(receipt.events.filter(exchange.OrderFilled))).baseAmount
    chain.pending_timestamp += DELAY
    before = base.balanceOf(alice)
    exchange.withdraw(base, sender=alice)
    assert base.balanceOf(alice) == before + DEPOSIT_BASE - sold  # min(requested, balance)
    assert exchange.balanceOf(base, alice) == 0


def test_eth_deposit_wraps_and_withdraw_eth_unwraps(exchange, weth, alice, chain):
    receipt = exchange.depositETH(sender=alice, value=5 * 10**17)
    assert exchange.balanceOf(weth, alice) == 5 * 10**17
    assert weth.balanceOf(exchange) == 5 * 10**17
    assert exchange.Deposited(weth, alice, 5 * 10**17) in receipt.events
    with ape.reverts(exchange.ExchangeZeroAmount):
        exchange.depositETH(sender=alice, value=0)
    exchange.requestWithdrawal(weth, 2 * 10**17, sender=alice)
    chain.pending_timestamp += DELAY
    before = alice.balance
    receipt = exchange.withdrawETH(sender=alice)
    assert alice.balance == before + 2 * 10**17 - receipt.total_fees_paid
    assert exchange.balanceOf(weth, alice) == 3 * 10**17


def test_plain_ether_transfer_is_rejected(exchange, alice):
    with ape.reverts(exchange.ExchangeEtherRejected, sender=alice):
        alice.transfer(exchange, 1)


# -------------------------------------------------------------------------- token registry
# Markets and balances name a token by a 32-bit registry id, given when a market or a deposit
# first names the token; the ABI speaks addresses throughout.


def test_token_deposited_before_its_market_is_the_balance_every_market_trades(
    project, exchange, deployer, operator, orders, quote, alice, bob, accounts
):
    # Deployed by an account of its own: a contract deployed by `deployer` here would sit at
    # the address a later test's deployment from `deployer` gets (each test is rolled back),
    # and Ape would decode that test's revert against this token's ABI.
    issuer = accounts[7]
    token = issuer.deploy(project.TestToken, "Late Listed", "LATE", 18, issuer)
    token.mint(alice, 10**21, sender=issuer)
    token.approve(exchange, 10**21, sender=alice)
    exchange.deposit(token, 10**21, sender=alice)  # no market names the token yet
    # Market 7 lists it against the quote token market 1 already trades (no fees: the
    # amounts are the plain grid amounts).
    exchange.createMarket(7, token, quote, 10**15, 10, 1, 0, 0, sender=deployer)
    info = exchange.market(7)
    assert (info.base, info.quote) == (token.address, quote.address)
    bob_quote = exchange.balanceOf(quote, bob)

    sell = orders.signed(alice, is_buy=False, market_id=7, price=300_000, quantity=4)
    buy = orders.signed(bob, is_buy=True, market_id=7, price=300_000, quantity=4)
    exchange.settle([orders.match(sell, buy, 4)], sender=operator)
    base_amount, quote_amount = 4 * 10**15, 4 * 300_000 * 10
    assert exchange.balanceOf(token, alice) == 10**21 - base_amount
    assert exchange.balanceOf(token, bob) == base_amount
    # One quote balance per account, whatever market moves it.
    assert exchange.balanceOf(quote, bob) == bob_quote - quote_amount


def test_never_deposited_token_has_no_balance_to_withdraw(project, exchange, alice, accounts):
    issuer = accounts[7]  # not `deployer`: see the test above
    token = issuer.deploy(project.TestToken, "Never Seen", "NONE", 18, issuer)
    assert exchange.balanceOf(token, alice) == 0
    with ape.reverts(
        exchange.ExchangeInsufficientBalance, token=token, account=alice, balance=0, needed=1
    ):
        exchange.requestWithdrawal(token, 1, sender=alice)
    with ape.reverts(exchange.ExchangeNoWithdrawalRequest, token=token, account=alice):
        exchange.withdraw(token, sender=alice)


# ---------------------------------------------------------------------------------- admin


def test_create_market_validations(exchange, deployer, base, quote, alice):
    with ape.reverts(exchange.ExchangeMarketExists, marketId=MARKET_ID):
        exchange.createMarket(MARKET_ID, base, quote, 1, 1, 1, 0, 0, sender=deployer)
    with ape.reverts(exchange.ExchangeMarketExists, marketId=0):
        exchange.createMarket(0, base, quote, 1, 1, 1, 0, 0, sender=deployer)
    for args in [
        (base, base, 1, 1, 1),
        (ape.utils.ZERO_ADDRESS, quote, 1, 1, 1),
        (base, quote, 0, 1, 1),
        (base, quote, 2**96, 1, 1),
        (base, quote, 1, 0, 1),
        (base, quote, 1, 2**64, 1),
        (base, quote, 1, 1, 0),
    ]:
        with ape.reverts(exchange.ExchangeInvalidMarketParams, marketId=5):
            exchange.createMarket(5, *args, 0, 0, sender=deployer)
    with ape.reverts(exchange.ExchangeFeeTooHigh, feeBps=101, maxFeeBps=100):
        exchange.createMarket(5, base, quote, 1, 1, 1, 0, 101, sender=deployer)
    with ape.reverts(exchange.AccessControlUnauthorizedAccount):
        exchange.createMarket(5, base, quote, 1, 1, 1, 0, 0, sender=alice)
    receipt = exchange.createMarket(5, base, quote, 7, 3, 2, 1, 2, sender=deployer)
    assert exchange.MarketCreated(5, base, quote, 7, 3, 2, 1, 2) in receipt.events
    info = exchange.market(5)
    assert (info.base, info.quote, info.lotSize, info.tickSize, info.minQuantityLots) == (
        base.address,
        quote.address,
        7,
        3,
        2,
    )
    assert (info.makerFeeBps, info.takerFeeBps, info.active) == (1, 2, True)


def test_update_market(exchange, deployer, alice):
    receipt = exchange.updateMarket(MARKET_ID, 5, 6, 3, False, sender=deployer)
    assert exchange.MarketUpdated(MARKET_ID, 5, 6, 3, False) in receipt.events
    info = exchange.market(MARKET_ID)
    assert (info.makerFeeBps, info.takerFeeBps, info.minQuantityLots, info.active) == (
        5,
        6,
        3,
        False,
    )
    with ape.reverts(exchange.ExchangeMarketUnknown, marketId=42):
        exchange.updateMarket(42, 0, 0, 1, True, sender=deployer)
    with ape.reverts(exchange.ExchangeFeeTooHigh, feeBps=200, maxFeeBps=100):
        exchange.updateMarket(MARKET_ID, 200, 0, 1, True, sender=deployer)
    with ape.reverts(exchange.ExchangeInvalidMarketParams, marketId=MARKET_ID):
        exchange.updateMarket(MARKET_ID, 0, 0, 0, True, sender=deployer)
    with ape.reverts(exchange.AccessControlUnauthorizedAccount):
        exchange.updateMarket(MARKET_ID, 0, 0, 1, True, sender=alice)


def test_collect_fees_pays_the_recipient(
    exchange, operator, orders, base, quote, alice, bob, fee_recipient, deployer
):
    receipt = exchange.settle(
        [orders.match(orders.signed(alice, is_buy=False), orders.signed(bob, is_buy=True), 10)],
        sender=operator,
    )
    event = next(iter(receipt.events.filter(exchange.OrderFilled)))
    receipt = exchange.collectFees(MARKET_ID, sender=alice)
    assert base.balanceOf(fee_recipient) == event.takerFee
    assert quote.balanceOf(fee_recipient) == event.makerFee
    assert (
        exchange.FeesCollected(MARKET_ID, fee_recipient, event.takerFee, event.makerFee)
        in receipt.events
    )
    info = exchange.market(MARKET_ID)
    assert (info.accruedBaseFees, info.accruedQuoteFees) == (0, 0)
    with ape.reverts(exchange.ExchangeMarketUnknown, marketId=3):
        exchange.collectFees(3, sender=alice)
    exchange.setFeeRecipient(alice, sender=deployer)
    assert exchange.feeRecipient() == alice
    with ape.reverts(exchange.ExchangeZeroAddress):
        exchange.setFeeRecipient(ape.utils.ZERO_ADDRESS, sender=deployer)


def test_withdrawal_delay_bounds(exchange, deployer, alice):
    receipt = exchange.setWithdrawalDelay(3600, sender=deployer)
    assert exchange.withdrawalDelay() == 3600
    assert exchange.WithdrawalDelayChanged(DELAY, 3600) in receipt.events
    for bad in (59, 7 * 86400 + 1):
        with ape.reverts(
            exchange.ExchangeWithdrawalDelayOutOfBounds, delay=bad, min=60, max=7 * 86400
        ):
            exchange.setWithdrawalDelay(bad, sender=deployer)
    with ape.reverts(exchange.AccessControlUnauthorizedAccount):
        exchange.setWithdrawalDelay(3600, sender=alice)


def test_constructor_rejects_zero_addresses_and_bad_delay(project, deployer, weth):
    with ape.reverts(project.Exchange.ExchangeZeroAddress):
        deployer.deploy(project.Exchange, ape.utils.ZERO_ADDRESS, weth, deployer, 600)
    with ape.reverts(project.Exchange.ExchangeWithdrawalDelayOutOfBounds):
        deployer.deploy(project.Exchange, deployer, weth, deployer, 0)


def test_domain_is_tigerex_v1_bound_to_chain_and_address(exchange, chain):
    domain = exchange.eip712Domain()
    assert (domain.name, domain.version, domain.chainId, domain.verifyingContract) == (
        "TigerEx",
        "1",
        chain.chain_id,
        exchange.address,
    )


# ---------------------------------------------------------------------------- conservation

_fill_step = st.tuples(
    st.integers(0, 2),  # maker index
    st.integers(0, 2),  # taker index
    st.booleans(),  # maker buys
    st.integers(1, 600_000),  # maker price
    st.integers(0, 40),  # maker quantity
    st.integers(0, 40),  # fill quantity
)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(_fill_step, min_size=1, max_size=6))
def test_vault_balances_plus_fees_equal_token_holdings(
    exchange, operator, orders, base, quote, funded, steps
):
    """Random batches (valid or not): sum of vault balances + accrued fees == token balance."""
    matches = []
    for maker_i, taker_i, maker_buys, price, quantity, fill in steps:
        maker = orders.signed(
            funded[maker_i], is_buy=maker_buys, price=price, quantity=max(quantity, 1)
        )
        taker = orders.signed(funded[taker_i], is_buy=not maker_buys, price=price, quantity=40)
        matches.append(orders.match(maker, taker, fill))
    exchange.settle(matches, sender=operator)
    info = exchange.market(MARKET_ID)
    for token, fees in ((base, info.accruedBaseFees), (quote, info.accruedQuoteFees)):
        vault = sum(exchange.balanceOf(token, a) for a in funded)
        assert vault + fees == token.balanceOf(exchange)


def test_withdraw_eth_works_while_paused_and_empty_settle_is_a_no_op(
    exchange, deployer, operator, alice, weth, chain
):
    exchange.depositETH(sender=alice, value=10**17)
    exchange.requestWithdrawal(weth, 10**17, sender=alice)
    exchange.pause(sender=deployer)
    chain.pending_timestamp += DELAY
    exchange.withdrawETH(sender=alice)
    assert exchange.balanceOf(weth, alice) == 0
    exchange.unpause(sender=deployer)
    receipt = exchange.settle([], sender=operator)
    assert list(receipt.events) == []
