"""contracts/tokens/WrappedEther.sol: WETH9 semantics."""

import ape
import pytest


@pytest.fixture(scope="module")
def weth(project, deployer):
    return deployer.deploy(project.WrappedEther)


@pytest.fixture(scope="module", autouse=True)
def _deployed_first(weth):
    """Deploy before any test, so Ape's per-test snapshots never need rebasing."""


def test_metadata(weth):
    assert (weth.name(), weth.symbol(), weth.decimals()) == ("Wrapped Ether", "WETH", 18)


def test_deposit_and_plain_transfer_wrap(weth, alice):
    receipt = weth.deposit(sender=alice, value=100)
    assert weth.Deposit(alice, 100) in receipt.events
    alice.transfer(weth, 50)
    assert weth.balanceOf(alice) == 150
    assert weth.totalSupply() == 150 == weth.balance


def test_withdraw_unwraps(weth, alice):
    weth.deposit(sender=alice, value=100)
    before = alice.balance
    receipt = weth.withdraw(60, sender=alice)
    assert weth.Withdrawal(alice, 60) in receipt.events
    assert alice.balance == before + 60 - receipt.total_fees_paid
    assert weth.balanceOf(alice) == 40
    with ape.reverts(weth.WrappedEtherInsufficientBalance, account=alice, balance=40, needed=41):
        weth.withdraw(41, sender=alice)


def test_transfer_from_spends_allowance_except_infinite(weth, alice, bob):
    weth.deposit(sender=alice, value=100)
    weth.approve(bob, 30, sender=alice)
    weth.transferFrom(alice, bob, 20, sender=bob)
    assert weth.allowance(alice, bob) == 10
    with ape.reverts(
        weth.WrappedEtherInsufficientAllowance, owner=alice, spender=bob, allowance=10, needed=11
    ):
        weth.transferFrom(alice, bob, 11, sender=bob)
    weth.approve(bob, 2**256 - 1, sender=alice)
    weth.transferFrom(alice, bob, 50, sender=bob)
    assert weth.allowance(alice, bob) == 2**256 - 1
    assert (weth.balanceOf(alice), weth.balanceOf(bob)) == (30, 70)
    with ape.reverts(weth.WrappedEtherInsufficientBalance, account=alice, balance=30, needed=31):
        weth.transfer(bob, 31, sender=alice)
