"""Earn: every event of ``StakingPools``, ``Launchpad`` and ``VestingVault``, one row per log.

No reducers: pools, positions, sales and schedules *now* are derived from these rows when read
(``offchain/earn/indexed.py``), so a reorg, which deletes the rows past the fork point, can never
leave them stale. Handlers key on the contract type, so every deployment of one is indexed; the
rows carry the emitting address. Addresses inside tuples and arrays come from ``eth_abi``
checksummed and are stored lower-case like the rest of the index.
"""

from __future__ import annotations

from typing import Any

from indexer.handlers import Batch, Event, on, registry
from indexer.models import (
    LaunchpadFeeChange,
    LaunchpadPurchase,
    LaunchpadSaleCreated,
    LaunchpadSaleStep,
    LaunchpadSettlement,
    StakingAdminAction,
    StakingPoolCreated,
    StakingPositionChange,
    StakingRewardFunding,
    StakingRewardPayment,
    StakingRewardTokenAdded,
    VestingClaim,
    VestingRevocation,
    VestingScheduleCreated,
)

for _model in (
    StakingPoolCreated,
    StakingRewardTokenAdded,
    StakingRewardFunding,
    StakingPositionChange,
    StakingRewardPayment,
    StakingAdminAction,
    LaunchpadSaleCreated,
    LaunchpadSaleStep,
    LaunchpadPurchase,
    LaunchpadSettlement,
    LaunchpadFeeChange,
    VestingScheduleCreated,
    VestingClaim,
    VestingRevocation,
):
    registry.event_table(_model)


def _address(value: Any) -> str:
    return str(value).lower()


def _hex32(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value).lower()


# --------------------------------------------------------------------------------- StakingPools


@on("StakingPools:PoolCreated")
def pool_created(event: Event, out: Batch) -> None:
    """A pool and its lock options (option 0, flexible, included)."""
    a = event.args
    out.add(
        StakingPoolCreated,
        event.key
        | {
            "staking": event.address,
            "pool_id": a["poolId"],
            "staking_token": _address(a["stakingToken"]),
            "lock_durations": [int(d) for d in a["lockDurations"]],
            "boost_bps": [int(b) for b in a["boostBps"]],
            "exit_policy": a["exitPolicy"],
            "penalty_bps": a["penaltyBps"],
        },
    )


@on("StakingPools:RewardTokenAdded")
def reward_token_added(event: Event, out: Batch) -> None:
    """A reward token of a pool (it streams nothing until funded)."""
    a = event.args
    out.add(
        StakingRewardTokenAdded,
        event.key
        | {"staking": event.address, "pool_id": a["poolId"], "reward_token": a["rewardToken"]},
    )


@on("StakingPools:RewardFunded")
def reward_funded(event: Event, out: Batch) -> None:
    """A reward stream (re)funded: its new rate and period end."""
    a = event.args
    out.add(
        StakingRewardFunding,
        event.key
        | {
            "staking": event.address,
            "pool_id": a["poolId"],
            "reward_token": a["rewardToken"],
            "received": a["received"],
            "carried_in_scaled": a["carriedInScaled"],
            "rate_scaled": a["rateScaled"],
            "period_finish": a["periodFinish"],
        },
    )


def _position(event: Event, kind: str, **values: Any) -> dict[str, Any]:
    a = event.args
    row: dict[str, Any] = {
        "staking": event.address,
        "pool_id": a["poolId"],
        "account": a["account"],
        "lock_index": a["lockIndex"],
        "kind": kind,
        "amount": a["amount"],
        "penalty": 0,
        "unlock_at": None,
        "total_weight": a["totalWeight"],
    }
    return event.key | row | values


@on("StakingPools:Staked")
def staked(event: Event, out: Batch) -> None:
    """Tokens staked into a position (its lock restarted)."""
    a = event.args
    out.add(
        StakingPositionChange,
        _position(
            event,
            "staked",
            position_amount=a["positionAmount"],
            unlock_at=a["unlockAt"],
            account_weight=a["accountWeight"],
        ),
    )


