"""Fixtures for the Bridge tests on ONE chain.

The Bridge takes its own chain id from ``block.chainid``, so one chain cannot host two chain ids.
Each side is tested alone here: messages "from" a remote chain (``REMOTE_CHAIN_ID``, bridge
``REMOTE_BRIDGE``) are built and signed in Python exactly as the validators do, and a loopback
pair of bridges on this chain (each registered as the other's remote for this chain id) runs
the full lock -> mint -> burn -> release path for the invariant test. The real two-chain path is
tested on two Anvils in tests/offchain/bridge/.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from offchain.bridge.messages import (
    BridgeMessage,
    MessageKind,
    message_typed_data,
    pack_signatures,
    rotation_typed_data,
    sorted_validators,
)
from tigerex.eip712 import sign_typed_data

REMOTE_CHAIN_ID = 777
REMOTE_BRIDGE = to_checksum_address("0x" + keccak(text="remote bridge").hex()[-40:])
REMOTE_TOKEN = to_checksum_address("0x" + keccak(text="remote token").hex()[-40:])
WINDOW = 86_400
GRACE_PERIOD = 3_600
CAP = 10**24


def validator_keys(label: str, count: int) -> list[LocalAccount]:
    """Deterministic validator keys, sorted by address (the order the contract requires)."""
    keys = [Account.from_key(keccak(text=f"tigerex bridge {label} {i}")) for i in range(count)]
    return sorted(keys, key=lambda k: int(k.address, 16))


class Validators:
    """A validator set with its keys: signs messages and rotations as the validator network does."""

    def __init__(self, keys: list[LocalAccount], threshold: int) -> None:
        self.keys = keys
        self.threshold = threshold

    @property
    def addresses(self) -> list[str]:
        return sorted_validators([k.address for k in self.keys])

    def sign(self, message: BridgeMessage, signers: list[LocalAccount] | None = None) -> bytes:
        chosen = self.keys[: self.threshold] if signers is None else signers
        typed = message_typed_data(message)
        return pack_signatures({k.address: sign_typed_data(typed, k.key) for k in chosen})

    def sign_rotation(
        self, bridge: str, chain_id: int, epoch: int, new: Validators, signers=None
    ) -> bytes:
        chosen = self.keys[: self.threshold] if signers is None else signers
        typed = rotation_typed_data(
            bridge=bridge,
            chain_id=chain_id,
            epoch=epoch,
            validators=new.addresses,
            threshold=new.threshold,
        )
        return pack_signatures({k.address: sign_typed_data(typed, k.key) for k in chosen})


@pytest.fixture(scope="session")
def validators() -> Validators:
    return Validators(validator_keys("epoch1", 5), 3)


@pytest.fixture(scope="session")
def guardian(accounts):
    return accounts[8]


@pytest.fixture(scope="session")
def relayer(accounts):
    return accounts[9]


def deploy_bridge(project, deployer, guardian, validators: Validators):
    return deployer.deploy(
        project.Bridge,
        deployer,
        guardian,
        validators.addresses,
        validators.threshold,
        WINDOW,
        GRACE_PERIOD,
    )


@pytest.fixture(scope="module")
def bridge(project, deployer, guardian, validators):
    b = deploy_bridge(project, deployer, guardian, validators)
    b.setRemoteBridge(REMOTE_CHAIN_ID, REMOTE_BRIDGE, sender=deployer)
    return b


@pytest.fixture(scope="module")
def token(project, deployer, bridge, alice):
    """A token native to this chain, listed on the bridge."""
    t = deployer.deploy(project.TestToken, "Test USD Coin", "tUSDC", 6, deployer)
    t.mint(alice, 10**18, sender=deployer)
    t.approve(bridge, 2**256 - 1, sender=alice)
    bridge.setTokenLimit(t, CAP, sender=deployer)
    return t


@pytest.fixture(scope="module")
def wrapped(project, deployer, bridge):
    """The BridgedToken for the remote chain's REMOTE_TOKEN, listed with a cap."""
    receipt = bridge.createBridgedToken(
        REMOTE_CHAIN_ID, REMOTE_TOKEN, "Bridged Remote", "bREM", 18, sender=deployer
    )
    w = project.BridgedToken.at(receipt.events[-1].bridgedToken)
    bridge.setTokenLimit(w, CAP, sender=deployer)
    return w


@pytest.fixture(scope="module", autouse=True)
def _deployed_first(bridge, token, wrapped):
    """Deploy before any test, so Ape's per-test snapshots never need rebasing."""


@pytest.fixture
def make_message(bridge, chain, alice):
    """A message from the remote chain to ``bridge``; keyword arguments override fields."""

    def make(**overrides) -> BridgeMessage:
        fields = {
            "kind": MessageKind.LOCK,
            "src_chain_id": REMOTE_CHAIN_ID,
            "src_bridge": REMOTE_BRIDGE,
            "dst_chain_id": chain.chain_id,
            "dst_bridge": bridge.address,
            "nonce": 0,
            "token": REMOTE_TOKEN,
            "recipient": alice.address,
            "amount": 5 * 10**18,
            "epoch": 1,
        }
        fields.update(overrides)
        return BridgeMessage(**fields)

    return make
