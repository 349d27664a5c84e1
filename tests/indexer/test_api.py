"""The /indexer read API, mounted in the services' app, over an indexed suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web3 import Web3

from tests.indexer.conftest import Activity, chain_config, head, index_once
from tigerex.api import create_app
from tigerex.deployments import ContractRegistry
from tigerex.settings import Settings

pytestmark = pytest.mark.anvil


@pytest.fixture
def client(anvil, suite: ContractRegistry, activity: Activity, database_url: str, tmp_path: Path):
    activity.mixed(20)
    index_once(database_url, chain_config(suite, anvil.url))
    suite.deployments.save(tmp_path / "local.json")
    settings = Settings(
        database_url=database_url, rpc_url=anvil.url, deployments_dir=tmp_path, network="local"
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _all_pages(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = client.get(path, params=query).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_status_reports_the_checkpoint_and_lag(client: TestClient, anvil) -> None:
    chains = client.get("/indexer/status").json()["chains"]
    number, _ = head(anvil.url)
    assert len(chains) == 1
    status = chains[0]
    assert status["chain_id"] == 31337
    assert status["indexed_block"] == number == status["head_block"]
    assert status["lag_blocks"] == 0
    assert status["finalized_block"] == number - 1  # one confirmation on the local chain
    assert status["events_total"] > 0 and status["unknown_total"] == 0


def test_events_filter_and_page_with_cursors(client: TestClient, activity: Activity) -> None:
    everything = _all_pages(client, "/indexer/events", limit=1000)
    paged = _all_pages(client, "/indexer/events", limit=7)
    assert paged == everything
    positions = [(e["block_number"], e["log_index"]) for e in paged]
    assert positions == sorted(positions)

    mints = _all_pages(client, "/indexer/events", contract="TUSD", event="Minted", limit=3)
    assert mints and all(e["contract"] == "TUSD" and e["event"] == "Minted" for e in mints)
    assert mints == [e for e in everything if e["contract"] == "TUSD" and e["event"] == "Minted"]

    account = activity.accounts[3].lower()
    mine = _all_pages(client, "/indexer/events", account=activity.accounts[3], limit=5)
    expected = [
        e
        for e in everything
        if account in {v for v in (e["args"] or {}).values() if isinstance(v, str)}
    ]
    assert mine == expected and mine
    assert mine[-1]["final"] is False or mine[-1]["block_number"] < everything[-1]["block_number"]


def test_balances_equal_balance_of_and_transfers_page(
    client: TestClient, w3: Web3, suite: ContractRegistry, activity: Activity
) -> None:
    for index in (0, 3, 7):
        account = activity.accounts[index]
        body = client.get(f"/indexer/accounts/{account}/balances").json()
        got = {b["contract"]: int(b["balance"]) for b in body["balances"]}
        for name in ("TUSD", "tWETH", "tUSDC"):
            on_chain = suite.contract(name).functions.balanceOf(account).call()
            assert got.get(name, 0) == on_chain, (account, name)
        transfers = _all_pages(client, f"/indexer/accounts/{account}/transfers", limit=4)
        assert transfers
        assert all(account.lower() in (t["from_address"], t["to_address"]) for t in transfers)
        only_tusd = _all_pages(
            client, f"/indexer/accounts/{account}/transfers", token="TUSD", limit=50
        )
        assert only_tusd == [t for t in transfers if t["contract"] == "TUSD"]


def test_errors_have_code_message_details(client: TestClient) -> None:
    response = client.get("/indexer/events", params={"cursor": "not-a-cursor!"})
    assert response.status_code == 400
    assert response.json()["code"] == "cursor_invalid"
    assert set(response.json()) == {"code", "message", "details"}
    response = client.get("/indexer/accounts/0x1234/balances")
    assert response.status_code == 400 and response.json()["code"] == "address_invalid"
    response = client.get("/indexer/events", params={"limit": 0})
    assert response.status_code == 422 and response.json()["code"] == "request_invalid"
