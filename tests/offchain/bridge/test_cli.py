"""`tigerex bridge deploy / validator / relayer` as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys

from offchain.bridge.config import BridgeNetwork
from offchain.bridge.contracts import bridge_contract
from tests.offchain.bridge.conftest import CHAIN_A, CHAIN_B, validator_keys
from tigerex.chain import connect
from tigerex.paths import project_root


def tigerex(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tigerex.cli", *args],
        cwd=project_root(), capture_output=True, text=True, timeout=180,
        env={**os.environ, "TIGEREX_NETWORK": "local", "COLUMNS": "200", **(env or {})},
    )  # fmt: skip


def test_deploy_wires_both_chains_and_writes_the_config(anvil_a, anvil_b, tmp_path):
    config = tmp_path / "bridge.json"
    validators = [k.address for k in validator_keys()]
    result = tigerex(
        "bridge", "deploy", "--rpc-url", anvil_a.url, "--rpc-url", anvil_b.url,
        *[arg for v in validators for arg in ("--validator", v)],
        "--threshold", "2", "--config", str(config),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2-of-3 validators" in result.stdout
    network = BridgeNetwork.load(config)
    home, remote = network.chains
    assert (home.chain_id, remote.chain_id) == (CHAIN_A, CHAIN_B)
    bridge_a = bridge_contract(connect(anvil_a.url), home.bridge)
    bridge_b = bridge_contract(connect(anvil_b.url), remote.bridge)
    assert bridge_a.functions.remoteBridge(CHAIN_B).call() == remote.bridge
    assert bridge_b.functions.remoteBridge(CHAIN_A).call() == home.bridge
    assert bridge_b.functions.threshold().call() == 2
    route = network.tokens[0]
    assert bridge_b.functions.bridgedToken(CHAIN_A, route.origin_token).call() == (
        route.bridged_token
    )


def test_validator_without_a_key_fails_with_a_clear_error(tmp_path):
    result = tigerex("bridge", "validator", "--config", str(tmp_path / "none.json"))
    assert result.returncode == 1
    assert "error[configuration_invalid]" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_relayer_with_a_missing_config_says_what_to_run(tmp_path):
    result = tigerex(
        "bridge", "relayer", "--dev-account", "5", "--config", str(tmp_path / "none.json"),
        env={"TIGEREX_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
    )  # fmt: skip
    assert result.returncode == 1
    assert "error[bridge_config_invalid]" in result.stdout
    assert "tigerex bridge deploy" in result.stdout


def test_a_malformed_node_override_is_refused(tmp_path, anvil_a, anvil_b):
    from offchain.bridge.config import ChainConfig

    zero = "0x" + "00" * 20
    BridgeNetwork(
        chains=[
            ChainConfig(chain_id=CHAIN_A, rpc_url=anvil_a.url, bridge=zero, deploy_block=0),
            ChainConfig(chain_id=CHAIN_B, rpc_url=anvil_b.url, bridge=zero, deploy_block=0),
        ],
        validators=[],
        threshold=1,
    ).save(tmp_path / "bridge.json")
    result = tigerex(
        "bridge", "validator", "--key-env", "K", "--config", str(tmp_path / "bridge.json"),
        "--rpc-url", "not-a-chain", "--once",
        env={"K": "0x" + "11" * 32, "TIGEREX_DATABASE_URL": f"sqlite:///{tmp_path / 'db'}"},
    )  # fmt: skip
    assert result.returncode == 1
    assert "error[configuration_invalid]: --rpc-url takes CHAIN_ID=URL" in result.stdout
