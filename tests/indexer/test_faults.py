"""RPC faults between the indexer and the node: it recovers and ends equal to a clean run."""

from __future__ import annotations

import pytest

from tests.indexer.conftest import Activity, Follower, chain_config, dump, index_once, wait_until
from tests.indexer.faultproxy import FaultProxy
from tigerex.deployments import ContractRegistry
from tigerex.node import rpc_call

pytestmark = pytest.mark.anvil


def test_backfill_through_a_faulty_proxy_equals_a_clean_run(
    anvil, suite: ContractRegistry, activity: Activity, database_pair: tuple[str, str]
) -> None:
    url, reference = database_pair
    activity.mixed(30)
    rates = {"drop": 0.07, "stall": 0.03, "http_502": 0.07, "rpc_error": 0.07, "garbage": 0.07}
    with FaultProxy(anvil.url, seed=11, rates=rates, max_range=4) as proxy:
        faulty = chain_config(suite, proxy.url, rpc_timeout=0.3, initial_range=200, max_attempts=12)
        indexer = index_once(url, faulty)
    assert indexer.range <= proxy.max_range, "the range adapted to the node's limit"
    for fault in ("range", "drop", "stall", "http_502", "rpc_error", "garbage"):
        assert proxy.injected[fault] > 0, (fault, proxy.injected)
    assert indexer.rpc.retries > 0

    index_once(reference, chain_config(suite, anvil.url))
    assert dump(url, faulty.chain_id) == dump(reference, faulty.chain_id)


def test_following_through_a_faulty_proxy_survives_a_reorg(
    anvil, suite: ContractRegistry, activity: Activity, database_pair: tuple[str, str]
) -> None:
    url, reference = database_pair
    activity.mixed(5)
    with FaultProxy(anvil.url, seed=3) as proxy:
        config = chain_config(suite, proxy.url, rpc_timeout=0.5, max_attempts=12)
        with Follower(url, config) as follower:
            fork = rpc_call(anvil.url, "evm_snapshot")
            activity.mixed(8, seed=1)
            wait_until(lambda: follower.caught_up(anvil.url), what="first branch")
            assert rpc_call(anvil.url, "evm_revert", [fork]) is True
            activity.mixed(10, seed=2)
            wait_until(lambda: follower.caught_up(anvil.url), what="second branch")
    index_once(reference, chain_config(suite, anvil.url))
    assert dump(url, config.chain_id) == dump(reference, config.chain_id)
