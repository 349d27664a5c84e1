import json

import pytest

from tigerex.chain import connect
from tigerex.deployments import BuildArtifacts, ContractRegistry, DeploymentsFile
from tigerex.errors import ArtifactNotFound, ChainIdMismatch, DeploymentNotFound
from tigerex.node import AnvilNode


def test_registry_gives_address_abi_and_bound_contract(deployed_suite):
    assert deployed_suite.names() == sorted(deployed_suite.deployments.contracts)
    assert {"TUSD", "tUSDC", "tWETH"} <= set(deployed_suite.names())
    usdc = deployed_suite.contract("tUSDC")
    assert usdc.address == deployed_suite.address("tUSDC")
    assert usdc.functions.decimals().call() == 6
    assert any(item.get("name") == "mint" for item in deployed_suite.abi("tUSDC"))


def test_unknown_contract_names_what_exists(deployed_suite):
    with pytest.raises(DeploymentNotFound, match=r"has: .*TUSD.*tWETH"):
        deployed_suite.address("NoSuchContract")


def test_missing_deployments_file_says_what_to_run(tmp_path):
    with pytest.raises(DeploymentNotFound, match="run `tigerex deploy --network sepolia` first"):
        DeploymentsFile.load(tmp_path / "sepolia.json")


def test_deployments_file_of_another_chain_is_rejected(deployed_suite):
    with AnvilNode(chain_id=777) as other:
        registry = ContractRegistry(connect(other.url), deployed_suite.deployments)
        with pytest.raises(ChainIdMismatch, match="says 31337, the node says 777"):
            registry.verify()


def test_missing_build_manifest_says_to_compile(tmp_path):
    with pytest.raises(ArtifactNotFound, match="compile with `ape compile`"):
        BuildArtifacts(tmp_path).abi("TigerUSD")


def test_save_is_atomic_and_round_trips(deployed_suite, tmp_path):
    path = tmp_path / "copy.json"
    deployed_suite.deployments.save(path)
    assert DeploymentsFile.load(path).contracts == deployed_suite.deployments.contracts
    assert [p.name for p in tmp_path.iterdir()] == ["copy.json"]  # no temp file left
    assert json.loads(path.read_text())["chain_id"] == 31337
