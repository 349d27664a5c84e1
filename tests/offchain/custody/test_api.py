"""The custody HTTP API, as a front-end uses it."""

import pytest
from fastapi.testclient import TestClient

from offchain.custody.multisig import sign_typed_data
from tigerex.api import create_app
from tigerex.db import migrate
from tigerex.devchain import dev_accounts
from tigerex.settings import Settings

RECIPIENT = "0x000000000000000000000000000000000000bEEF"


@pytest.fixture
def client(anvil, suite, database_url, tmp_path):
    folder = tmp_path / "deployments"
    suite.deployments.save(folder / "local.json")
    settings = Settings(
        rpc_url=anvil.url, database_url=database_url, deployments_dir=folder, data_dir=tmp_path
    )
    migrate(database_url)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_wallet_proposal_signatures_and_execution_over_http(client, wallet, owners, w3):
    state = client.get(f"/custody/wallets/{wallet}").json()
    assert state == {
        "address": wallet,
        "owners": state["owners"],
        "threshold": 2,
        "nonce": 0,
    }
    assert set(state["owners"]) == {o.address for o in owners}

    created = client.post(
        f"/custody/wallets/{wallet}/proposals",
        json={"to": RECIPIENT, "value": "1000000000000000", "description": "ops"},
    )
    assert created.status_code == 201, created.text
    proposal = created.json()
    assert proposal["value"] == "1000000000000000"
    assert (proposal["signers"], proposal["threshold"], proposal["ready"]) == ([], 2, False)
    typed = proposal["typed_data"]  # what any EIP-712 signer signs
    for owner in owners[:2]:
        response = client.post(
            f"/custody/proposals/{proposal['id']}/signatures",
            json={"signature": "0x" + sign_typed_data(typed, owner.key).hex()},
        )
        assert response.status_code == 200, response.text
    assert response.json()["ready"] is True

    before = w3.eth.get_balance(RECIPIENT)
    executed = client.post(f"/custody/proposals/{proposal['id']}/execute")
    assert executed.status_code == 200, executed.text
    assert executed.json()["status"] == "executed"
    assert w3.eth.get_balance(RECIPIENT) == before + 10**15
    listed = client.get(f"/custody/wallets/{wallet}/proposals", params={"status": "executed"})
    assert [p["id"] for p in listed.json()] == [proposal["id"]]


def test_errors_have_a_stable_code_and_change_nothing(client, wallet):
    created = client.post(f"/custody/wallets/{wallet}/proposals", json={"to": RECIPIENT})
    proposal = created.json()
    stranger = dev_accounts()[8]
    response = client.post(
        f"/custody/proposals/{proposal['id']}/signatures",
        json={"signature": "0x" + sign_typed_data(proposal["typed_data"], stranger.key).hex()},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_an_owner"
    assert client.get(f"/custody/proposals/{proposal['id']}").json()["signers"] == []

    assert client.get("/custody/proposals/999999").json()["code"] == "proposal_not_found"
    assert client.get("/custody/proposals/999999").status_code == 404
    # The same transaction at the same nonce (without a nonce it would queue at nonce 1).
    duplicate = client.post(
        f"/custody/wallets/{wallet}/proposals", json={"to": RECIPIENT, "nonce": 0}
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "proposal_exists")
    not_ready = client.post(f"/custody/proposals/{proposal['id']}/execute")
    assert not_ready.json()["code"] == "threshold_not_met"


@pytest.mark.parametrize(
    "body",
    [
        {"to": "0x123"},
        {"to": RECIPIENT, "value": "-1"},
        {"to": RECIPIENT, "value": 1.5},
        {"to": RECIPIENT, "data": "0xabc"},
        {"to": RECIPIENT, "operation": 2},
    ],
)
def test_malformed_proposals_are_rejected_with_request_invalid(client, wallet, body):
    response = client.post(f"/custody/wallets/{wallet}/proposals", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "request_invalid"
    assert client.get(f"/custody/wallets/{wallet}/proposals").json() == []
