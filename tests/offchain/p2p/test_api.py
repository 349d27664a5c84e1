"""The /p2p escrow and /custody/wallets read endpoints over an indexed chain (state equals the
chain's), and escrow rows across a reorg."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from indexer.models import EscrowOpening, EscrowTransition, MultisigWalletCreated
from offchain.p2p.escrow import EscrowStatus
from tests.indexer.conftest import chain_config, dump, index_once
from tigerex.api import create_app
from tigerex.db import make_engine
from tigerex.devchain import dev_accounts
from tigerex.node import rpc_call
from tigerex.settings import Settings

pytestmark = pytest.mark.anvil

ZERO = "0x" + "0" * 40
AMOUNT = 5_000_000  # 5 tUSDC
STATUS_NAMES = {0: "open", 1: "paid", 2: "disputed", 3: "released", 4: "refunded", 5: "resolved"}


def _rows(url, model):
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(tuple(repr(v) for v in r) for r in conn.execute(select(model.__table__)))
    finally:
        engine.dispose()


def _send(w3, fn, sender):
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
    assert receipt["status"] == 1
    return receipt


def _open(w3, escrow, usdc, seller, buyer):
    _send(w3, usdc.functions.approve(escrow.address, AMOUNT), seller)
    receipt = _send(
        w3, escrow.functions.open(buyer, usdc.address, AMOUNT, b"\x05" * 32, 3600, 0, ZERO), seller
    )
    ev = escrow.events.EscrowOpened().process_receipt(receipt)[0]["args"]
    params = (
        ev["seller"],
        ev["buyer"],
        ev["token"],
        ev["amount"],
        ev["termsHash"],
        ev["paymentDeadline"],
        ev["feeBps"],
        ev["kycLevel"],
        ev["arbiter"],
    )
    return ev["escrowId"], params


@pytest.fixture
def escrow_activity(w3, suite):
    """Three escrows (released, paid, open) and one factory wallet; reverted after the test."""
    escrow, usdc, factory = (suite.contract(n) for n in ("Escrow", "tUSDC", "MultisigFactory"))
    seller, buyer, other = (a.address for a in dev_accounts()[1:4])
    released, released_params = _open(w3, escrow, usdc, seller, buyer)
    _send(w3, escrow.functions.markPaid(released, released_params), buyer)
    _send(w3, escrow.functions.release(released, released_params), seller)
    paid, paid_params = _open(w3, escrow, usdc, seller, other)
    _send(w3, escrow.functions.markPaid(paid, paid_params), other)
    still_open, _ = _open(w3, escrow, usdc, other, buyer)
    owners = sorted([seller, buyer], key=lambda a: int(a, 16))
    _send(w3, factory.functions.createWallet(owners, 2, 5), seller)
    wallet = factory.functions.predictWallet(owners, 2, 5).call()
    return {
        "escrow": escrow,
        "seller": seller,
        "buyer": buyer,
        "other": other,
        "owners": owners,
        "wallet": wallet,
        "ids": {"released": released, "paid": paid, "open": still_open},
    }


@pytest.fixture
def client(anvil, suite, database_url: str, tmp_path: Path):
    suite.deployments.save(tmp_path / "local.json")
    settings = Settings(
        database_url=database_url, rpc_url=anvil.url, deployments_dir=tmp_path, network="local"
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_indexed_escrows_match_the_chain(anvil, suite, escrow_activity, database_url, client):
    index_once(database_url, chain_config(suite, anvil.url, confirmations=0))
    escrow = escrow_activity["escrow"]
    listed = client.get("/p2p/escrows").json()
    assert len(listed) == 3
    for item in listed:
        status, _paid_at, _disputed_at = escrow.functions.statusOf(int(item["escrow_id"])).call()
        assert item["status"] == STATUS_NAMES[status]  # what the chain says
        assert item["amount"] == str(AMOUNT)
    by_id = {int(e["escrow_id"]): e for e in listed}
    released = by_id[escrow_activity["ids"]["released"]]
    fee = AMOUNT * released["fee_bps"] // 10_000
    assert (released["buyer_amount"], released["seller_amount"], released["fee"]) == (
        str(AMOUNT - fee),
        "0",
        str(fee),
    )
    paid = by_id[escrow_activity["ids"]["paid"]]
    assert (
        paid["status"] == "paid" and paid["dispute_available_at"] > paid["payment_deadline"] - 3600
    )

    buyer = escrow_activity["buyer"].lower()
    mine = client.get("/p2p/escrows", params={"party": escrow_activity["buyer"]}).json()
    assert {e["buyer"] for e in mine} | {e["seller"] for e in mine} >= {buyer}
    assert len(mine) == 2
    opened = client.get("/p2p/escrows", params={"status": "open"}).json()
    assert [int(e["escrow_id"]) for e in opened] == [escrow_activity["ids"]["open"]]
    one = client.get(f"/p2p/escrows/{escrow.address}/{escrow_activity['ids']['paid']}")
    assert one.status_code == 200 and one.json()["status"] == "paid"
    missing = client.get(f"/p2p/escrows/{escrow.address}/999")
    assert (missing.status_code, missing.json()["code"]) == (404, "escrow_not_found")

    wallets = client.get("/custody/wallets", params={"owner": escrow_activity["owners"][0]}).json()
    assert [w["wallet"] for w in wallets] == [escrow_activity["wallet"].lower()]
    assert wallets[0]["initial_owners"] == [o.lower() for o in escrow_activity["owners"]]
    assert wallets[0]["initial_threshold"] == 2
    assert client.get("/custody/wallets", params={"owner": escrow_activity["other"]}).json() == []


def test_a_reorg_rolls_escrow_steps_back(anvil, suite, w3, escrow_activity, database_pair):
    url, reference = database_pair
    config = chain_config(suite, anvil.url, confirmations=0)
    escrow = escrow_activity["escrow"]
    paid = escrow_activity["ids"]["paid"]
    index_once(url, config)
    snapshot = rpc_call(anvil.url, "evm_snapshot")
    # On the branch that will be dropped, the paid escrow is released...
    params = None
    for log in escrow.events.EscrowOpened().get_logs(from_block=0):
        if log["args"]["escrowId"] == paid:
            a = log["args"]
            params = (
                a["seller"],
                a["buyer"],
                a["token"],
                a["amount"],
                a["termsHash"],
                a["paymentDeadline"],
                a["feeBps"],
                a["kycLevel"],
                a["arbiter"],
            )
    _send(w3, escrow.functions.release(paid, params), escrow_activity["seller"])
    index_once(url, config)
    assert EscrowStatus(escrow.functions.statusOf(paid).call()[0]) == EscrowStatus.RELEASED
    assert len([r for r in _rows(url, EscrowTransition) if "'closed'" in r]) == 2  # indexed
    # ...then the chain reorganises onto a branch where it was not.
    assert rpc_call(anvil.url, "evm_revert", [snapshot]) is True
    rpc_call(anvil.url, "anvil_mine", ["0x3"])
    index_once(url, config)
    index_once(reference, config)  # a fresh index of the final chain
    assert dump(url, w3.eth.chain_id) == dump(reference, w3.eth.chain_id)
    for model in (EscrowOpening, EscrowTransition, MultisigWalletCreated):
        assert _rows(url, model) == _rows(reference, model), model.__tablename__
    steps = [r for r in _rows(url, EscrowTransition) if "'closed'" in r]
    assert len(steps) == 1  # only the released escrow's close survives; the dropped one is gone
