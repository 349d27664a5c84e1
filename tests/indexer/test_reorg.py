"""Reorgs at depths 1, 5 and 64 (Anvil snapshot/revert, then a different branch mined): once
caught up, the database equals a fresh index of the final chain, row for row."""

from __future__ import annotations

import pytest

from tests.indexer.conftest import Activity, Follower, chain_config, dump, index_once, wait_until
from tigerex.deployments import ContractRegistry
from tigerex.node import rpc_call

pytestmark = pytest.mark.anvil


def _branch(activity: Activity, blocks: int, seed: int) -> None:
    """``blocks`` blocks, each with one transfer whose amount depends on ``seed``: two branches
    from the same fork point differ in every block."""
    for n in range(blocks):
        token = ("tWETH", "tUSDC")[n % 2]
        activity.transfer(token, n % 10, (n + seed) % 10, 1 + seed * 1000 + n)


@pytest.mark.parametrize("depth", [1, 5, 64])
def test_reorg_while_following_equals_fresh_index(
    anvil,
    suite: ContractRegistry,
    activity: Activity,
    database_pair: tuple[str, str],
    depth: int,
) -> None:
    url, reference = database_pair
    activity.mixed(6)
    config = chain_config(suite, anvil.url)
    with Follower(url, config) as follower:
        fork = rpc_call(anvil.url, "evm_snapshot")
        _branch(activity, depth, seed=1)
        wait_until(lambda: follower.caught_up(anvil.url), what="old branch indexed")

        assert rpc_call(anvil.url, "evm_revert", [fork]) is True
        _branch(activity, depth + 1, seed=2)
        wait_until(lambda: follower.caught_up(anvil.url), what="new branch indexed")
        assert follower.indexer.reorgs_total >= 1

    index_once(reference, config)
    assert dump(url, config.chain_id) == dump(reference, config.chain_id)


def test_reorg_to_a_shorter_chain_between_runs(
    anvil, suite: ContractRegistry, activity: Activity, database_pair: tuple[str, str]
) -> None:
    """The indexer was stopped; meanwhile the chain reorganised to a branch shorter than what
    was indexed. The next run rolls back and ends equal to a fresh index."""
    url, reference = database_pair
    config = chain_config(suite, anvil.url)
    fork = rpc_call(anvil.url, "evm_snapshot")
    _branch(activity, 8, seed=3)
    index_once(url, config)
    assert rpc_call(anvil.url, "evm_revert", [fork]) is True
    _branch(activity, 3, seed=4)
    indexer = index_once(url, config)
    assert indexer.reorgs_total == 1
    index_once(reference, config)
    assert dump(url, config.chain_id) == dump(reference, config.chain_id)


def test_reorg_deeper_than_the_window_reindexes_from_the_start(
    anvil, suite: ContractRegistry, activity: Activity, database_pair: tuple[str, str]
) -> None:
    """With only 4 recent block hashes kept, a 10-block reorg cannot be located: the chain is
    indexed again from its start block, and still ends equal to a fresh index."""
    url, reference = database_pair
    config = chain_config(suite, anvil.url, reorg_window=4, initial_range=1, max_range=1)
    fork = rpc_call(anvil.url, "evm_snapshot")
    _branch(activity, 10, seed=5)
    index_once(url, config)
    assert rpc_call(anvil.url, "evm_revert", [fork]) is True
    _branch(activity, 11, seed=6)
    indexer = index_once(url, config)
    assert indexer.reorgs_total == 1
    index_once(reference, config)
    assert dump(url, config.chain_id) == dump(reference, config.chain_id)