@on("StakingPools:Compounded")
def compounded(event: Event, out: Batch) -> None:
    """Staking-token rewards restaked into a position."""
    a = event.args
    out.add(
        StakingPositionChange,
        _position(
            event,
            "compounded",
            position_amount=a["positionAmount"],
            unlock_at=a["unlockAt"],
            account_weight=a["accountWeight"],
        ),
    )


@on("StakingPools:Withdrawn")
def withdrawn(event: Event, out: Batch) -> None:
    """Tokens withdrawn from a position (``penalty`` kept on an early exit)."""
    a = event.args
    out.add(
        StakingPositionChange,
        _position(
            event,
            "withdrawn",
            penalty=a["penalty"],
            position_amount=a["positionAmount"],
            account_weight=a["accountWeight"],
        ),
    )


@on("StakingPools:EmergencyWithdrawn")
def emergency_withdrawn(event: Event, out: Batch) -> None:
    """A whole position returned while paused: the position and the account's weight are 0
    after it (the contract empties every position of the account in the pool)."""
    out.add(
        StakingPositionChange,
        _position(event, "emergency", position_amount=0, account_weight=0),
    )


def _reward(event: Event, kind: str) -> dict[str, Any]:
    a = event.args
    return event.key | {
        "staking": event.address,
        "pool_id": a["poolId"],
        "account": a["account"],
        "reward_token": a["rewardToken"],
        "kind": kind,
        "amount": a["amount"],
    }


@on("StakingPools:RewardPaid")
def reward_paid(event: Event, out: Batch) -> None:
    """Rewards paid to a staker (a claim, or the staking-token part of a compound)."""
    out.add(StakingRewardPayment, _reward(event, "paid"))


@on("StakingPools:RewardForfeited")
def reward_forfeited(event: Event, out: Batch) -> None:
    """Rewards given up by an emergency withdrawal."""
    out.add(StakingRewardPayment, _reward(event, "forfeited"))


def _admin(event: Event, kind: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "staking": event.address,
        "kind": kind,
        "pool_id": None,
        "token": None,
        "to": None,
        "amount": None,
    }
    return event.key | row | values


@on("StakingPools:CarriedRewardsRecovered")
def carried_rewards_recovered(event: Event, out: Batch) -> None:
    """A stream's carry taken back by the admin."""
    a = event.args
    out.add(
        StakingAdminAction,
        _admin(
            event,
            "carry_recovered",
            pool_id=a["poolId"],
            token=a["rewardToken"],
            to=a["to"],
            amount=a["amount"],
        ),
    )


@on("StakingPools:ExcessSwept")
def excess_swept(event: Event, out: Batch) -> None:
    """Tokens held above principal and reserves (donations) swept by the admin."""
    a = event.args
    out.add(
        StakingAdminAction,
        _admin(event, "excess_swept", token=a["token"], to=a["to"], amount=a["amount"]),
    )


@on("StakingPools:TreasuryChanged")
def treasury_changed(event: Event, out: Batch) -> None:
    """Where early-exit penalties go (also emitted by the constructor)."""
    out.add(StakingAdminAction, _admin(event, "treasury_changed", to=event.args["treasury"]))


@on("StakingPools:SnapshotScheduled")
def snapshot_scheduled(event: Event, out: Batch) -> None:
    """A snapshot of a pool's weights scheduled (by the launchpad, for a tiered sale); ``amount``
    holds its time, unix seconds."""
    a = event.args
    out.add(
        StakingAdminAction,
        _admin(event, "snapshot_scheduled", pool_id=a["poolId"], amount=a["timepoint"]),
    )


@on("StakingPools:Paused")
def staking_paused(event: Event, out: Batch) -> None:
    """Staking paused (only emergency withdrawals work)."""
    out.add(StakingAdminAction, _admin(event, "paused", to=_address(event.args["account"])))


@on("StakingPools:Unpaused")
def staking_unpaused(event: Event, out: Batch) -> None:
    """Staking resumed."""
    out.add(StakingAdminAction, _admin(event, "unpaused", to=_address(event.args["account"])))


# ------------------------------------------------------------------------------------ Launchpad


