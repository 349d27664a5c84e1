import pytest

from offchain.custody.service import MultisigService
from tigerex.devchain import dev_accounts

ONE_ETH = 10**18


def sorted_accounts(accounts):
    return sorted(accounts, key=lambda a: int(a.address, 16))


@pytest.fixture
def owners():
    return sorted_accounts(dev_accounts()[1:4])


def create_wallet(suite, w3, owner_addresses, threshold, salt=0, fund=ONE_ETH):
    factory = suite.contract("MultisigFactory")
    deployer = dev_accounts()[0].address
    tx = factory.functions.createWallet(owner_addresses, threshold, salt).transact(
        {"from": deployer}
    )
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    address = factory.functions.predictWallet(owner_addresses, threshold, salt).call()
    if fund:
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_transaction({"from": deployer, "to": address, "value": fund})
        )
    return address


@pytest.fixture
def wallet(suite, w3, owners):
    """A funded 2-of-3 wallet of dev accounts 1-3 (reverted after the test)."""
    return create_wallet(suite, w3, [o.address for o in owners], 2)


@pytest.fixture
def service(w3):
    return MultisigService(w3)
