"""relayer/demo.py: the local market maker gives an empty market a book, once."""

from __future__ import annotations

import pytest

from relayer.client import RelayerClient
from relayer.demo import seed_demo_book
from tests.relayer.conftest import PRICE, deployments_dir_for
from tests.relayer.test_kill import _start
from tigerex.process import stop

pytestmark = pytest.mark.anvil


def test_seed_demo_book_posts_a_ladder_once(anvil, suite, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("one database is enough for the demo seeder")
    deployments = deployments_dir_for(suite, tmp_path / "deployments")
    proc, base = _start(anvil, deployments, database_url, tmp_path / "relayer.log")
    try:
        assert seed_demo_book(base, anvil.url, levels=5) == 20  # 5 asks + 5 bids on each market
        with RelayerClient(base) as client:
            book = client.book(1, levels=10)
        assert [lv["price_ticks"] for lv in book["asks"]] == [PRICE + 200 * k for k in range(1, 6)]
        assert [lv["price_ticks"] for lv in book["bids"]] == [PRICE - 200 * k for k in range(1, 6)]
        # Market 2's base is the vault's WETH: the demo seller deposited ETH for it.
        with RelayerClient(base) as client:
            weth_book = client.book(2, levels=10)
        assert len(weth_book["asks"]) == len(weth_book["bids"]) == 5
        assert seed_demo_book(base, anvil.url) == 0  # the book is not empty any more
    finally:
        stop(proc)
