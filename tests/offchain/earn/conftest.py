from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.indexer.earn_activity import EarnActivity
from tigerex.api import create_app
from tigerex.settings import Settings


@pytest.fixture
def activity(anvil, w3, suite) -> EarnActivity:
    """Earn activity on the session Anvil (reverted after the test with ``suite``)."""
    return EarnActivity(w3, suite, anvil.url)


@pytest.fixture
def client(anvil, suite, database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    folder = tmp_path / "deployments"
    suite.deployments.save(folder / "local.json")
    settings = Settings(
        rpc_url=anvil.url, database_url=database_url, deployments_dir=folder, data_dir=tmp_path
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client
