import pytest

from tests.contracts.launchpad.model import tokens_for

HOUR = 3600
DAY = 24 * HOUR
FEE_BPS = 250
REVEAL_WINDOW = 2 * DAY
ZERO = "0x0000000000000000000000000000000000000000"
USD = 10**6  # the payment token has 6 decimals
TOKEN = 10**18
PRICE = USD // 2  # 0.50 payment token per sale token
HARD_CAP = 10_000 * USD
SOFT_CAP = 2_000 * USD
MIN_BUY = 10 * USD
MAX_BUY = 8_000 * USD
VESTING = {"cliff": 30 * DAY, "duration": 90 * DAY, "tge_bps": 2_000}


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def dave(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def treasury(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def fee_recipient(accounts):
    return accounts[8]


@pytest.fixture(scope="session")
def buyers(alice, bob, carol, dave, accounts):
    return [alice, bob, carol, dave, accounts[5], accounts[6]]


@pytest.fixture(scope="module")
def kyc(project, deployer):
    registry = deployer.deploy(project.KYCRegistry, deployer)
    registry.grantRole(registry.ATTESTER_ROLE(), deployer, sender=deployer)
    return registry


@pytest.fixture(scope="module")
def vault(project, deployer):
    return deployer.deploy(project.VestingVault, deployer)


@pytest.fixture(scope="module")
def launchpad(project, deployer, kyc, vault, fee_recipient):
    pad = deployer.deploy(
        project.Launchpad, deployer, kyc, vault, fee_recipient, FEE_BPS, REVEAL_WINDOW
    )
    vault.grantRole(vault.SCHEDULER_ROLE(), pad, sender=deployer)
    return pad


@pytest.fixture(scope="module")
def staking(project, deployer):
    return deployer.deploy(project.TestStakingWeights)


@pytest.fixture(scope="module")
def tusd(project, deployer, buyers, launchpad):
    token = deployer.deploy(project.TestToken, "Test USD", "tUSD", 6, deployer)
    for buyer in buyers:
        token.mint(buyer, 100_000 * USD, sender=deployer)
        token.approve(launchpad, 2**256 - 1, sender=buyer)
    return token


@pytest.fixture(scope="module")
def sale_token(project, deployer, launchpad):
    token = deployer.deploy(project.TestToken, "Project Token", "PRJ", 18, deployer)
    token.mint(deployer, 10**9 * TOKEN, sender=deployer)
    token.approve(launchpad, 2**256 - 1, sender=deployer)
    return token


@pytest.fixture(scope="module", autouse=True)
def _deployed_first(kyc, vault, launchpad, staking, tusd, sale_token, treasury, buyers, accounts):
    """Deploy before any test, so Ape's per-test snapshots never need rebasing."""


class Sales:
    """Creates sales relative to the chain's clock, with the module's defaults."""

    def __init__(self, launchpad, chain, deployer, sale_token, tusd, treasury, staking):
        self.launchpad = launchpad
        self.chain = chain
        self.deployer = deployer
        self.sale_token = sale_token
        self.tusd = tusd
        self.treasury = treasury
        self.staking = staking

    def params(self, **overrides):
        now = self.chain.pending_timestamp
        start = overrides.pop("start", now + HOUR)
        end = overrides.pop("end", start + DAY)
        p = {
            "saleToken": self.sale_token.address,
            "paymentToken": self.tusd.address,
            "treasury": self.treasury.address,
            "staking": ZERO,
            "poolId": 0,
            "snapshotTime": start - HOUR // 2,
            "startTime": start,
            "endTime": end,
            "price": PRICE,
            "hardCap": HARD_CAP,
            "softCap": SOFT_CAP,
            "minBuy": MIN_BUY,
            "maxBuy": MAX_BUY,
            "kycLevel": 0,
            "lottery": False,
            "tierThresholds": [],
            "tierAllocations": [],
            "vesting": (
                end + DAY,
                VESTING["cliff"],
                VESTING["duration"],
                VESTING["tge_bps"],
                False,
            ),
        }
        p.update(overrides)
        return p

    @staticmethod
    def as_tuple(p):
        return tuple(p.values())

    def create(self, *, deposit=True, open_now=True, seed_hash=None, **overrides):
        """Creates (and by default funds and opens) a sale; returns (sale_id, params)."""
        p = self.params(**overrides)
        receipt = self.launchpad.createSale(self.as_tuple(p), sender=self.deployer)
        sale_id = next(e for e in receipt.events if e.event_name == "SaleCreated").saleId
        if deposit:
            amount = deposit if isinstance(deposit, int) and deposit is not True else None
            amount = amount or tokens_for(p["hardCap"], p["price"])
            self.launchpad.depositSaleTokens(sale_id, amount, sender=self.deployer)
        if seed_hash is not None:
            self.launchpad.commitSeed(sale_id, seed_hash, sender=self.deployer)
        if open_now:
            self.chain.pending_timestamp = p["startTime"]
        return sale_id, p

    def end(self, p, extra=1):
        self.chain.pending_timestamp = p["endTime"] + extra


@pytest.fixture
def sales(launchpad, chain, deployer, sale_token, tusd, treasury, staking):
    return Sales(launchpad, chain, deployer, sale_token, tusd, treasury, staking)
