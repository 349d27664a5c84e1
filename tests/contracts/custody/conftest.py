import pytest

from offchain.custody.multisig import (
    MultisigTransaction,
    Operation,
    ecdsa,
    pack_signatures,
    sign_typed_data,
    transaction_typed_data,
)


def wallet_nonce(wallet):
    """The wallet's execution nonce (Ape's own ``.nonce`` is the account nonce of the address)."""
    return wallet.call_view_method("nonce")


@pytest.fixture(scope="session")
def owners(accounts):
    return sorted([accounts[3], accounts[4], accounts[5]], key=lambda a: int(a.address, 16))


@pytest.fixture(scope="module")
def factory(project, deployer):
    return deployer.deploy(project.MultisigFactory)


@pytest.fixture(scope="module")
def wallet(project, factory, owners, deployer):
    receipt = factory.createWallet([o.address for o in owners], 2, 0, sender=deployer)
    address = receipt.events[-1].wallet
    w = project.MultisigWallet.at(address)
    deployer.transfer(w, 10**18)
    return w


@pytest.fixture(scope="module")
def token(project, deployer, wallet):
    t = deployer.deploy(project.TestToken, "Test USD Coin", "tUSDC", 6, deployer)
    t.mint(wallet, 1_000_000_000, sender=deployer)
    return t


@pytest.fixture(scope="module", autouse=True)
def _deployed_first(factory, wallet, token):
    """Deploy before any test, so Ape's per-test snapshots never need rebasing."""


class Signer:
    """Builds, signs and packs multisig transactions the way an off-chain client does."""

    def __init__(self, chain):
        self.chain = chain

    def tx(
        self, wallet, to, value=0, data=b"", operation=Operation.CALL, nonce=None, chain_id=None
    ):
        return MultisigTransaction(
            wallet=wallet.address,
            chain_id=self.chain.chain_id if chain_id is None else chain_id,
            to=str(to),
            value=value,
            data=bytes(data),
            operation=operation,
            nonce=wallet_nonce(wallet) if nonce is None else nonce,
        )

    def sign(self, tx, signers):
        typed = transaction_typed_data(tx)
        return pack_signatures(
            [ecdsa(s.address, sign_typed_data(typed, s.private_key)) for s in signers]
        )

    def execute(
        self, wallet, signers, to, value=0, data=b"", operation=Operation.CALL, sender=None, **kw
    ):
        tx = self.tx(wallet, to, value, data, operation, **kw)
        signatures = self.sign(tx, signers)
        return wallet.execTransaction(
            tx.to, tx.value, tx.data, int(tx.operation), signatures, sender=sender or signers[0]
        )


@pytest.fixture(scope="session")
def signer(chain):
    return Signer(chain)
