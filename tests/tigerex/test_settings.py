import pytest
from pydantic import ValidationError

from tigerex.devchain import dev_accounts
from tigerex.settings import Settings

PRODUCTION_SECRET = "a-real-secret-from-the-environment"
RANDOM_KEY = "0x" + "11" * 32


def test_local_defaults_need_no_configuration(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env file around
    settings = Settings(data_dir=tmp_path)
    assert settings.is_local
    assert settings.database == f"sqlite:///{tmp_path / 'tigerex.db'}"
    assert settings.broker_url is None
    assert settings.deployments_file.name == "local.json"


def test_environment_variables_use_the_tigerex_prefix(monkeypatch):
    monkeypatch.setenv("TIGEREX_RPC_URL", "http://10.0.0.1:8545")
    monkeypatch.setenv("TIGEREX_CHAIN_ID", "11155111")
    settings = Settings()
    assert settings.rpc_url == "http://10.0.0.1:8545"
    assert settings.chain_id == 11155111


def test_non_local_network_refuses_the_default_api_secret():
    with pytest.raises(ValidationError, match="TIGEREX_API_SECRET is the development default"):
        Settings(network="sepolia")


def test_non_local_network_refuses_public_dev_keys():
    dev_key = dev_accounts()[0].key.hex()
    with pytest.raises(ValidationError, match="public Anvil/Hardhat dev key"):
        Settings(network="sepolia", api_secret=PRODUCTION_SECRET, operator_private_key=dev_key)


def test_non_local_network_accepts_real_secrets():
    settings = Settings(
        network="sepolia", api_secret=PRODUCTION_SECRET, deployer_private_key=RANDOM_KEY
    )
    assert not settings.is_local


def test_local_network_accepts_dev_keys():
    settings = Settings(operator_private_key=dev_accounts()[1].key.hex())
    assert settings.operator_private_key is not None
