"""Two real Anvil chains with different chain ids, a bridge deployed between them, and the
validator and relayer processes started through the real ``tigerex bridge`` commands."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from offchain.bridge.config import BridgeNetwork
from offchain.bridge.contracts import abi, bridge_contract
from offchain.bridge.deploy import deploy_bridge_network
from tigerex.chain import connect
from tigerex.db import migrate
from tigerex.devchain import dev_accounts
from tigerex.node import AnvilNode, rpc_call
from tigerex.paths import project_root
from tigerex.process import child_env, spawn, stop

CHAIN_A = 31337
CHAIN_B = 31338
CONFIRMATIONS = 3
RELAYER_DEV_ACCOUNT = 5


def validator_keys() -> list[LocalAccount]:
    keys = [Account.from_key(keccak(text=f"tigerex e2e validator {i}")) for i in range(3)]
    return sorted(keys, key=lambda k: int(k.address, 16))


@pytest.fixture(scope="module")
def anvil_a(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    log = tmp_path_factory.mktemp("anvil-a") / "anvil.log"
    with AnvilNode(chain_id=CHAIN_A, log_file=log) as node:
        yield node


@pytest.fixture(scope="module")
def anvil_b(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    log = tmp_path_factory.mktemp("anvil-b") / "anvil.log"
    with AnvilNode(chain_id=CHAIN_B, log_file=log) as node:
        yield node


class BridgeWorld:
    """Both chains, the deployed bridge, and helpers to drive and observe it."""

    def __init__(self, a: AnvilNode, b: AnvilNode, network: BridgeNetwork, config: Path, db: str):
        self.nodes = {CHAIN_A: a, CHAIN_B: b}
        self.w3 = {CHAIN_A: connect(a.url), CHAIN_B: connect(b.url)}
        self.network = network
        self.config = config
        self.database_url = db
        self.bridge = {
            c.chain_id: bridge_contract(self.w3[c.chain_id], c.bridge) for c in network.chains
        }
        route = network.tokens[0]
        self.token = self.w3[CHAIN_A].eth.contract(address=route.origin_token, abi=abi("TestToken"))
        self.wrapped = self.w3[CHAIN_B].eth.contract(
            address=route.bridged_token, abi=abi("BridgedToken")
        )
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs = config.parent

    # ------------------------------------------------------------------ chain

    def mine(self, chain_id: int, blocks: int) -> None:
        rpc_call(self.nodes[chain_id].url, "anvil_mine", [hex(blocks)])

    def send(self, chain_id: int, call, sender: str) -> dict:  # type: ignore[no-untyped-def]
        w3 = self.w3[chain_id]
        receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
        assert receipt["status"] == 1
        return receipt

    def lock(self, sender: str, amount: int, recipient: str) -> dict:  # type: ignore[no-untyped-def]
        bridge = self.bridge[CHAIN_A]
        self.send(CHAIN_A, self.token.functions.approve(bridge.address, amount), sender)
        return self.send(
            CHAIN_A,
            bridge.functions.lock(self.token.address, amount, CHAIN_B, recipient),
            sender,
        )

    def burn(self, sender: str, amount: int, recipient: str) -> dict:  # type: ignore[no-untyped-def]
        bridge = self.bridge[CHAIN_B]
        return self.send(
            CHAIN_B, bridge.functions.burn(self.wrapped.address, amount, recipient), sender
        )

    # ------------------------------------------------------------------ processes

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.processes[name] = spawn(
            [sys.executable, "-m", "tigerex.cli", "bridge", *args, "--config", str(self.config)],
            env=child_env(TIGEREX_DATABASE_URL=self.database_url, TIGEREX_NETWORK="local", **env),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=project_root(),
        )

    def start_validator(self, index: int) -> None:
        key = validator_keys()[index]
        self._spawn(
            f"validator-{index}",
            ["validator", "--key-env", "BRIDGE_VALIDATOR_KEY", "--poll-interval", "0.2"],
            {"BRIDGE_VALIDATOR_KEY": "0x" + key.key.hex().removeprefix("0x")},
        )

    def start_relayer(self) -> None:
        self._spawn(
            "relayer",
            ["relayer", "--dev-account", str(RELAYER_DEV_ACCOUNT), "--poll-interval", "0.2"],
            {},
        )

    def stop_process(self, name: str) -> None:
        proc = self.processes.pop(name)
        stop(proc)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop_process(name)

    def log_text(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.logs.glob("*.log"))
        )


def wait_until(condition: Callable[[], bool], timeout: float, what: str, world=None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        exited = [n for n, p in (world.processes.items() if world else []) if p.poll() is not None]
        if exited:
            raise AssertionError(f"{', '.join(exited)} exited\n{world.log_text()}")
        time.sleep(0.2)
    details = world.log_text() if world is not None else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{details}")


@pytest.fixture
def world(anvil_a, anvil_b, tmp_path) -> Iterator[BridgeWorld]:
    """A fresh bridge (2-of-3) between the two chains, a fresh SQLite store; processes are
    stopped after the test."""
    keys = validator_keys()
    network = deploy_bridge_network(
        rpc_urls=[anvil_a.url, anvil_b.url],
        deployer=dev_accounts()[0],
        validators=[k.address for k in keys],
        threshold=2,
        mint_to=[dev_accounts()[1].address],
        confirmations=CONFIRMATIONS,
    )
    config = tmp_path / "bridge-local.json"
    network.save(config)
    db = f"sqlite:///{tmp_path / 'bridge.db'}"
    migrate(db)  # as `tigerex up` does before it starts the processes
    w = BridgeWorld(anvil_a, anvil_b, network, config, db)
    try:
        yield w
    finally:
        w.stop_all()


@pytest.fixture
def user() -> str:
    return str(dev_accounts()[1].address)
