"""The vesting vault's schedule maths, the same integer arithmetic as
``VestingVault._vested`` (``contracts/interfaces/IVestingVault.sol``)."""

from __future__ import annotations

BPS = 10_000


def vested_at(
    *,
    total: int,
    start: int,
    cliff: int,
    duration: int,
    tge_bps: int,
    revoked: bool,
    timestamp: int,
) -> int:
    """What a schedule has vested by ``timestamp`` (base units, rounded down).

    Args:
        total: The schedule's total (after a revocation: what had vested then).
        start / cliff / duration / tge_bps: The schedule's terms.
        revoked: A revoked schedule's (cut) total is all vested.
        timestamp: Unix seconds.

    Returns:
        The vested amount; never more than ``total`` and never decreasing in ``timestamp``.
    """
    if revoked:
        return total
    if timestamp < start:
        return 0
    tge = total * tge_bps // BPS
    linear_start = start + cliff
    if timestamp < linear_start:
        return tge
    elapsed = timestamp - linear_start
    if elapsed >= duration:
        return total
    return tge + (total - tge) * elapsed // duration
