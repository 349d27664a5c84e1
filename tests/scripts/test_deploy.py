"""The deploy script (scripts/deploy.py) against real Anvil nodes, through `tigerex deploy`."""

import json
import os
import subprocess
import sys

import pytest

from tigerex.chain import connect
from tigerex.cli import run_deploy
from tigerex.deployments import ContractRegistry, DeploymentsFile
from tigerex.devchain import dev_accounts
from tigerex.errors import DeploymentCodeMissing, TigerexError
from tigerex.node import AnvilNode, free_port
from tigerex.paths import project_root

SUITE = {
    "TUSD": "TigerUSD",
    "tWETH": "TestToken",
    "tUSDC": "TestToken",
    "WETH": "WrappedEther",
    "Exchange": "Exchange",
    "KYCRegistry": "KYCRegistry",
    "Escrow": "Escrow",
    "MultisigFactory": "MultisigFactory",
    "StakingPools": "StakingPools",
    "VestingVault": "VestingVault",
    "Launchpad": "Launchpad",
}


def _tigerex(*args, env=None, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "tigerex.cli", *args],
        cwd=project_root(),
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def fresh_anvil():
    with AnvilNode() as node:
        yield node


def test_deploy_writes_the_deployments_file(fresh_anvil, tmp_path):
    path = run_deploy(fresh_anvil.url, deployment="local", deployments_dir=tmp_path)
    data = json.loads(path.read_text())
    assert path == tmp_path / "local.json"
    assert data["chain_id"] == 31337
    assert data["deployer"] == dev_accounts(1)[0].address
    assert {n: c["artifact"]["contract_type"] for n, c in data["contracts"].items()} == SUITE
    w3 = connect(fresh_anvil.url)
    for entry in data["contracts"].values():
        receipt = w3.eth.get_transaction_receipt(entry["tx_hash"])
        assert receipt.contractAddress == entry["address"]
        assert receipt.blockNumber == entry["block_number"]
        assert entry["artifact"]["source_id"].startswith("contracts/")
    registry = ContractRegistry(w3, DeploymentsFile.load(path))
    registry.verify()
    tusd = registry.contract("TUSD")
    assert tusd.functions.symbol().call() == "TUSD"
    # Local deploys make the deployer the TUSD minter and fund the dev accounts.
    assert tusd.functions.hasRole(tusd.functions.MINTER_ROLE().call(), data["deployer"]).call()
    weth = registry.contract("tWETH")
    assert weth.functions.balanceOf(dev_accounts()[9].address).call() == 1_000 * 10**18
    # The exchange: the deployer operates locally, and market 1 is tWETH/tUSDC.
    exchange = registry.contract("Exchange")
    operator_role = exchange.functions.OPERATOR_ROLE().call()
    assert exchange.functions.hasRole(operator_role, data["deployer"]).call()
    assert exchange.functions.weth().call() == data["contracts"]["WETH"]["address"]
    market = exchange.functions.market(1).call()
    assert list(market[:2]) == [
        c["address"] for n, c in data["contracts"].items() if n in ("tWETH", "tUSDC")
    ]
    assert list(market[2:8]) == [10**15, 10, 1, 10, 20, True]
    # Staking: the local demo pool stakes TUSD for TUSD rewards, with 30/90/180-day locks.
    staking = registry.contract("StakingPools")
    assert staking.functions.poolCount().call() == 1
    pool = staking.functions.poolInfo(0).call()
    assert pool[0] == tusd.address and [o[0] // 86_400 for o in pool[5]] == [0, 30, 90, 180]
    assert list(pool[6]) == [tusd.address]
    assert staking.functions.rewardReserveOf(tusd.address).call() == 100_000 * 10**6
    # The launchpad creates buyers' vesting schedules in the vault.
    vault = registry.contract("VestingVault")
    launchpad = data["contracts"]["Launchpad"]["address"]
    assert vault.functions.hasRole(vault.functions.SCHEDULER_ROLE().call(), launchpad).call()
    # ...and schedules the staking snapshots its tiered sales read.
    snapshot_role = staking.functions.SNAPSHOT_ROLE().call()
    assert staking.functions.hasRole(snapshot_role, launchpad).call()


def test_redeploy_is_idempotent_and_force_redeploys(fresh_anvil, tmp_path):
    w3 = connect(fresh_anvil.url)
    deployer = dev_accounts(1)[0].address
    first = run_deploy(fresh_anvil.url, deployment="local", deployments_dir=tmp_path)
    before = json.loads(first.read_text())["contracts"]
    nonce = w3.eth.get_transaction_count(deployer)

    run_deploy(fresh_anvil.url, deployment="local", deployments_dir=tmp_path)
    assert json.loads(first.read_text())["contracts"] == before
    assert w3.eth.get_transaction_count(deployer) == nonce  # nothing sent

    run_deploy(fresh_anvil.url, deployment="local", deployments_dir=tmp_path, force=True)
    after = json.loads(first.read_text())["contracts"]
    assert set(after) == set(before)
    assert all(after[n]["address"] != before[n]["address"] for n in after)


def test_deploy_after_node_restart_redeploys_missing_code(tmp_path):
    port = free_port()
    with AnvilNode(port=port) as node:
        path = run_deploy(node.url, deployment="local", deployments_dir=tmp_path)
    with AnvilNode(port=port) as node:  # same URL, empty chain
        w3 = connect(node.url)
        with pytest.raises(DeploymentCodeMissing, match="node restarted"):
            ContractRegistry(w3, DeploymentsFile.load(path)).verify()
        run_deploy(node.url, deployment="local", deployments_dir=tmp_path)
        ContractRegistry(w3, DeploymentsFile.load(path)).verify()


def test_deploy_refuses_a_file_of_another_chain(tmp_path):
    with AnvilNode() as node:
        run_deploy(node.url, deployment="local", deployments_dir=tmp_path)
    with (
        AnvilNode(chain_id=1337) as node,
        pytest.raises(TigerexError, match="deploy script failed"),
    ):
        run_deploy(node.url, deployment="local", deployments_dir=tmp_path)
    assert json.loads((tmp_path / "local.json").read_text())["chain_id"] == 31337


def test_cli_deploy_prints_the_address_table(fresh_anvil, tmp_path):
    result = _tigerex(
        "deploy",
        "--network",
        fresh_anvil.url,
        "--no-sync-db",
        env={"TIGEREX_DEPLOYMENTS_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    table = json.loads((tmp_path / "local.json").read_text())["contracts"]
    for name, entry in table.items():
        assert name in result.stdout
        assert entry["address"] in result.stdout


def test_dev_key_is_refused_on_a_non_local_chain(tmp_path):
    with AnvilNode(chain_id=999) as node:
        result = _tigerex(
            "deploy",
            "--network",
            node.url,
            "--no-sync-db",
            env={
                "TIGEREX_DEPLOYMENTS_DIR": str(tmp_path),
                "TIGEREX_DEPLOYER_PRIVATE_KEY": dev_accounts(1)[0].key.hex(),
            },
        )
    assert result.returncode == 1
    assert "public dev key; refused on a non-local chain" in result.stderr
    assert not (tmp_path / "chain-999.json").exists()


def test_deploy_with_a_key_from_the_environment(tmp_path):
    # A non-dev key, funded by the dev account, deploys on a non-local chain id.
    from eth_account import Account

    operator = Account.create()
    with AnvilNode(chain_id=999) as node:
        w3 = connect(node.url)
        funder = dev_accounts(1)[0]
        tx_hash = w3.eth.send_transaction(
            {"from": funder.address, "to": operator.address, "value": 10**18}
        )
        w3.eth.wait_for_transaction_receipt(tx_hash)
        result = _tigerex(
            "deploy",
            "--network",
            node.url,
            "--no-sync-db",
            env={
                "TIGEREX_DEPLOYMENTS_DIR": str(tmp_path),
                "TIGEREX_DEPLOYER_PRIVATE_KEY": operator.key.hex(),
            },
        )
        assert result.returncode == 0, result.stdout + result.stderr
        data = json.loads((tmp_path / "chain-999.json").read_text())
        assert data["deployer"] == operator.address
        # Test tokens are for local dev chains only; the rest is deployed everywhere.
        assert set(data["contracts"]) == set(SUITE) - {"tWETH", "tUSDC"}
        assert "set TIGEREX_TUSD_MINTER" in result.stdout
        assert "set TIGEREX_OPERATOR_ADDRESS" in result.stdout


def test_unreachable_rpc_is_one_line(tmp_path):
    result = _tigerex("deploy", "--network", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert result.stdout.strip().startswith("error[chain_unreachable]: cannot reach the node")
    assert "Traceback" not in result.stdout + result.stderr
