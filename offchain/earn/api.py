"""Read API of Earn and Launchpad (``/earn``): staking products, an account's positions and
rewards, launchpad sales, a buyer's participation and vesting schedules.

Indexed rows (``offchain/earn/indexed.py``) give everything that events record; the node gives
the "now" values events cannot: rewards earned so far (``earned``), the current APR (the
contract's ``aprWad`` view: a stakers' early-exit penalty raises a stream's rate without an
event, so a rate computed from indexed fundings could be stale), a final sale's allocation
before the buyer settles (``allocationOf``), and the time (the head block's timestamp) that sale
status and vested amounts are computed at. Vested and claimable amounts are the vault's own
arithmetic over the indexed schedule and claims.

The chain is the node's; amounts travel as decimal strings of base units (uint256), times as
unix seconds.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session
from web3 import Web3

from offchain.earn.errors import ParticipationNotFound
from offchain.earn.indexed import (
    BPS,
    IndexedParticipation,
    IndexedPool,
    IndexedSale,
    IndexedSchedule,
    account_staking,
    indexed_block,
    participations,
    sales,
    staking_pools,
    vesting_schedules,
)
from tigerex.deployments import BuildArtifacts
from tigerex.deps import SessionDep, Web3Dep

router = APIRouter(prefix="/earn", tags=["earn"])

_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
# aprWad is 1e18 fixed point; 1e14 of it is one basis point.
_WAD_PER_BPS = 10**14

AddressPath = Annotated[str, Path(pattern=_ADDRESS)]
ContractQuery = Annotated[str | None, Query(pattern=_ADDRESS)]
IdPath = Annotated[int, Path(ge=0)]


# ------------------------------------------------------------------------------------- chain


@lru_cache(maxsize=8)
def _abi(contract_type: str) -> tuple[dict[str, Any], ...]:
    # Read once per process: the build manifest holds every contract type.
    return tuple(BuildArtifacts().abi(contract_type))


def _contract(w3: Web3, contract_type: str, address: str) -> Any:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=list(_abi(contract_type)))


def _now(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


# ------------------------------------------------------------------------------------- staking


class LockOptionPublic(BaseModel):
    index: int
    duration: int
    boost_bps: int
    apr_bps: int | None  # per reward token = staking token only; see RewardStreamPublic


class RewardStreamPublic(BaseModel):
    token: str
    funded_total: str
    rate_scaled: str | None
    period_finish: int | None
    apr_wad: str
    apr_bps_flexible: int | None


class StakingPoolPublic(BaseModel):
    chain_id: int
    staking: str
    pool_id: int
    staking_token: str
    exit_policy: str
    penalty_bps: int
    paused: bool
    total_staked: str
    total_weight: str
    stakers: int
    lock_options: list[LockOptionPublic]
    rewards: list[RewardStreamPublic]
    apr_source: str = "chain:aprWad"
    indexed_block: int | None


def _pool_public(pool: IndexedPool, w3: Web3, block: int | None) -> StakingPoolPublic:
    contract = _contract(w3, "StakingPools", pool.staking)
    rewards = []
    own_apr: int | None = None
    for stream in pool.rewards:
        apr = int(
            contract.functions.aprWad(pool.pool_id, Web3.to_checksum_address(stream.token)).call()
        )
        same = stream.token == pool.staking_token
        if same:
            own_apr = apr
        rewards.append(
            RewardStreamPublic(
                token=stream.token,
                funded_total=str(stream.funded_total),
                rate_scaled=None if stream.rate_scaled is None else str(stream.rate_scaled),
                period_finish=stream.period_finish,
                apr_wad=str(apr),
                apr_bps_flexible=apr // _WAD_PER_BPS if same else None,
            )
        )
    return StakingPoolPublic(
        chain_id=pool.chain_id,
        staking=pool.staking,
        pool_id=pool.pool_id,
        staking_token=pool.staking_token,
        exit_policy=pool.exit_policy,
        penalty_bps=pool.penalty_bps,
        paused=pool.paused,
        total_staked=str(pool.total_staked),
        total_weight=str(pool.total_weight),
        stakers=pool.stakers,
        lock_options=[
            LockOptionPublic(
                index=o.index,
                duration=o.duration,
                boost_bps=o.boost_bps,
                apr_bps=None if own_apr is None else own_apr * o.boost_bps // BPS // _WAD_PER_BPS,
            )
            for o in pool.lock_options
        ],
        rewards=rewards,
        indexed_block=block,
    )


@router.get("/staking/pools", response_model=list[StakingPoolPublic])
def list_pools(
    session: SessionDep, w3: Web3Dep, staking: ContractQuery = None
) -> list[StakingPoolPublic]:
    """Staking products: every pool with its tokens, lock options, total staked and APR now.

    ``apr_wad`` is per reward token, reward base units per unit of weight per year (1e18 fixed
    point), from the contract; ``apr_bps`` of a lock option is that APR for the option's boost
    when the reward token is the staking token (price free); other tokens need prices.
    """
    chain_id = w3.eth.chain_id
    block = indexed_block(session, chain_id)
    return [
        _pool_public(p, w3, block)
        for p in staking_pools(session=session, chain_id=chain_id, staking=staking)
    ]


@router.get("/staking/pools/{pool_id}", response_model=StakingPoolPublic)
def get_pool(
    session: SessionDep,
    w3: Web3Dep,
    pool_id: IdPath,
    staking: ContractQuery = None,
) -> StakingPoolPublic:
    """One pool (``staking`` names the contract when several are indexed)."""
    chain_id = w3.eth.chain_id
    (pool,) = staking_pools(session=session, chain_id=chain_id, staking=staking, pool_id=pool_id)
    return _pool_public(pool, w3, indexed_block(session, chain_id))


class PositionPublic(BaseModel):
    staking: str
    pool_id: int
    lock_index: int
    amount: str
    weight: str
    unlock_at: int
    locked: bool
    lock_duration: int
    boost_bps: int
    last_change: str
    last_block: int


class RewardPublic(BaseModel):
    staking: str
    pool_id: int
    token: str
    earned: str  # claimable now (chain)
    paid: str  # claimed so far (indexed)
    forfeited: str


class AccountStakingPublic(BaseModel):
    chain_id: int
    account: str
    positions: list[PositionPublic]
    rewards: list[RewardPublic]
    indexed_block: int | None


@router.get("/staking/accounts/{address}", response_model=AccountStakingPublic)
def get_account_staking(
    session: SessionDep, w3: Web3Dep, address: AddressPath
) -> AccountStakingPublic:
    """An address's positions (indexed) and, per pool and reward token, what it can claim now
    (the contract's ``earned``) and what it was paid so far (indexed)."""
    chain_id = w3.eth.chain_id
    account = address.lower()
    found = account_staking(session=session, chain_id=chain_id, account=account)
    now = _now(w3)
    totals = {(r.staking, r.pool_id, r.token): r for r in found.rewards}
    rewards = []
    for pool in found.pools:
        contract = _contract(w3, "StakingPools", pool.staking)
        for stream in pool.rewards:
            earned = contract.functions.earned(
                pool.pool_id,
                Web3.to_checksum_address(account),
                Web3.to_checksum_address(stream.token),
            ).call()
            total = totals.get((pool.staking, pool.pool_id, stream.token))
            rewards.append(
                RewardPublic(
                    staking=pool.staking,
                    pool_id=pool.pool_id,
                    token=stream.token,
                    earned=str(earned),
                    paid=str(total.paid if total else 0),
                    forfeited=str(total.forfeited if total else 0),
                )
            )
    return AccountStakingPublic(
        chain_id=chain_id,
        account=account,
        positions=[
            PositionPublic(
                staking=p.staking,
                pool_id=p.pool_id,
                lock_index=p.lock_index,
                amount=str(p.amount),
                weight=str(p.weight),
                unlock_at=p.unlock_at,
                locked=p.unlock_at > now,
                lock_duration=p.lock_duration,
                boost_bps=p.boost_bps,
                last_change=p.last_change,
                last_block=p.last_block,
            )
            for p in found.positions
        ],
        rewards=rewards,
        indexed_block=indexed_block(session, chain_id),
    )


# ----------------------------------------------------------------------------------- launchpad


class TierPublic(BaseModel):
    threshold: str
    allocation: str


class VestingTermsPublic(BaseModel):
    start: int
    cliff: int
    duration: int
    tge_bps: int


class SalePublic(BaseModel):
    chain_id: int
    launchpad: str
    sale_id: int
    status: str  # upcoming | open | ended | succeeded | failed | cancelled
    sale_token: str
    payment_token: str
    treasury: str
    price: str
    hard_cap: str
    soft_cap: str
    min_buy: str
    max_buy: str
    snapshot_time: int
    start_time: int
    end_time: int
    kyc_level: int
    lottery: bool
    staking: str
    staking_pool_id: str
    tiers: list[TierPublic]
    vesting: VestingTermsPublic
    fee_bps: int
    tokens_deposited: str
    total_committed: str
    participants: int
    settled: int
    seed_committed: bool
    seed_revealed: bool
    seed_hash: str | None
    seed: str | None  # public once revealed
    lottery_start: str | None  # the first winning ticket
    raised: str | None
    proceeds: str | None
    fee: str | None
    tokens_returned: str | None
    lottery_drawn: bool | None
    remainder_swept: bool
    created_block: int
    indexed_block: int | None


def _opt(value: int | None) -> str | None:
    return None if value is None else str(value)


def _sale_public(sale: IndexedSale, now: int, block: int | None) -> SalePublic:
    c = sale.config
    return SalePublic(
        chain_id=c.chain_id,
        launchpad=c.launchpad,
        sale_id=c.sale_id,
        status=sale.status(now),
        sale_token=c.sale_token,
        payment_token=c.payment_token,
        treasury=c.treasury,
        price=str(c.price),
        hard_cap=str(c.hard_cap),
        soft_cap=str(c.soft_cap),
        min_buy=str(c.min_buy),
        max_buy=str(c.max_buy),
        snapshot_time=c.snapshot_time,
        start_time=c.start_time,
        end_time=c.end_time,
        kyc_level=c.kyc_level,
        lottery=c.lottery,
        staking=c.staking,
        staking_pool_id=str(c.pool_id),
        tiers=[
            TierPublic(threshold=t, allocation=a)
            for t, a in zip(c.tier_thresholds, c.tier_allocations, strict=True)
        ],
        vesting=VestingTermsPublic(
            start=c.vesting_start,
            cliff=c.vesting_cliff,
            duration=c.vesting_duration,
            tge_bps=c.vesting_tge_bps,
        ),
        fee_bps=c.fee_bps,
        tokens_deposited=str(sale.tokens_deposited),
        total_committed=str(sale.total_committed),
        participants=len(sale.buyers),
        settled=sale.settled,
        seed_committed=sale.seed_hash is not None,
        seed_revealed=sale.seed is not None,
        seed_hash=sale.seed_hash,
        seed=sale.seed,
        lottery_start=_opt(sale.lottery_start),
        raised=_opt(sale.raised),
        proceeds=_opt(sale.proceeds),
        fee=_opt(sale.fee),
        tokens_returned=_opt(sale.tokens_returned),
        lottery_drawn=sale.lottery_drawn,
        remainder_swept=sale.remainder_swept,
        created_block=c.block_number,
        indexed_block=block,
    )


@router.get("/launchpad/sales", response_model=list[SalePublic])
def list_sales(
    session: SessionDep,
    w3: Web3Dep,
    launchpad: ContractQuery = None,
    status: str | None = Query(
        default=None, pattern=r"^(upcoming|open|ended|succeeded|failed|cancelled)$"
    ),
) -> list[SalePublic]:
    """Launchpad projects, newest first, with status (at the head block's time) and raise."""
    chain_id = w3.eth.chain_id
    now, block = _now(w3), indexed_block(session, chain_id)
    found = [
        _sale_public(s, now, block)
        for s in sales(session=session, chain_id=chain_id, launchpad=launchpad)
    ]
    return [s for s in found if status is None or s.status == status]


@router.get("/launchpad/sales/{sale_id}", response_model=SalePublic)
def get_sale(
    session: SessionDep,
    w3: Web3Dep,
    sale_id: IdPath,
    launchpad: ContractQuery = None,
) -> SalePublic:
    """One sale (``launchpad`` names the contract when several are indexed)."""
    chain_id = w3.eth.chain_id
    (sale,) = sales(session=session, chain_id=chain_id, launchpad=launchpad, sale_id=sale_id)
    return _sale_public(sale, _now(w3), indexed_block(session, chain_id))


class SchedulePublic(BaseModel):
    vault: str
    schedule_id: str
    beneficiary: str
    token: str
    total: str
    original_total: str
    released: str
    vested: str
    claimable: str
    start: int
    cliff: int
    duration: int
    tge_bps: int
    fully_vested_at: int
    revocable: bool
    revoked: bool
    unvested_returned: str
    at: int  # the time vested/claimable are computed at (head block timestamp)


def _schedule_public(s: IndexedSchedule, now: int) -> SchedulePublic:
    return SchedulePublic(
        vault=s.vault,
        schedule_id=str(s.schedule_id),
        beneficiary=s.beneficiary,
        token=s.token,
        total=str(s.total),
        original_total=str(s.original_total),
        released=str(s.released),
        vested=str(s.vested(now)),
        claimable=str(s.claimable(now)),
        start=s.start,
        cliff=s.cliff,
        duration=s.duration,
        tge_bps=s.tge_bps,
        fully_vested_at=s.fully_vested_at,
        revocable=s.revocable,
        revoked=s.revoked,
        unvested_returned=str(s.unvested_returned),
        at=now,
    )


class ParticipationPublic(BaseModel):
    chain_id: int
    launchpad: str
    sale_id: int
    buyer: str
    sale_status: str
    committed: str
    guaranteed_cap: str
    lottery_offset: str
    purchases: int
    # pending (sale not final) | to_settle | settled | to_refund | refunded
    state: str
    paid: str | None
    tokens: str | None
    refund: str | None
    allocation_source: str | None  # indexed (settled/refunded) | chain:allocationOf | None
    schedule: SchedulePublic | None
    indexed_block: int | None


def _participation_public(
    session: Session,
    w3: Web3,
    sale: IndexedSale,
    part: IndexedParticipation,
    now: int,
    block: int | None,
) -> ParticipationPublic:
    status = sale.status(now)
    paid = tokens = refund = None
    source: str | None = None
    schedule = None
    settlement = part.settlement
    if settlement is not None:
        state, source = settlement.kind, "indexed"
        paid, tokens, refund = settlement.paid, settlement.tokens, settlement.refund
        if settlement.schedule_id is not None:
            found = vesting_schedules(
                session=session,
                chain_id=sale.config.chain_id,
                beneficiary=part.buyer,
                schedule_ids={settlement.schedule_id},
                creator=part.launchpad,
            )
            schedule = _schedule_public(found[0], now) if found else None
    elif status == "succeeded":
        state, source = "to_settle", "chain:allocationOf"
        contract = _contract(w3, "Launchpad", part.launchpad)
        paid, tokens, refund = contract.functions.allocationOf(
            part.sale_id, Web3.to_checksum_address(part.buyer)
        ).call()
    elif status in ("failed", "cancelled"):
        state, source = "to_refund", "indexed"
        paid, tokens, refund = 0, 0, part.committed
    else:
        state = "pending"
    return ParticipationPublic(
        chain_id=sale.config.chain_id,
        launchpad=part.launchpad,
        sale_id=part.sale_id,
        buyer=part.buyer,
        sale_status=status,
        committed=str(part.committed),
        guaranteed_cap=str(part.guaranteed_cap),
        lottery_offset=str(part.lottery_offset),
        purchases=part.purchases,
        state=state,
        paid=_opt(paid),
        tokens=_opt(tokens),
        refund=_opt(refund),
        allocation_source=source,
        schedule=schedule,
        indexed_block=block,
    )


@router.get("/launchpad/sales/{sale_id}/participants/{address}", response_model=ParticipationPublic)
def get_participation(
    session: SessionDep,
    w3: Web3Dep,
    sale_id: IdPath,
    address: AddressPath,
    launchpad: ContractQuery = None,
) -> ParticipationPublic:
    """A buyer's participation: committed, what it paid for its allocation (``tokens``), the
    refund, and the vesting schedule its tokens went to (vested, released, claimable)."""
    chain_id = w3.eth.chain_id
    (sale,) = sales(session=session, chain_id=chain_id, launchpad=launchpad, sale_id=sale_id)
    found = participations(
        session=session,
        chain_id=chain_id,
        buyer=address,
        launchpad=sale.config.launchpad,
        sale_id=sale_id,
    )
    if not found:
        raise ParticipationNotFound(
            f"{address.lower()} has no indexed purchase in sale {sale_id}",
            details={"sale_id": sale_id, "buyer": address.lower()},
        )
    return _participation_public(
        session, w3, sale, found[0], _now(w3), indexed_block(session, chain_id)
    )


@router.get("/launchpad/accounts/{address}", response_model=list[ParticipationPublic])
def list_participations(
    session: SessionDep, w3: Web3Dep, address: AddressPath
) -> list[ParticipationPublic]:
    """Every sale the address bought in, oldest first."""
    chain_id = w3.eth.chain_id
    now, block = _now(w3), indexed_block(session, chain_id)
    found = participations(session=session, chain_id=chain_id, buyer=address)
    by_sale = {
        (s.config.launchpad, s.config.sale_id): s for s in sales(session=session, chain_id=chain_id)
    }
    return [
        _participation_public(session, w3, by_sale[(p.launchpad, p.sale_id)], p, now, block)
        for p in found
        if (p.launchpad, p.sale_id) in by_sale
    ]


# ------------------------------------------------------------------------------------- vesting


@router.get("/vesting/{address}", response_model=list[SchedulePublic])
def list_schedules(session: SessionDep, w3: Web3Dep, address: AddressPath) -> list[SchedulePublic]:
    """An address's vesting schedules (sale purchases, team and advisor grants): total,
    released, and vested / claimable at the head block's time."""
    now = _now(w3)
    return [
        _schedule_public(s, now)
        for s in vesting_schedules(session=session, chain_id=w3.eth.chain_id, beneficiary=address)
    ]
