"""Staking pools, positions, sales, participations and vesting schedules as the index has them.

Everything is derived when read from the indexer's per-log rows (``staking_*``, ``launchpad_*``,
``vesting_*``); nothing is stored, so a reorg, which deletes rows past the fork point, leaves no
stale state behind. Sums are taken in Python: amounts are ``Uint256`` (zero-padded text on
SQLite), which SQL cannot add there.

What the rows cannot say is left to the caller's chain reads: rewards earned so far, the current
APR (a stakers' penalty raises a stream's rate without an event), a final sale's allocations
before each buyer settles.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.models import (
    Checkpoint,
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
from offchain.earn.errors import ContractRequired, PoolNotFound, SaleNotFound
from offchain.earn.vesting import vested_at

BPS = 10_000
EXIT_POLICIES = ("refused", "penalty_to_treasury", "penalty_to_stakers")
# ILaunchpad.Status values carried by SaleFinalized.
OUTCOMES = {2: "succeeded", 3: "failed"}


def indexed_block(session: Session, chain_id: int) -> int | None:
    """The block the index reaches on ``chain_id`` (None before the first run)."""
    return session.scalar(select(Checkpoint.block_number).where(Checkpoint.chain_id == chain_id))


# ------------------------------------------------------------------------------------- staking


@dataclass(frozen=True)
class LockOption:
    index: int
    duration: int
    boost_bps: int


@dataclass(frozen=True)
class RewardStream:
    """A reward token of a pool with its latest funding (None until funded)."""

    token: str
    funded_total: int
    rate_scaled: int | None
    period_finish: int | None


@dataclass
class IndexedPool:
    chain_id: int
    staking: str
    pool_id: int
    staking_token: str
    exit_policy: str
    penalty_bps: int
    lock_options: list[LockOption]
    rewards: list[RewardStream]
    total_staked: int
    total_weight: int
    stakers: int
    paused: bool
    created_block: int


def _one_contract(found: set[str], what: str, item_id: int) -> None:
    if len(found) > 1:
        raise ContractRequired(
            f"{what} {item_id} exists in several indexed contracts: pass one of them",
            details={"contracts": sorted(found)},
        )


def staking_pools(
    *,
    session: Session,
    chain_id: int,
    staking: str | None = None,
    pool_id: int | None = None,
) -> list[IndexedPool]:
    """Every indexed pool with its locks, reward streams and totals now.

    Args:
        session: The database session.
        chain_id: The chain.
        staking: Only this StakingPools contract (any case).
        pool_id: Only this pool id.

    Returns:
        The pools, by contract then id.

    Raises:
        PoolNotFound: ``pool_id`` was given and no such pool is indexed.
        ContractRequired: ``pool_id`` exists in several contracts and ``staking`` was not given.
    """
    query = select(StakingPoolCreated).where(StakingPoolCreated.chain_id == chain_id)
    if staking is not None:
        query = query.where(StakingPoolCreated.staking == staking.lower())
    if pool_id is not None:
        query = query.where(StakingPoolCreated.pool_id == pool_id)
    created = list(
        session.scalars(query.order_by(StakingPoolCreated.staking, StakingPoolCreated.pool_id))
    )
    if pool_id is not None:
        if not created:
            raise PoolNotFound(
                f"no staking pool {pool_id} indexed on chain {chain_id}",
                details={"pool_id": pool_id, "chain_id": chain_id},
            )
        _one_contract({p.staking for p in created}, "pool", pool_id)
    if not created:
        return []
    contracts = {p.staking for p in created}

    tokens: dict[tuple[str, int], list[str]] = defaultdict(list)
    for added in session.scalars(
        select(StakingRewardTokenAdded)
        .where(
            StakingRewardTokenAdded.chain_id == chain_id,
            StakingRewardTokenAdded.staking.in_(contracts),
        )
        .order_by(StakingRewardTokenAdded.block_number, StakingRewardTokenAdded.log_index)
    ):
        tokens[(added.staking, added.pool_id)].append(added.reward_token)
    latest: dict[tuple[str, int, str], StakingRewardFunding] = {}
    funded: dict[tuple[str, int, str], int] = defaultdict(int)
    for funding in session.scalars(
        select(StakingRewardFunding)
        .where(
            StakingRewardFunding.chain_id == chain_id,
            StakingRewardFunding.staking.in_(contracts),
        )
        .order_by(StakingRewardFunding.block_number, StakingRewardFunding.log_index)
    ):
        key = (funding.staking, funding.pool_id, funding.reward_token)
        latest[key] = funding
        funded[key] += funding.received

    positions: dict[tuple[str, int], dict[tuple[str, int], int]] = defaultdict(dict)
    total_weight: dict[tuple[str, int], int] = {}
    for change in session.scalars(
        select(StakingPositionChange)
        .where(
            StakingPositionChange.chain_id == chain_id,
            StakingPositionChange.staking.in_(contracts),
        )
        .order_by(StakingPositionChange.block_number, StakingPositionChange.log_index)
    ):
        pool_key = (change.staking, change.pool_id)
        positions[pool_key][(change.account, change.lock_index)] = change.position_amount
        total_weight[pool_key] = change.total_weight

    paused: dict[str, bool] = {}
    for action in session.scalars(
        select(StakingAdminAction)
        .where(
            StakingAdminAction.chain_id == chain_id,
            StakingAdminAction.staking.in_(contracts),
            StakingAdminAction.kind.in_(("paused", "unpaused")),
        )
        .order_by(StakingAdminAction.block_number, StakingAdminAction.log_index)
    ):
        paused[action.staking] = action.kind == "paused"

    pools = []
    for p in created:
        pool_key = (p.staking, p.pool_id)
        held = positions.get(pool_key, {})
        streams = []
        for token in tokens.get(pool_key, []):
            last = latest.get((p.staking, p.pool_id, token))
            streams.append(
                RewardStream(
                    token=token,
                    funded_total=funded.get((p.staking, p.pool_id, token), 0),
                    rate_scaled=last.rate_scaled if last else None,
                    period_finish=last.period_finish if last else None,
                )
            )
        pools.append(
            IndexedPool(
                chain_id=chain_id,
                staking=p.staking,
                pool_id=p.pool_id,
                staking_token=p.staking_token,
                exit_policy=EXIT_POLICIES[p.exit_policy],
                penalty_bps=p.penalty_bps,
                lock_options=[
                    LockOption(i, d, b)
                    for i, (d, b) in enumerate(zip(p.lock_durations, p.boost_bps, strict=True))
                ],
                rewards=streams,
                total_staked=sum(held.values()),
                total_weight=total_weight.get(pool_key, 0),
                stakers=len({account for (account, _), amount in held.items() if amount}),
                paused=paused.get(p.staking, False),
                created_block=p.block_number,
            )
        )
    return pools


@dataclass(frozen=True)
class IndexedPosition:
    staking: str
    pool_id: int
    lock_index: int
    amount: int
    weight: int
    unlock_at: int
    lock_duration: int
    boost_bps: int
    last_change: str
    last_block: int


@dataclass(frozen=True)
class RewardTotals:
    staking: str
    pool_id: int
    token: str
    paid: int
    forfeited: int


@dataclass
class AccountStaking:
    positions: list[IndexedPosition] = field(default_factory=list)
    rewards: list[RewardTotals] = field(default_factory=list)
    # Every (contract, pool) the account has ever staked in, for the caller's earned() reads.
    pools: list[IndexedPool] = field(default_factory=list)


def account_staking(*, session: Session, chain_id: int, account: str) -> AccountStaking:
    """An account's positions now (non-empty ones) and what it was paid per reward token.

    Args:
        session: The database session.
        chain_id: The chain.
        account: The staker (any case).

    Returns:
        Positions by contract, pool and lock; reward totals; the pools involved.
    """
    account = account.lower()
    latest: dict[tuple[str, int, int], StakingPositionChange] = {}
    for change in session.scalars(
        select(StakingPositionChange)
        .where(StakingPositionChange.chain_id == chain_id, StakingPositionChange.account == account)
        .order_by(StakingPositionChange.block_number, StakingPositionChange.log_index)
    ):
        latest[(change.staking, change.pool_id, change.lock_index)] = change
    paid: dict[tuple[str, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for payment in session.scalars(
        select(StakingRewardPayment).where(
            StakingRewardPayment.chain_id == chain_id, StakingRewardPayment.account == account
        )
    ):
        slot = paid[(payment.staking, payment.pool_id, payment.reward_token)]
        slot[0 if payment.kind == "paid" else 1] += payment.amount

    involved = {(s, p) for s, p, _ in latest} | {(s, p) for s, p, _ in paid}
    pools = [
        pool
        for pool in staking_pools(session=session, chain_id=chain_id)
        if (pool.staking, pool.pool_id) in involved
    ]
    locks = {(p.staking, p.pool_id): p.lock_options for p in pools}
    result = AccountStaking(pools=pools)
    for (staking, pool_id, lock_index), change in sorted(latest.items()):
        if not change.position_amount:
            continue
        option = locks[(staking, pool_id)][lock_index]
        result.positions.append(
            IndexedPosition(
                staking=staking,
                pool_id=pool_id,
                lock_index=lock_index,
                amount=change.position_amount,
                weight=change.position_amount * option.boost_bps // BPS,
                # A withdrawal keeps the lock's end: the last stake or compound set it.
                unlock_at=_unlock_at(session, chain_id, account, change),
                lock_duration=option.duration,
                boost_bps=option.boost_bps,
                last_change=change.kind,
                last_block=change.block_number,
            )
        )
    result.rewards = [
        RewardTotals(staking=s, pool_id=p, token=t, paid=v[0], forfeited=v[1])
        for (s, p, t), v in sorted(paid.items())
    ]
    return result


def _unlock_at(session: Session, chain_id: int, account: str, change: StakingPositionChange) -> int:
    if change.unlock_at is not None:
        return change.unlock_at
    last = session.scalar(
        select(StakingPositionChange.unlock_at)
        .where(
            StakingPositionChange.chain_id == chain_id,
            StakingPositionChange.staking == change.staking,
            StakingPositionChange.pool_id == change.pool_id,
            StakingPositionChange.account == account,
            StakingPositionChange.lock_index == change.lock_index,
            StakingPositionChange.unlock_at.is_not(None),
        )
        .order_by(StakingPositionChange.block_number.desc(), StakingPositionChange.log_index.desc())
        .limit(1)
    )
    return last or 0


# ----------------------------------------------------------------------------------- launchpad


@dataclass
class IndexedSale:
    """A sale as created, with what its steps and purchases say now."""

    config: LaunchpadSaleCreated
    tokens_deposited: int = 0
    total_committed: int = 0
    buyers: set[str] = field(default_factory=set)
    seed_hash: str | None = None
    seed: str | None = None
    lottery_start: int | None = None
    outcome: str | None = None  # succeeded | failed | cancelled
    raised: int | None = None
    proceeds: int | None = None
    fee: int | None = None
    tokens_returned: int | None = None
    lottery_drawn: bool | None = None
    settled: int = 0
    remainder_swept: bool = False

    def status(self, now: int) -> str:
        """``upcoming``, ``open``, ``ended`` (awaiting finalize), or the outcome."""
        if self.outcome is not None:
            return self.outcome
        if now < self.config.start_time:
            return "upcoming"
        if now <= self.config.end_time:
            return "open"
        return "ended"


def sales(
    *,
    session: Session,
    chain_id: int,
    launchpad: str | None = None,
    sale_id: int | None = None,
) -> list[IndexedSale]:
    """Every indexed sale with its deposits, commitments, seed and outcome.

    Args:
        session: The database session.
        chain_id: The chain.
        launchpad: Only this Launchpad contract (any case).
        sale_id: Only this sale id.

    Returns:
        The sales, newest first.

    Raises:
        SaleNotFound: ``sale_id`` was given and no such sale is indexed.
        ContractRequired: ``sale_id`` exists in several contracts and ``launchpad`` was not given.
    """
    query = select(LaunchpadSaleCreated).where(LaunchpadSaleCreated.chain_id == chain_id)
    if launchpad is not None:
        query = query.where(LaunchpadSaleCreated.launchpad == launchpad.lower())
    if sale_id is not None:
        query = query.where(LaunchpadSaleCreated.sale_id == sale_id)
    created = list(
        session.scalars(
            query.order_by(
                LaunchpadSaleCreated.block_number.desc(), LaunchpadSaleCreated.log_index.desc()
            )
        )
    )
    if sale_id is not None:
        if not created:
            raise SaleNotFound(
                f"no sale {sale_id} indexed on chain {chain_id}",
                details={"sale_id": sale_id, "chain_id": chain_id},
            )
        _one_contract({s.launchpad for s in created}, "sale", sale_id)
    found = {(s.launchpad, s.sale_id): IndexedSale(config=s) for s in created}
    if not found:
        return []
    contracts = {s.launchpad for s in created}
    ids = {s.sale_id for s in created}

    for step in session.scalars(
        select(LaunchpadSaleStep)
        .where(
            LaunchpadSaleStep.chain_id == chain_id,
            LaunchpadSaleStep.launchpad.in_(contracts),
            LaunchpadSaleStep.sale_id.in_(ids),
        )
        .order_by(LaunchpadSaleStep.block_number, LaunchpadSaleStep.log_index)
    ):
        sale = found.get((step.launchpad, step.sale_id))
        if sale is None:
            continue
        if step.kind == "tokens_deposited":
            sale.tokens_deposited = step.total or 0
        elif step.kind == "seed_committed":
            sale.seed_hash = step.seed_hash
        elif step.kind == "seed_revealed":
            sale.seed, sale.lottery_start = step.seed, step.lottery_start
        elif step.kind == "finalized":
            sale.outcome = OUTCOMES.get(step.outcome or 0, "unknown")
            sale.raised, sale.proceeds, sale.fee = step.raised, step.proceeds, step.fee
            sale.tokens_returned, sale.lottery_drawn = step.tokens_returned, step.lottery_drawn
        elif step.kind == "cancelled":
            sale.outcome, sale.tokens_returned = "cancelled", step.tokens_returned
        elif step.kind == "remainder_swept":
            sale.remainder_swept = True
    for purchase in session.scalars(
        select(LaunchpadPurchase).where(
            LaunchpadPurchase.chain_id == chain_id,
            LaunchpadPurchase.launchpad.in_(contracts),
            LaunchpadPurchase.sale_id.in_(ids),
        )
    ):
        sale = found.get((purchase.launchpad, purchase.sale_id))
        if sale is not None:
            sale.total_committed += purchase.amount
            sale.buyers.add(purchase.buyer)
    for settlement in session.scalars(
        select(LaunchpadSettlement).where(
            LaunchpadSettlement.chain_id == chain_id,
            LaunchpadSettlement.launchpad.in_(contracts),
            LaunchpadSettlement.sale_id.in_(ids),
        )
    ):
        sale = found.get((settlement.launchpad, settlement.sale_id))
        if sale is not None:
            sale.settled += 1
    return list(found.values())


@dataclass(frozen=True)
class IndexedParticipation:
    launchpad: str
    sale_id: int
    buyer: str
    committed: int
    guaranteed_cap: int
    lottery_offset: int
    purchases: int
    settlement: LaunchpadSettlement | None


def participations(
    *,
    session: Session,
    chain_id: int,
    buyer: str,
    launchpad: str | None = None,
    sale_id: int | None = None,
) -> list[IndexedParticipation]:
    """A buyer's commitments (latest total per sale) and settlement or refund, if any.

    Args:
        session: The database session.
        chain_id: The chain.
        buyer: The buyer (any case).
        launchpad: Only this Launchpad contract.
        sale_id: Only this sale.

    Returns:
        One entry per sale the buyer bought in, oldest first.
    """
    buyer = buyer.lower()
    query = select(LaunchpadPurchase).where(
        LaunchpadPurchase.chain_id == chain_id, LaunchpadPurchase.buyer == buyer
    )
    if launchpad is not None:
        query = query.where(LaunchpadPurchase.launchpad == launchpad.lower())
    if sale_id is not None:
        query = query.where(LaunchpadPurchase.sale_id == sale_id)
    latest: dict[tuple[str, int], LaunchpadPurchase] = {}
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for purchase in session.scalars(
        query.order_by(LaunchpadPurchase.block_number, LaunchpadPurchase.log_index)
    ):
        latest[(purchase.launchpad, purchase.sale_id)] = purchase
        counts[(purchase.launchpad, purchase.sale_id)] += 1
    settlements = {
        (s.launchpad, s.sale_id): s
        for s in session.scalars(
            select(LaunchpadSettlement).where(
                LaunchpadSettlement.chain_id == chain_id, LaunchpadSettlement.buyer == buyer
            )
        )
    }
    return [
        IndexedParticipation(
            launchpad=key[0],
            sale_id=key[1],
            buyer=buyer,
            committed=p.committed,
            guaranteed_cap=p.guaranteed_cap,
            lottery_offset=p.lottery_offset,
            purchases=counts[key],
            settlement=settlements.get(key),
        )
        for key, p in latest.items()
    ]


# ------------------------------------------------------------------------------------- vesting


@dataclass(frozen=True)
class IndexedSchedule:
    vault: str
    schedule_id: int
    beneficiary: str
    token: str
    total: int  # after a revocation: the vested part kept
    original_total: int
    released: int
    start: int
    cliff: int
    duration: int
    tge_bps: int
    revocable: bool
    revoked: bool
    unvested_returned: int
    created_block: int

    def vested(self, timestamp: int) -> int:
        """What has vested by ``timestamp`` (the vault's own arithmetic)."""
        return vested_at(
            total=self.total,
            start=self.start,
            cliff=self.cliff,
            duration=self.duration,
            tge_bps=self.tge_bps,
            revoked=self.revoked,
            timestamp=timestamp,
        )

    def claimable(self, timestamp: int) -> int:
        """What ``claim`` would release at ``timestamp``."""
        return max(self.vested(timestamp) - self.released, 0)

    @property
    def fully_vested_at(self) -> int:
        return self.start + self.cliff + self.duration


def vesting_schedules(
    *,
    session: Session,
    chain_id: int,
    beneficiary: str | None = None,
    vault: str | None = None,
    schedule_ids: set[int] | None = None,
    creator: str | None = None,
) -> list[IndexedSchedule]:
    """Schedules with their released total and revocation replayed from the rows.

    Args:
        session: The database session.
        chain_id: The chain.
        beneficiary: Only this beneficiary's (any case).
        vault: Only this vault's.
        schedule_ids: Only these ids.
        creator: Only schedules this address created (a launchpad: its buyers' schedules).

    Returns:
        The schedules, oldest first.
    """
    query = select(VestingScheduleCreated).where(VestingScheduleCreated.chain_id == chain_id)
    if beneficiary is not None:
        query = query.where(VestingScheduleCreated.beneficiary == beneficiary.lower())
    if vault is not None:
        query = query.where(VestingScheduleCreated.vault == vault.lower())
    if schedule_ids is not None:
        query = query.where(VestingScheduleCreated.schedule_id.in_(schedule_ids))
    if creator is not None:
        query = query.where(VestingScheduleCreated.creator == creator.lower())
    created = list(
        session.scalars(
            query.order_by(VestingScheduleCreated.block_number, VestingScheduleCreated.log_index)
        )
    )
    if not created:
        return []
    ids = {s.schedule_id for s in created}
    released: dict[tuple[str, int, str], int] = {}
    for claim in session.scalars(
        select(VestingClaim)
        .where(VestingClaim.chain_id == chain_id, VestingClaim.schedule_id.in_(ids))
        .order_by(VestingClaim.block_number, VestingClaim.log_index)
    ):
        released[(claim.vault, claim.schedule_id, claim.beneficiary)] = claim.released
    revoked = {
        (r.vault, r.schedule_id, r.beneficiary): r
        for r in session.scalars(
            select(VestingRevocation).where(
                VestingRevocation.chain_id == chain_id, VestingRevocation.schedule_id.in_(ids)
            )
        )
    }
    found = []
    for s in created:
        key = (s.vault, s.schedule_id, s.beneficiary)
        revocation = revoked.get(key)
        found.append(
            IndexedSchedule(
                vault=s.vault,
                schedule_id=s.schedule_id,
                beneficiary=s.beneficiary,
                token=s.token,
                total=revocation.vested_total if revocation else s.total,
                original_total=s.total,
                released=released.get(key, 0),
                start=s.start,
                cliff=s.cliff,
                duration=s.duration,
                tge_bps=s.tge_bps,
                revocable=s.revocable,
                revoked=revocation is not None,
                unvested_returned=revocation.unvested if revocation else 0,
                created_block=s.block_number,
            )
        )
    return found
