"""`tigerex up --bridge` as a user runs it: two chains, the bridge, 3 validators, the relayer;
a lock on the home chain is minted on the second one; Ctrl-C leaves nothing running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from offchain.bridge.config import BridgeNetwork
from offchain.bridge.contracts import abi, bridge_contract
from tests.offchain.bridge.conftest import wait_until
from tests.tigerex.test_cli_up import _processes_mentioning
from tigerex.chain import connect
from tigerex.devchain import dev_accounts
from tigerex.node import free_port, rpc_call
from tigerex.paths import project_root

pytestmark = pytest.mark.slow


def test_up_with_bridge_runs_validators_and_relayer_end_to_end(tmp_path):
    data_dir = tmp_path / "data"
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "tigerex.cli", "up", "--bridge", "--data-dir", str(data_dir),
            "--rpc-port", str(free_port()), "--api-port", str(free_port()),
        ],
        cwd=project_root(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError("tigerex up --bridge exited early:\n" + "".join(lines))
            lines.append(line)
            if "Ctrl-C stops everything" in line:
                break
        output = "".join(lines)
        assert "bridge chain" in output and "(chain id 31338)" in output, output
        network = BridgeNetwork.load(data_dir / "deployments" / "bridge-local.json")
        assert [c.chain_id for c in network.chains] == [31337, 31338]
        assert network.threshold == 2 and len(network.validators) == 3

        home, remote = network.chains
        w3_a, w3_b = connect(home.rpc_url), connect(remote.rpc_url)
        route = network.tokens[0]
        token = w3_a.eth.contract(address=route.origin_token, abi=abi("TestToken"))
        wrapped = w3_b.eth.contract(address=route.bridged_token, abi=abi("BridgedToken"))
        user = dev_accounts()[1].address
        bridge_a = bridge_contract(w3_a, home.bridge)
        for call in (
            token.functions.approve(bridge_a.address, 10**18),
            bridge_a.functions.lock(token.address, 10**18, remote.chain_id, user),
        ):
            receipt = w3_a.eth.wait_for_transaction_receipt(call.transact({"from": user}))
            assert receipt["status"] == 1
        rpc_call(home.rpc_url, "anvil_mine", [hex(home.confirmations)])
        wait_until(lambda: wrapped.functions.balanceOf(user).call() == 10**18, 90, "the mint")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=60)
    assert proc.returncode == 0, "".join(lines)
    time.sleep(0.5)
    assert _processes_mentioning(str(data_dir)) == [], "Ctrl-C must leave no process behind"
