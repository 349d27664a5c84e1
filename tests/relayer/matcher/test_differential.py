"""Differential tests: the compiled engine against the pure-Python reference model.

Every command of a random stream runs in both; their events and state_hash() must be
identical after every step, and the native engine's invariants are checked after every step.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relayer.matcher import Engine, Side
from tests.relayer.matcher.reference import ReferenceEngine, events_of
from tests.relayer.matcher.streams import make_stream, setup_markets, to_array


def run_differential(
    commands: list[dict[str, int]], *, hash_every: int = 1, snapshot_at: int | None = None
) -> Engine:
    engine = Engine()
    ref = ReferenceEngine()
    setup_markets(engine)
    setup_markets(ref)
    arr = to_array(commands)
    for i, cmd in enumerate(commands):
        native = events_of(engine.execute_batch(arr[i : i + 1]))
        ref.events.clear()
        ref.execute(cmd)
        assert native == ref.events, f"events differ at command {i}: {cmd}"
        engine.validate()
        if i % hash_every == 0 or i == len(commands) - 1:
            assert engine.state_hash() == ref.state_hash(), f"state differs after command {i}"
            assert_same_queries(engine, ref)
        if snapshot_at is not None and i == snapshot_at:
            # Continue on a restored copy: it must behave exactly like the original.
            restored = Engine.from_snapshot(engine.snapshot())
            assert restored.state_hash() == engine.state_hash()
            engine = restored
    return engine


def assert_same_queries(engine: Engine, ref: ReferenceEngine) -> None:
    """The read side agrees too: depth, last price, order lookups."""
    for market in ref.markets:
        for side in (Side.BUY, Side.SELL):
            native = [(lv.price, lv.quantity, lv.orders) for lv in engine.depth(market, side, 50)]
            assert native == ref.depth(market, side, 50)
        last = ref.markets[market].last_price
        assert engine.last_price(market) == (last or None)
    for order_id, (m, o) in ref.resting.items():
        info = engine.order(order_id)
        assert info is not None and info.resting
        assert (info.market, info.owner, info.side, info.price) == (m.id, o.owner, o.side, o.price)
        assert (info.remaining, info.visible, info.link) == (
            o.visible + o.hidden,
            o.visible,
            o.link,
        )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    rng=st.randoms(use_true_random=False),
    n=st.integers(min_value=1, max_value=300),
    deep=st.booleans(),
)
def test_random_streams_match_reference(rng: random.Random, n: int, deep: bool) -> None:
    commands = make_stream(rng, n, deep=deep)
    run_differential(commands, snapshot_at=n // 2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_long_seeded_stream_matches_reference(seed: int) -> None:
    commands = make_stream(random.Random(seed), 20_000)
    run_differential(commands, hash_every=50, snapshot_at=9_000)


@pytest.mark.parametrize("seed", [4, 5])
def test_long_seeded_deep_book_stream_matches_reference(seed: int) -> None:
    # Books of ~1,000 orders over hundreds of levels in three markets.
    commands = make_stream(random.Random(seed), 20_000, deep=True)
    run_differential(commands, hash_every=250, snapshot_at=12_000)


def test_stream_exercises_every_event_type() -> None:
    # Guards the generator: a differential test is only as good as what it reaches.
    commands = make_stream(random.Random(7), 2500)
    ref = ReferenceEngine()
    setup_markets(ref)
    for cmd in commands:
        ref.execute(cmd)
    seen_types = {e[0] for e in ref.events}
    seen_reasons = {e[2] for e in ref.events}
    assert seen_types == set(range(1, 9))
    # self-trade, OCO, mass cancel, IOC remainder, FOK kill all occur
    assert {65, 66, 67, 68, 69} <= seen_reasons
