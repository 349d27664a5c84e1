import pytest

from offchain.custody.multisig import sign_typed_data

DAY = 24 * 3600
DISPUTE_DELAY = 3600
ARBITRATION_PERIOD = 7 * DAY
FEE_BPS = 50
TERMS = b"\x07" * 32


@pytest.fixture(scope="session")
def seller(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def buyer(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def arbiter(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def kyc(project, deployer):
    registry = deployer.deploy(project.KYCRegistry, deployer)
    registry.grantRole(registry.ATTESTER_ROLE(), deployer, sender=deployer)
    return registry


@pytest.fixture(scope="module")
def escrow(project, deployer, kyc, arbiter):
    e = deployer.deploy(project.Escrow, deployer, kyc, FEE_BPS, DISPUTE_DELAY, ARBITRATION_PERIOD)
    e.grantRole(e.ARBITER_ROLE(), arbiter, sender=deployer)
    return e


@pytest.fixture(scope="module")
def usdc(project, deployer, seller, escrow):
    token = deployer.deploy(project.TestToken, "Test USD Coin", "tUSDC", 6, deployer)
    token.mint(seller, 10**12, sender=deployer)
    token.approve(escrow, 2**256 - 1, sender=seller)
    return token


@pytest.fixture(scope="module", autouse=True)
def _deployed_first(kyc, escrow, usdc):
    """Deploy before any test, so Ape's per-test snapshots never need rebasing."""


def params_from(receipt):
    """The EscrowParams tuple from an EscrowOpened event (what the indexer/API serve)."""
    ev = next(e for e in receipt.events if e.event_name == "EscrowOpened")
    return ev.escrowId, (
        ev.seller,
        ev.buyer,
        ev.token,
        ev.amount,
        ev.termsHash,
        ev.paymentDeadline,
        ev.feeBps,
        ev.kycLevel,
        ev.arbiter,
    )


def open_escrow(
    escrow, seller, buyer, token, amount, *, window=3600, kyc_level=0, arbiter=None, value=0
):
    receipt = escrow.open(
        buyer,
        token,
        amount,
        TERMS,
        window,
        kyc_level,
        arbiter or "0x0000000000000000000000000000000000000000",
        sender=seller,
        value=value,
    )
    return params_from(receipt)


def sign(account, typed):
    return sign_typed_data(typed, account.private_key)
