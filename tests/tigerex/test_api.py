from fastapi.testclient import TestClient

from tigerex.api import create_app
from tigerex.db import head_revision, migrate
from tigerex.node import free_port
from tigerex.settings import Settings


def _write_deployments(suite, tmp_path):
    folder = tmp_path / "deployments"
    suite.deployments.save(folder / "local.json")
    return folder


def test_health_reports_chain_contracts_and_database(anvil, deployed_suite, tmp_path):
    settings = Settings(
        rpc_url=anvil.url,
        deployments_dir=_write_deployments(deployed_suite, tmp_path),
        data_dir=tmp_path,
    )
    migrate(settings.database)
    response = TestClient(create_app(settings)).get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["chain"]["chain_id"] == 31337
    assert body["chain"]["block_number"] >= max(
        c.block_number for c in deployed_suite.deployments.contracts.values()
    )
    assert {n: c["address"] for n, c in body["contracts"].items()} == {
        n: c.address for n, c in deployed_suite.deployments.contracts.items()
    }
    assert all(c["has_code"] for c in body["contracts"].values())
    assert body["database"] == {"ok": True, "backend": "sqlite", "revision": head_revision()}


def test_health_is_degraded_with_a_code_when_the_chain_is_down(deployed_suite, tmp_path):
    settings = Settings(
        rpc_url=f"http://127.0.0.1:{free_port()}",
        deployments_dir=_write_deployments(deployed_suite, tmp_path),
        data_dir=tmp_path,
    )
    migrate(settings.database)
    response = TestClient(create_app(settings)).get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert [e["code"] for e in body["errors"]] == ["chain_unreachable"]
    assert body["database"]["ok"] is True


def test_health_flags_an_unmigrated_database(anvil, deployed_suite, tmp_path):
    settings = Settings(
        rpc_url=anvil.url,
        deployments_dir=_write_deployments(deployed_suite, tmp_path),
        data_dir=tmp_path,
    )
    response = TestClient(create_app(settings)).get("/health")
    assert response.status_code == 503
    assert [e["code"] for e in response.json()["errors"]] == ["database_not_migrated"]
