"""Reference model of the launchpad's allocation and vesting rules (ILaunchpad, IVestingVault),
in exact integers, so tests can check every figure the contracts produce."""

from __future__ import annotations

from dataclasses import dataclass

PRICE_SCALE = 10**18
BPS = 10_000


def tokens_for(payment: int, price: int) -> int:
    """Sale tokens bought by ``payment`` (rounded down: the project's favour)."""
    return payment * PRICE_SCALE // price


def cost_of(tokens: int, price: int) -> int:
    """What ``tokens`` cost (rounded up); equals the fill they came from when price < 1e18."""
    return -(-tokens * price // PRICE_SCALE)


def outcome(fill: int, price: int) -> tuple[int, int]:
    """(paid, tokens) for a buyer whose allocation filled ``fill`` payment units."""
    tokens = tokens_for(fill, price)
    return cost_of(tokens, price), tokens


def tier_allocation(weight: int, thresholds: list[int], allocations: list[int]) -> int:
    for threshold, allocation in reversed(list(zip(thresholds, allocations, strict=True))):
        if weight >= threshold:
            return allocation
    return 0


@dataclass
class Entry:
    committed: int
    cap: int
    offset: int = 0  # first lottery ticket of the open part

    @property
    def guaranteed(self) -> int:
        return min(self.committed, self.cap)

    @property
    def open(self) -> int:
        return self.committed - self.guaranteed


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def filled(
    entries: dict[str, Entry], hard_cap: int, lottery_start: int | None = None
) -> dict[str, int]:
    """Each buyer's filled payment units; ``lottery_start`` given when the lottery was drawn."""
    g_total = sum(e.guaranteed for e in entries.values())
    e_total = sum(e.open for e in entries.values())
    supply = hard_cap - min(g_total, hard_cap)
    out = {}
    for name, e in entries.items():
        g = e.guaranteed if g_total <= hard_cap else e.guaranteed * hard_cap // g_total
        if e_total <= supply:
            o = e.open
        elif lottery_start is not None:
            end = lottery_start + supply
            o = _overlap(e.offset, e.offset + e.open, lottery_start, min(end, e_total))
            if end > e_total:
                o += _overlap(e.offset, e.offset + e.open, 0, end - e_total)
        else:
            o = e.open * supply // e_total
        out[name] = g + o
    return out


def vested(total: int, start: int, cliff: int, duration: int, tge_bps: int, t: int) -> int:
    if t < start:
        return 0
    tge = total * tge_bps // BPS
    linear_start = start + cliff
    if t < linear_start:
        return tge
    elapsed = t - linear_start
    if elapsed >= duration:
        return total
    return tge + (total - tge) * elapsed // duration
