"""The engine against a real Anvil: every domain table equals what the chain says."""

from __future__ import annotations

from sqlalchemy import func, select
from web3 import Web3

from indexer.models import IndexedEvent, TokenBalance, TokenTransfer
from tests.indexer.conftest import Activity, chain_config, dump, head, index_once
from tigerex.db import make_engine
from tigerex.deployments import ContractRegistry

pytestmark = __import__("pytest").mark.anvil


def _chain_logs(w3: Web3, suite: ContractRegistry, from_block: int) -> list[dict]:
    addresses = [suite.address(n) for n in suite.names()]
    return list(
        w3.eth.get_logs({"address": addresses, "fromBlock": from_block, "toBlock": "latest"})
    )


def test_index_equals_the_chain(
    anvil, w3: Web3, suite: ContractRegistry, activity: Activity, database_url: str
) -> None:
    activity.mixed(25)
    config = chain_config(suite, anvil.url)
    indexer = index_once(database_url, config)
    number, block_hash = head(anvil.url)
    assert (indexer.cp_block, indexer.cp_hash) == (number, block_hash)

    chain_logs = _chain_logs(w3, suite, config.start_block)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        events = conn.execute(
            select(IndexedEvent.__table__).order_by(
                IndexedEvent.block_number, IndexedEvent.log_index
            )
        ).all()
        assert [(e.tx_hash, e.log_index, e.block_hash) for e in events] == [
            (
                "0x" + lg["transactionHash"].hex().removeprefix("0x"),
                lg["logIndex"],
                "0x" + lg["blockHash"].hex().removeprefix("0x"),
            )
            for lg in chain_logs
        ]
        assert all(e.event is not None for e in events), "every suite event has an ABI"
        transfers = conn.execute(select(TokenTransfer.__table__)).all()
        balances = {
            (b.token, b.account): b.balance for b in conn.execute(select(TokenBalance.__table__))
        }
        n_unknown = conn.execute(
            select(func.count()).select_from(IndexedEvent).where(IndexedEvent.event.is_(None))
        ).scalar_one()
    engine.dispose()
    assert n_unknown == 0

    # Transfers: exactly the chain's ERC-20 Transfer logs, with their values.
    expected_transfers = set()
    for name in ("TUSD", "tWETH", "tUSDC"):
        contract = suite.contract(name)
        for ev in contract.events.Transfer().get_logs(from_block=config.start_block):
            expected_transfers.add(
                (
                    "0x" + ev["transactionHash"].hex().removeprefix("0x"),
                    ev["logIndex"],
                    contract.address.lower(),
                    ev["args"]["from"].lower(),
                    ev["args"]["to"].lower(),
                    ev["args"]["value"],
                )
            )
    got_transfers = {
        (t.tx_hash, t.log_index, t.token, t.from_address, t.to_address, t.amount) for t in transfers
    }
    assert got_transfers == expected_transfers

    # Balances: balanceOf for every account that ever held a token.
    holders = {(t.token, t.to_address) for t in transfers} | {
        (t.token, t.from_address) for t in transfers
    }
    zero = "0x" + "0" * 40
    for token, account in holders:
        if account == zero:
            continue
        contract = w3.eth.contract(address=Web3.to_checksum_address(token), abi=suite.abi("tWETH"))
        on_chain = contract.functions.balanceOf(Web3.to_checksum_address(account)).call()
        assert balances.get((token, account), 0) == on_chain, (token, account)
    assert all(v > 0 for v in balances.values())


def test_second_run_changes_nothing(
    anvil, suite: ContractRegistry, activity: Activity, database_pair: tuple[str, str]
) -> None:
    url, _ = database_pair
    activity.mixed(10)
    config = chain_config(suite, anvil.url)
    index_once(url, config)
    before = dump(url, config.chain_id)
    index_once(url, config)
    assert dump(url, config.chain_id) == before
