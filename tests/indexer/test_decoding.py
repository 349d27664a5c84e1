"""Unknown and undecodable logs are stored raw and counted; they never stop the indexer."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from sqlalchemy import select

from indexer.config import ContractConfig
from indexer.decoder import EventDecoder
from indexer.models import EVENTS, TRANSFERS
from tests.indexer.conftest import Activity, chain_config, index_once
from tigerex.db import make_engine
from tigerex.deployments import ContractRegistry

pytestmark = pytest.mark.anvil


def _without_event(contract: ContractConfig, name: str) -> ContractConfig:
    abi = [i for i in contract.abi if not (i.get("type") == "event" and i.get("name") == name)]
    return replace(contract, abi=abi)


def _with_wrong_transfer(contract: ContractConfig) -> ContractConfig:
    """Claims ``value`` is indexed: same topic0, but the logs do not fit (3 topics, not 4)."""
    abi = copy.deepcopy(contract.abi)
    for item in abi:
        if item.get("type") == "event" and item.get("name") == "Transfer":
            item["inputs"][2]["indexed"] = True
    return replace(contract, abi=abi)


def test_unknown_and_undecodable_logs_are_kept_raw(
    anvil, suite: ContractRegistry, activity: Activity, database_url: str
) -> None:
    activity.mixed(10)
    config = chain_config(suite, anvil.url)
    contracts = []
    for c in config.contracts:
        if c.name == "TUSD":
            c = _without_event(c, "Minted")
        if c.name == "tUSDC":
            c = _with_wrong_transfer(c)
        contracts.append(c)
    indexer = index_once(database_url, replace(config, contracts=tuple(contracts)))

    engine = make_engine(database_url)
    with engine.connect() as conn:
        raw = conn.execute(select(EVENTS).where(EVENTS.c.event.is_(None))).all()
        tusdc_transfers = conn.execute(
            select(TRANSFERS).where(TRANSFERS.c.contract == "tUSDC")
        ).all()
        tusd_transfers = conn.execute(select(TRANSFERS).where(TRANSFERS.c.contract == "TUSD")).all()
    engine.dispose()
    minted = EventDecoder.from_abi(
        next(i for i in suite.abi("TUSD") if i.get("name") == "Minted" and i["type"] == "event")
    )
    kinds = {(r.contract, r.topics[0]) for r in raw}
    assert ("TUSD", minted.topic0) in kinds, "unknown event stored raw"
    assert any(r.contract == "tUSDC" for r in raw), "undecodable Transfer stored raw"
    assert all(r.args is None and r.data.startswith("0x") and r.topics for r in raw)
    assert indexer.unknown_total == len(raw) > 0
    assert tusdc_transfers == [], "undecodable logs reach no handler"
    assert tusd_transfers, "the rest is indexed as usual"


def test_decoder_reads_static_and_dynamic_types() -> None:
    from eth_abi import encode

    item = {
        "type": "event",
        "name": "Mixed",
        "anonymous": False,
        "inputs": [
            {"name": "who", "type": "address", "indexed": True},
            {"name": "delta", "type": "int256", "indexed": True},
            {"name": "note", "type": "string", "indexed": False},
            {"name": "ok", "type": "bool", "indexed": False},
            {"name": "tag", "type": "bytes4", "indexed": False},
        ],
    }
    decoder = EventDecoder.from_abi(item)
    assert decoder.signature == "Mixed(address,int256,string,bool,bytes4)"
    who = "0x" + "ab" * 20
    topics = [
        decoder.topic0,
        "0x" + "00" * 12 + "ab" * 20,
        "0x" + (2**256 - 5).to_bytes(32, "big").hex(),
    ]
    data = "0x" + encode(["string", "bool", "bytes4"], ["hi", True, b"\x01\x02\x03\x04"]).hex()
    args = decoder.decode(topics, data)
    assert args == {"who": who, "delta": -5, "note": "hi", "ok": True, "tag": b"\x01\x02\x03\x04"}
