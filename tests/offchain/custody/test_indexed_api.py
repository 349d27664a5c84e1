"""The indexed custody endpoints: a factory wallet used partly through our propose/sign API and
partly outside it (executions signed elsewhere, owners and threshold changed by the wallet
itself) shows its owners, threshold, executed and pending transactions as the chain has them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.indexer.conftest import chain_config, index_once
from tests.indexer.multisig_activity import RECIPIENT, WalletActivity, by_address
from tigerex.api import create_app
from tigerex.devchain import dev_accounts
from tigerex.eip712 import sign_typed_data
from tigerex.node import rpc_call
from tigerex.settings import Settings

pytestmark = pytest.mark.anvil


@pytest.fixture
def client(anvil, suite, database_url: str, tmp_path: Path):
    folder = tmp_path / "deployments"
    suite.deployments.save(folder / "local.json")
    settings = Settings(
        rpc_url=anvil.url, database_url=database_url, deployments_dir=folder, data_dir=tmp_path
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _propose(client: TestClient, wallet: str, nonce: int, signers: list) -> dict:
    created = client.post(
        f"/custody/wallets/{wallet}/proposals",
        json={"to": RECIPIENT, "value": str(nonce + 1), "nonce": nonce, "description": f"n{nonce}"},
    )
    assert created.status_code == 201, created.text
    proposal = created.json()
    for signer in signers:
        signed = client.post(
            f"/custody/proposals/{proposal['id']}/signatures",
            json={"signature": "0x" + sign_typed_data(proposal["typed_data"], signer.key).hex()},
        )
        assert signed.status_code == 200, signed.text
    return proposal


def test_owners_threshold_and_transactions_include_changes_made_outside_the_api(
    anvil, w3, suite, database_url, client
) -> None:
    accounts = dev_accounts()
    owners = by_address(accounts[1:4])
    newcomer = accounts[5]
    activity = WalletActivity(w3, suite)
    contract = activity.create(owners, 2, salt=51)
    wallet = contract.address
    activity.fund(contract, 10**18)

    # nonce 0: through our flow, end to end.
    p1 = _propose(client, wallet, 0, owners[:2])
    assert client.post(f"/custody/proposals/{p1['id']}/execute").status_code == 200
    # nonce 1: proposed here, but another transaction at nonce 1 is executed elsewhere.
    p2 = _propose(client, wallet, 1, owners[:1])
    outside = activity.execute(contract, owners[1:3], value=7)
    # nonces 2 and 3: the wallet adds an owner and raises its threshold (signed elsewhere).
    activity.add_owner(contract, owners[:2], newcomer.address, 2)
    activity.change_threshold(contract, owners[:2], 3)
    # nonce 5, proposed ahead: signed by an owner about to be removed and by the newcomer.
    p4 = _propose(client, wallet, 5, [owners[2], newcomer])
    # nonce 4: the wallet removes that owner and lowers the threshold back to 2.
    current = by_address([*owners, newcomer])
    activity.remove_owner(contract, current[:3], owners[2].address, 2)

    index_once(database_url, chain_config(suite, anvil.url))

    state = client.get(f"/custody/wallets/{wallet}/owners")
    assert state.status_code == 200, state.text
    body = state.json()
    assert body["owners"] == [o.address.lower() for o in by_address([*owners[:2], newcomer])]
    assert (body["threshold"], body["nonce"]) == (2, 5)
    assert (body["initial_owners"], body["initial_threshold"]) == (
        [o.address.lower() for o in owners],
        2,
    )
    on_chain = sorted(contract.functions.getOwners().call(), key=lambda a: int(a, 16))
    assert (body["owners"], body["threshold"], body["nonce"]) == (
        [o.lower() for o in on_chain],
        contract.functions.threshold().call(),
        contract.functions.nonce().call(),
    )
    # The list filters on the owners now: the newcomer is one, the removed owner is not.
    listed = client.get("/custody/wallets", params={"owner": newcomer.address}).json()
    assert [w["wallet"] for w in listed] == [wallet.lower()]
    assert client.get("/custody/wallets", params={"owner": owners[2].address}).json() == []

    executed = client.get(f"/custody/wallets/{wallet}/transactions/executed")
    assert executed.status_code == 200, executed.text
    rows = executed.json()
    assert [r["nonce"] for r in rows] == [0, 1, 2, 3, 4]
    assert rows[0]["proposal_id"] == p1["id"] and rows[0]["safe_tx_hash"] == p1["tx_hash"]
    assert (rows[0]["to"], rows[0]["value"], rows[0]["description"]) == (
        RECIPIENT.lower(),
        "1",
        "n0",
    )
    assert rows[1]["proposal_id"] is None and rows[1]["safe_tx_hash"] == outside
    assert rows[1]["value"] == "7" and rows[1]["safe_tx_hash"] != p2["tx_hash"]
    assert all(r["proposal_id"] is None for r in rows[1:])
    assert [r["to"] for r in rows[2:]] == [wallet.lower()] * 3  # the wallet calling itself
    assert all(r["final"] for r in rows[:-1])

    pending = client.get(f"/custody/wallets/{wallet}/transactions/pending")
    assert pending.status_code == 200, pending.text
    items = pending.json()
    # p1 was executed and p2's nonce was used by another transaction: only p4 is pending.
    assert [p["id"] for p in items] == [p4["id"]]
    assert items[0]["signers"] == [newcomer.address]
    assert items[0]["stale_signers"] == [owners[2].address]
    assert (items[0]["threshold"], items[0]["wallet_nonce"], items[0]["ready"]) == (2, 5, False)


def test_unknown_and_malformed_wallets_get_stable_error_codes(client) -> None:
    missing = client.get(f"/custody/wallets/0x{'de' * 20}/owners")
    assert missing.status_code == 404
    assert missing.json()["code"] == "wallet_not_indexed"
    assert set(missing.json()) == {"code", "message", "details"}
    for path in ("owners", "transactions/executed", "transactions/pending"):
        assert client.get(f"/custody/wallets/0x{'de' * 20}/{path}").status_code == 404
        malformed = client.get(f"/custody/wallets/0x1234/{path}")
        assert (malformed.status_code, malformed.json()["code"]) == (422, "request_invalid")


def test_a_reorg_that_drops_the_creation_removes_the_wallet_from_the_endpoints(
    anvil, w3, suite, database_url, client
) -> None:
    owners = by_address(dev_accounts()[1:4])
    config = chain_config(suite, anvil.url)
    index_once(database_url, config)
    fork = rpc_call(anvil.url, "evm_snapshot")
    activity = WalletActivity(w3, suite)
    contract = activity.create(owners, 2, salt=61)
    activity.execute(contract, owners[:2])
    index_once(database_url, config)
    wallet = contract.address
    assert client.get(f"/custody/wallets/{wallet}/owners").status_code == 200
    assert len(client.get(f"/custody/wallets/{wallet}/transactions/executed").json()) == 1

    assert rpc_call(anvil.url, "evm_revert", [fork]) is True
    rpc_call(anvil.url, "anvil_mine", ["0x4"])
    assert index_once(database_url, config).reorgs_total == 1
    assert client.get(f"/custody/wallets/{wallet}/owners").status_code == 404
    assert client.get("/custody/wallets").json() == []
