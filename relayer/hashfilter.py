"""A Bloom filter of journaled order hashes, so that intake asks the database about a new order
only when it may be a resubmission.

Order hashes are EIP-712 digests (Keccak-256 outputs), uniformly distributed, so the filter's
bit positions are slices of the digest itself: no further hashing. A "no" is certain; a "maybe"
(a real duplicate, or about 1 new order in 400) is settled by the SQL lookup as before. The
filter never forgets, so it must see every hash the journal holds: loaded from the journal at
start-up, then fed by the sequencer with each order it journals.
"""

from __future__ import annotations

from typing import Final

_SLICE_BYTES: Final = 3  # 24-bit positions
_SEGMENT_BITS: Final = 1 << (8 * _SLICE_BYTES)  # 2 MiB of bits per segment
_PROBES: Final = 4  # bytes 0-11 of the digest
#: Hashes per segment: 16 bits each and 4 probes give a false "maybe" rate of about 0.24%.
SEGMENT_CAPACITY: Final = _SEGMENT_BITS // 16


class OrderHashFilter:
    """Membership of 32-byte order digests, with no false "no" and rare false "maybe".

    It grows by whole segments (a new one when the last holds ``segment_capacity`` hashes), so
    the false "maybe" rate stays bounded however many orders the journal holds.
    """

    def __init__(self, segment_capacity: int = SEGMENT_CAPACITY) -> None:
        self.segment_capacity = segment_capacity
        self._segments: list[bytearray] = [bytearray(_SEGMENT_BITS // 8)]
        self._in_last = 0
        self.count = 0

    @property
    def segments(self) -> int:
        return len(self._segments)

    @staticmethod
    def _positions(digest: bytes) -> tuple[int, ...]:
        if len(digest) != 32:
            raise ValueError(f"an order digest is 32 bytes, got {len(digest)}")
        return tuple(
            int.from_bytes(digest[i : i + _SLICE_BYTES], "big")
            for i in range(0, _PROBES * _SLICE_BYTES, _SLICE_BYTES)
        )

    def add(self, digest: bytes) -> None:
        if self._in_last >= self.segment_capacity:
            self._segments.append(bytearray(_SEGMENT_BITS // 8))
            self._in_last = 0
        bits = self._segments[-1]
        for position in self._positions(digest):
            bits[position >> 3] |= 1 << (position & 7)
        self._in_last += 1
        self.count += 1

    def may_contain(self, digest: bytes) -> bool:
        positions = self._positions(digest)
        return any(all(bits[p >> 3] >> (p & 7) & 1 for p in positions) for bits in self._segments)
