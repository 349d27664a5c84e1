"""Two chains at once (the bridge's case): one database, one checkpoint and row set per chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from indexer.engine import run_chains
from indexer.models import CHECKPOINTS, EVENTS
from tests.indexer.conftest import Activity, chain_config, head
from tigerex.chain import connect
from tigerex.db import make_engine
from tigerex.deployments import ContractRegistry, DeploymentsFile
from tigerex.node import AnvilNode

pytestmark = pytest.mark.anvil


@pytest.fixture
def second_chain(tmp_path: Path) -> Iterator[tuple[AnvilNode, ContractRegistry]]:
    from tigerex.cli import run_deploy

    with AnvilNode(chain_id=1337, log_file=tmp_path / "anvil2.log") as node:
        path = run_deploy(node.url, deployment="local", deployments_dir=tmp_path / "deployments")
        w3 = connect(node.url, expected_chain_id=1337)
        yield node, ContractRegistry(w3, DeploymentsFile.load(path))


def test_two_chains_index_side_by_side(
    anvil,
    suite: ContractRegistry,
    activity: Activity,
    second_chain: tuple[AnvilNode, ContractRegistry],
    database_url: str,
) -> None:
    node2, suite2 = second_chain
    activity.mixed(5)
    Activity(suite2.w3, suite2).mixed(8)
    configs = [chain_config(suite, anvil.url), chain_config(suite2, node2.url)]
    engine = make_engine(database_url)
    stats = run_chains(configs, engine, follow=False)
    with engine.connect() as conn:
        checkpoints = {
            r.chain_id: (r.block_number, r.block_hash) for r in conn.execute(select(CHECKPOINTS))
        }
        counts = dict(
            conn.execute(select(EVENTS.c.chain_id, func.count()).group_by(EVENTS.c.chain_id)).all()
        )
    engine.dispose()
    assert checkpoints == {31337: head(anvil.url), 1337: head(node2.url)}
    assert {s.chain_id: s.events_total for s in stats} == counts
    assert set(counts) == {31337, 1337} and all(counts.values())
