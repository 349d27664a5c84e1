"""Fixtures for the StakingPools tests: one deployment per module, pools created per test."""

import pytest

DAY = 24 * 3600
WEEK = 7 * DAY
UNIT = 10**18
PRECISION = 10**18
LOCKS = [30 * DAY, 90 * DAY, 180 * DAY]
BOOSTS = [12_500, 15_000, 20_000]
PENALTY_BPS = 1_000
MAX_UINT = 2**256 - 1


class Policy:
    REFUSED = 0
    TO_TREASURY = 1
    TO_STAKERS = 2


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def treasury(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def staking(project, deployer, treasury):
    return deployer.deploy(project.StakingPools, deployer, treasury)


def _funded_token(project, deployer, staking, holders, symbol):
    token = deployer.deploy(project.TestToken, symbol, symbol, 18, deployer)
    for who in holders:
        token.mint(who, 10**12 * UNIT, sender=deployer)
        token.approve(staking, MAX_UINT, sender=who)
    return token


@pytest.fixture(scope="module")
def stk(project, deployer, alice, bob, carol, staking):
    return _funded_token(project, deployer, staking, (deployer, alice, bob, carol), "STK")


@pytest.fixture(scope="module")
def rwd(project, deployer, alice, bob, carol, staking):
    return _funded_token(project, deployer, staking, (deployer, alice, bob, carol), "RWD")


@pytest.fixture(scope="module", autouse=True)
def _deployed_first(staking, stk, rwd):
    """Deploy before any test, so Ape's per-test snapshots never need rebasing."""


def create_pool(staking, admin, token, policy=Policy.TO_TREASURY, penalty_bps=PENALTY_BPS):
    receipt = staking.createPool(
        token,
        LOCKS,
        BOOSTS,
        policy,
        0 if policy == Policy.REFUSED else penalty_bps,
        sender=admin,
    )
    return next(e for e in receipt.events if e.event_name == "PoolCreated").poolId


def event(receipt, name):
    return next(e for e in receipt.events if e.event_name == name)


def events(receipt, name):
    return [e for e in receipt.events if e.event_name == name]