def _sale(event: Event) -> dict[str, Any]:
    return event.key | {"launchpad": event.address, "sale_id": event.args["saleId"]}


_STEP_DEFAULTS: dict[str, Any] = {
    "account": None,
    "amount": None,
    "total": None,
    "seed_hash": None,
    "seed": None,
    "randomness": None,
    "lottery_start": None,
    "outcome": None,
    "raised": None,
    "proceeds": None,
    "fee": None,
    "tokens_returned": None,
    "lottery_drawn": None,
}


def _step(event: Event, kind: str, **values: Any) -> dict[str, Any]:
    return _sale(event) | _STEP_DEFAULTS | {"kind": kind} | values


@on("Launchpad:SaleCreated")
def sale_created(event: Event, out: Batch) -> None:
    """A sale and its parameters (the ``SaleParams`` tuple, decoded in ABI order)."""
    (
        sale_token,
        payment_token,
        treasury,
        staking,
        pool_id,
        snapshot_time,
        start_time,
        end_time,
        price,
        hard_cap,
        soft_cap,
        min_buy,
        max_buy,
        kyc_level,
        lottery,
        tier_thresholds,
        tier_allocations,
        vesting,
    ) = event.args["params"]
    vesting_start, vesting_cliff, vesting_duration, tge_bps, _revocable = vesting
    out.add(
        LaunchpadSaleCreated,
        _sale(event)
        | {
            "sale_token": _address(sale_token),
            "payment_token": _address(payment_token),
            "treasury": _address(treasury),
            "staking": _address(staking),
            "pool_id": pool_id,
            "snapshot_time": snapshot_time,
            "start_time": start_time,
            "end_time": end_time,
            "price": price,
            "hard_cap": hard_cap,
            "soft_cap": soft_cap,
            "min_buy": min_buy,
            "max_buy": max_buy,
            "kyc_level": kyc_level,
            "lottery": bool(lottery),
            # Decimal strings: thresholds are uint256, past what a JSON number holds exactly.
            "tier_thresholds": [str(t) for t in tier_thresholds],
            "tier_allocations": [str(t) for t in tier_allocations],
            "vesting_start": vesting_start,
            "vesting_cliff": vesting_cliff,
            "vesting_duration": vesting_duration,
            "vesting_tge_bps": tge_bps,
            "fee_bps": event.args["feeBps"],
        },
    )


@on("Launchpad:SaleTokensDeposited")
def sale_tokens_deposited(event: Event, out: Batch) -> None:
    """Sale tokens deposited; ``total`` is the sale's new total."""
    a = event.args
    out.add(
        LaunchpadSaleStep,
        _step(
            event,
            "tokens_deposited",
            account=a["from"],
            amount=a["amount"],
            total=a["totalDeposited"],
        ),
    )


@on("Launchpad:SeedCommitted")
def seed_committed(event: Event, out: Batch) -> None:
    """The lottery seed's hash committed before the start."""
    out.add(
        LaunchpadSaleStep, _step(event, "seed_committed", seed_hash=_hex32(event.args["seedHash"]))
    )


@on("Launchpad:SeedRevealed")
def seed_revealed(event: Event, out: Batch) -> None:
    """The lottery seed revealed: the draw's randomness and first winning ticket."""
    a = event.args
    out.add(
        LaunchpadSaleStep,
        _step(
            event,
            "seed_revealed",
            seed=_hex32(a["seed"]),
            randomness=_hex32(a["randomness"]),
            lottery_start=a["lotteryStart"],
        ),
    )


@on("Launchpad:SaleFinalized")
def sale_finalized(event: Event, out: Batch) -> None:
    """The sale's outcome (2 succeeded, 3 failed) and where the money went."""
    a = event.args
    out.add(
        LaunchpadSaleStep,
        _step(
            event,
            "finalized",
            outcome=a["outcome"],
            raised=a["raised"],
            proceeds=a["proceeds"],
            fee=a["fee"],
            tokens_returned=a["tokensReturned"],
            lottery_drawn=bool(a["lotteryDrawn"]),
        ),
    )


