"""Contract-test fixtures. These tests run under Ape's pytest plugin on the in-process chain by
default and on Anvil with ``--network ethereum:local:foundry``; Ape isolates each test with a
chain snapshot, so module fixtures deploy once."""

import pytest


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[2]


@pytest.fixture(scope="session", autouse=True)
def _accounts_first(deployer, alice, bob):
    """Resolve the named accounts before any test, so Ape's snapshots never need rebasing."""
