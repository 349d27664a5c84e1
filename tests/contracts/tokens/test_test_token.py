import ape
import pytest


@pytest.fixture(scope="module")
def usdc(project, deployer):
    return deployer.deploy(project.TestToken, "Test USD Coin", "tUSDC", 6, deployer)


@pytest.fixture(scope="module")
def weth(project, deployer):
    return deployer.deploy(project.TestToken, "Test Wrapped Ether", "tWETH", 18, deployer)


@pytest.fixture(scope="module", autouse=True)
def _deployed_first(usdc, weth):
    """Deploy both before any test, so Ape's per-test snapshots never need rebasing."""


def test_metadata_reflects_constructor(usdc, weth, deployer):
    assert (usdc.name(), usdc.symbol(), usdc.decimals()) == ("Test USD Coin", "tUSDC", 6)
    assert weth.decimals() == 18
    assert usdc.owner() == deployer
    assert usdc.totalSupply() == 0


def test_constructor_rejects_decimals_above_max(project, deployer):
    with ape.reverts(project.TestToken.TestTokenDecimalsTooLarge, decimals=37, maxDecimals=36):
        deployer.deploy(project.TestToken, "Bad", "BAD", 37, deployer)


def test_owner_mints_and_event_is_emitted(usdc, deployer, alice):
    receipt = usdc.mint(alice, 1_000_000, sender=deployer)
    assert usdc.balanceOf(alice) == 1_000_000
    assert usdc.totalSupply() == 1_000_000
    assert receipt.events == [
        usdc.Transfer(ape.utils.ZERO_ADDRESS, alice, 1_000_000),
        usdc.Minted(alice, 1_000_000),
    ]


def test_mint_reverts_when_caller_is_not_owner(usdc, alice):
    with ape.reverts(usdc.OwnableUnauthorizedAccount, account=alice):
        usdc.mint(alice, 1, sender=alice)
    assert usdc.totalSupply() == 0


def test_transfer_moves_exact_base_units(weth, deployer, alice, bob):
    weth.mint(alice, 10**18 + 1, sender=deployer)
    weth.transfer(bob, 10**18, sender=alice)
    assert weth.balanceOf(alice) == 1
    assert weth.balanceOf(bob) == 10**18


def test_transfer_reverts_on_insufficient_balance(weth, alice, bob):
    with ape.reverts(weth.ERC20InsufficientBalance, sender=alice, balance=0, needed=1):
        weth.transfer(bob, 1, sender=alice)