@on("Launchpad:SaleCancelled")
def sale_cancelled(event: Event, out: Batch) -> None:
    """The sale cancelled before its end; buyers refund in full."""
    out.add(
        LaunchpadSaleStep,
        _step(event, "cancelled", tokens_returned=event.args["tokensReturned"]),
    )


@on("Launchpad:RemainderSwept")
def remainder_swept(event: Event, out: Batch) -> None:
    """Rounding dust sent to the treasury once every buyer settled."""
    a = event.args
    out.add(
        LaunchpadSaleStep,
        _step(event, "remainder_swept", amount=a["payment"], tokens_returned=a["tokens"]),
    )


@on("Launchpad:Purchased")
def purchased(event: Event, out: Batch) -> None:
    """A buyer's commitment (what arrived) and its new total."""
    a = event.args
    out.add(
        LaunchpadPurchase,
        _sale(event)
        | {
            "buyer": a["buyer"],
            "amount": a["amount"],
            "committed": a["committed"],
            "guaranteed_cap": a["guaranteedCap"],
            "lottery_offset": a["lotteryOffset"],
        },
    )


@on("Launchpad:Settled")
def settled(event: Event, out: Batch) -> None:
    """A buyer settled a successful sale: tokens vested, the excess refunded."""
    a = event.args
    out.add(
        LaunchpadSettlement,
        _sale(event)
        | {
            "buyer": a["buyer"],
            "kind": "settled",
            "paid": a["paid"],
            "tokens": a["tokens"],
            "refund": a["refund"],
            # No schedule is created when nothing was bought (the id is then meaningless).
            "schedule_id": a["scheduleId"] if a["tokens"] else None,
        },
    )


@on("Launchpad:Refunded")
def refunded(event: Event, out: Batch) -> None:
    """A buyer's whole commitment returned (failed or cancelled sale)."""
    a = event.args
    out.add(
        LaunchpadSettlement,
        _sale(event)
        | {
            "buyer": a["buyer"],
            "kind": "refunded",
            "paid": 0,
            "tokens": 0,
            "refund": a["amount"],
            "schedule_id": None,
        },
    )


@on("Launchpad:FeeChanged")
def fee_changed(event: Event, out: Batch) -> None:
    """The platform fee for new sales (also emitted by the constructor)."""
    a = event.args
    out.add(
        LaunchpadFeeChange,
        event.key
        | {
            "launchpad": event.address,
            "fee_bps": a["feeBps"],
            "fee_recipient": _address(a["feeRecipient"]),
        },
    )


# --------------------------------------------------------------------------------- VestingVault


def _schedule(event: Event) -> dict[str, Any]:
    a = event.args
    return event.key | {
        "vault": event.address,
        "schedule_id": a["scheduleId"],
        "beneficiary": a["beneficiary"],
    }


@on("VestingVault:ScheduleCreated")
def schedule_created(event: Event, out: Batch) -> None:
    """A vesting schedule funded with ``total`` (what arrived)."""
    a = event.args
    out.add(
        VestingScheduleCreated,
        _schedule(event)
        | {
            "token": a["token"],
            "total": a["total"],
            "start": a["start"],
            "cliff": a["cliff"],
            "duration": a["duration"],
            "tge_bps": a["tgeBps"],
            "revocable": bool(a["revocable"]),
            "creator": _address(a["creator"]),
        },
    )


@on("VestingVault:TokensClaimed")
def tokens_claimed(event: Event, out: Batch) -> None:
    """Vested tokens released (``claim`` or ``claimFor``)."""
    a = event.args
    out.add(VestingClaim, _schedule(event) | {"amount": a["amount"], "released": a["released"]})


@on("VestingVault:ScheduleRevoked")
def schedule_revoked(event: Event, out: Batch) -> None:
    """A revocable schedule ended: the vested part stays, the rest went back."""
    a = event.args
    out.add(
        VestingRevocation,
        _schedule(event)
        | {
            "vested_total": a["vestedTotal"],
            "unvested": a["unvested"],
            "returned_to": _address(a["returnedTo"]),
        },
    )
