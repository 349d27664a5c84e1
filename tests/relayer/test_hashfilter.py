"""The Bloom filter of journaled order hashes: never a false "no", rarely a false "maybe"."""

from __future__ import annotations

import random

import pytest

from relayer.hashfilter import OrderHashFilter


def _digests(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def test_every_added_hash_may_be_contained_and_few_others_do():
    known = OrderHashFilter()
    added = _digests(20_000, seed=1)
    for digest in added:
        known.add(digest)
    assert known.count == 20_000
    assert all(known.may_contain(d) for d in added)
    others = _digests(20_000, seed=2)
    false_maybe = sum(known.may_contain(d) for d in others)
    assert false_maybe <= 20  # at 20,000 of 1,048,576 hashes the rate is about 1e-7


def test_a_full_segment_starts_another_and_nothing_is_forgotten():
    known = OrderHashFilter(segment_capacity=1_000)
    added = _digests(2_500, seed=3)
    for digest in added:
        known.add(digest)
    assert known.segments == 3
    assert all(known.may_contain(d) for d in added)
    assert not any(known.may_contain(d) for d in _digests(1_000, seed=4)[:50])


def test_only_32_byte_digests_are_accepted():
    with pytest.raises(ValueError, match="32 bytes"):
        OrderHashFilter().add(b"\x01" * 20)
    with pytest.raises(ValueError, match="32 bytes"):
        OrderHashFilter().may_contain(b"")
