"""The settlement worker: journaled fills to ``Exchange.settle(Match[])`` transactions, to
confirmed ``OrderFilled`` / ``MatchSkipped`` logs, durably and exactly once.

Life of a fill (``relayer_fills.status``)::

    pending --batch--> submitted --receipt at N confirmations--> settled | skipped(reason)
                          |  nonce used by another tx (or the tx reverted)
                          +-------------------------------------> pending (batched again)

Life of a settlement attempt (``relayer_settlements.status``)::

    sent --receipt--> mined --N confirmations--> confirmed, or reverted (status 0: its
     |                  |                           fills back to pending)
     |                  +--receipt gone (reorg)--> dropped, + a new attempt with the same
     |                                             nonce and the same fills
     |--no receipt after replace_after--> replaced, + a new attempt: same nonce and fills,
     |                                    higher fees
     +--its nonce used, at the confirmation depth, by a transaction that is not
        one of its attempts--> dropped (fills back to pending)

Durability: the attempt row (nonce, signed raw transaction, its hash, the fill ids) is
committed before the transaction is broadcast, so after a SIGKILL anywhere the worker knows
every transaction it may have sent and re-broadcasts (the same bytes) or tracks it: nothing
settles twice and nothing is lost.

Exactly once: a fill only ever travels in transactions carrying one nonce (the first attempt,
its fee bumps, its re-submission after a reorg); it is released to another nonce only once that
nonce was consumed on chain by a transaction that does not carry it. Two transactions with one
nonce cannot both be mined, so a fill cannot settle twice. The contract's ``filled`` amounts are
the second line of defence: they reject a repeated match that would exceed an order's quantity
(``MatchSkipped`` 18/19), but not a repeated *partial* fill that still fits, which is why the
nonce rule matters. Run exactly one worker per operator key.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import Nonce, TxParams, TxReceipt, Wei

from relayer.models import (
    FILL_PENDING,
    FILL_SETTLED,
    FILL_SKIPPED,
    FILL_SUBMITTED,
    ORDER_FILLED,
    ORDER_OPEN,
    SETTLEMENT_CONFIRMED,
    SETTLEMENT_DROPPED,
    SETTLEMENT_MINED,
    SETTLEMENT_REPLACED,
    SETTLEMENT_REVERTED,
    SETTLEMENT_SENT,
    RelayerFill,
    RelayerOrder,
    RelayerSettlement,
)
from relayer.onchain import (
    BOOK_STATUSES,
    MarketCache,
    blamed_side,
    correct_order,
    reject_uncovered_orders,
)
from relayer.orders import Order
from tigerex.devchain import dev_accounts, is_dev_key
from tigerex.errors import ConfigurationError, TigerexError
from tigerex.paths import ape_data_folder
from tigerex.settings import Settings

log = logging.getLogger("tigerex.relayer.settlement")

LIVE_SETTLEMENT_STATUSES = (SETTLEMENT_SENT, SETTLEMENT_MINED)
# Gas of a settle() transaction grows by at most this much per match (bench/exchange_gas.py:
# ~101,000 marginal for a match of two fresh orders from fresh accounts); used as a floor when
# transactions are in flight, because estimate_gas runs against the latest block, before them.
GAS_PER_MATCH_CEILING = 130_000
GAS_BASE_CEILING = 60_000
LOG_RANGE = 2_000  # blocks per eth_getLogs of the funds check
FAILPOINT_ENV = "TIGEREX_SETTLEMENT_FAILPOINT"
BPS = 10_000
SKIP_RELAYER_BUG = (2, 5)  # IExchange.SkipReason MarketMismatch .. QuantityZero


# ------------------------------------------------------------------------------------ errors


class SettlementError(TigerexError):
    """Root of the settlement worker's errors."""

    code = "settlement_error"


class SettlementInvariantBroken(SettlementError):
    """The journal and the chain disagree in a way the worker cannot repair by itself."""

    code = "settlement_invariant_broken"
    http_status = 500


class SettlementCallRejected(SettlementError):
    """``settle`` would revert as a whole (paused, operator lacks OPERATOR_ROLE)."""

    code = "settlement_call_rejected"


class FeeCapReached(SettlementError):
    """A fee bump would exceed ``TIGEREX_SETTLEMENT_MAX_FEE_PER_GAS``."""

    code = "settlement_fee_cap_reached"


# ------------------------------------------------------------------------------------ config


class SettlementConfig(BaseSettings):
    """Worker tuning, from ``TIGEREX_SETTLEMENT_*`` environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="TIGEREX_SETTLEMENT_", env_file=".env", extra="ignore"
    )

    max_batch: int = Field(default=16, ge=1, le=256, description="Matches per transaction")
    max_interval: float = Field(
        default=1.0, ge=0, description="Seconds a pending fill waits for a fuller batch"
    )
    max_in_flight: int = Field(
        default=4, ge=1, description="Settlement transactions sent and not yet mined"
    )
    confirmations: int = Field(default=2, ge=1, description="Blocks until a receipt is final")
    poll_interval: float = Field(default=0.25, gt=0, description="Seconds between steps")
    gas_margin_bps: int = Field(default=2_500, ge=0, description="Added to estimate_gas")
    priority_fee: int | None = Field(
        default=None, ge=0, description="Tip in wei; default: the node's eth_maxPriorityFeePerGas"
    )
    max_fee_per_gas: int = Field(
        default=500 * 10**9, gt=0, description="Never pay more than this per gas (wei)"
    )
    replace_after: float = Field(
        default=30.0, gt=0, description="Seconds without a receipt before a fee-bumped replacement"
    )
    fee_bump_bps: int = Field(
        default=1_250, ge=1_000, description="Replacement fee increase (nodes require >= 10%)"
    )
    funds_check_interval: float = Field(
        default=5.0, ge=0, description="Seconds between checks of withdrawals vs open orders"
    )
    operator_account: str | None = Field(
        default=None, description="Ape keystore alias of the operator (else the env key)"
    )


def load_operator(settings: Settings, config: SettlementConfig) -> LocalAccount:
    """The operator key: ``TIGEREX_OPERATOR_PRIVATE_KEY``, else the Ape keystore account
    ``TIGEREX_SETTLEMENT_OPERATOR_ACCOUNT`` (passphrase in ``APE_ACCOUNTS_<alias>_PASSPHRASE``),
    else on the local network Anvil's first dev account (the deployer, which holds
    OPERATOR_ROLE there).

    Raises:
        ConfigurationError: no key, an unreadable keystore, or a dev key outside local.
    """
    if settings.operator_private_key is not None:
        account: LocalAccount = Account.from_key(settings.operator_private_key.get_secret_value())
        return account
    if config.operator_account:
        alias = config.operator_account
        path = ape_data_folder() / "accounts" / f"{alias}.json"
        passphrase = os.environ.get(f"APE_ACCOUNTS_{alias}_PASSPHRASE")
        if not path.is_file():
            raise ConfigurationError(f"no Ape keystore account '{alias}' at {path}")
        if passphrase is None:
            raise ConfigurationError(f"set APE_ACCOUNTS_{alias}_PASSPHRASE to unlock '{alias}'")
        try:
            key = Account.decrypt(path.read_text(), passphrase)
        except ValueError as err:
            raise ConfigurationError(f"cannot unlock keystore account '{alias}': {err}") from err
        if not settings.is_local and is_dev_key(key.hex()):
            raise ConfigurationError(f"keystore account '{alias}' holds a public dev key")
        keystore_account: LocalAccount = Account.from_key(key)
        return keystore_account
    if settings.is_local:
        return dev_accounts()[0]
    raise ConfigurationError(
        "no operator key: set TIGEREX_OPERATOR_PRIVATE_KEY or TIGEREX_SETTLEMENT_OPERATOR_ACCOUNT"
    )


# ---------------------------------------------------------------------------------- helpers


def _failpoint(name: str) -> None:
    """Crash-test hook: dies by SIGKILL at ``name`` when ``TIGEREX_SETTLEMENT_FAILPOINT`` names
    it (tests/relayer/test_settlement_kill.py). Inert otherwise."""
    if os.environ.get(FAILPOINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _age_seconds(moment: datetime | None) -> float:
    if moment is None:
        return float("inf")
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return (_utcnow() - moment).total_seconds()


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _bumped(previous: int, bump_bps: int) -> int:
    return previous + (previous * bump_bps + BPS - 1) // BPS + 1


def order_from_row(row: RelayerOrder) -> Order:
    """The signed ``Order`` of a journaled order row."""
    return Order(
        maker=row.maker,
        market_id=row.market_id,
        is_buy=row.is_buy,
        price_ticks=row.price_ticks,
        quantity_lots=row.quantity_lots,
        expiry=row.expiry,
        salt=row.salt,
        epoch=row.epoch,
        max_fee_bps=row.max_fee_bps,
    )


@dataclass
class StepReport:
    """What one :meth:`SettlementWorker.step` did (ids of settlements and fills, order hashes)."""

    submitted: list[int] = field(default_factory=list)
    mined: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    replaced: list[int] = field(default_factory=list)
    reorged: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    reverted: list[int] = field(default_factory=list)
    settled_fills: list[int] = field(default_factory=list)
    skipped_fills: list[int] = field(default_factory=list)
    corrected_orders: list[str] = field(default_factory=list)
    rejected_orders: list[str] = field(default_factory=list)

    @property
    def idle(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)


# ----------------------------------------------------------------------------------- worker


class SettlementWorker:
    """Settles pending fills of the journal through ``Exchange.settle``.

    ``step()`` does one pass (track receipts, replace stuck or reorged transactions, check
    withdrawals, send new batches); ``run()`` repeats it until stopped, surviving node and
    database outages with a backoff.

    Args:
        w3: A connection to the chain of ``exchange``.
        exchange: The Exchange contract (address + ABI).
        sessions: Session factory of the journal database.
        operator: The key holding OPERATOR_ROLE; signs locally, so the signed transaction and
            its hash are known (and journaled) before anything is broadcast.
        config: Batching, confirmation and fee settings.
        on_orders_changed: Called with the hashes of orders whose row the worker corrected
            (status or matched lots), after the commit, so the relayer can update its books.
    """

    def __init__(
        self,
        *,
        w3: Web3,
        exchange: Contract,
        sessions: sessionmaker[Session],
        operator: LocalAccount,
        config: SettlementConfig | None = None,
        on_orders_changed: Callable[[list[str]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.w3 = w3
        # Batch intervals and the funds-check period are measured on this clock (seconds); a
        # test passes its own so that a slow machine cannot change which batches go out.
        self._clock = clock
        self.exchange = exchange
        self.sessions = sessions
        self.operator = operator
        self.config = config or SettlementConfig()
        self.on_orders_changed = on_orders_changed
        self.chain_id = int(w3.eth.chain_id)
        self.markets = MarketCache(exchange)
        self._pending_since: float | None = None
        self._funds_checked_at = float("-inf")
        self._funds_cursor: int | None = None  # last block whose withdrawals were checked
        self._stop = threading.Event()
        topics = {
            event.event_name: HexBytes(
                Web3.keccak(text=f"{event.event_name}({','.join(_input_types(event.abi))})")
            )
            for event in (
                exchange.events.OrderFilled,
                exchange.events.MatchSkipped,
                exchange.events.WithdrawalRequested,
                exchange.events.Withdrawn,
            )
        }
        self._topic = topics

    @property
    def operator_address(self) -> ChecksumAddress:
        return self.operator.address

    # --------------------------------------------------------------------------- the loop

    def run(self) -> None:
        """Steps until :meth:`stop` (or SIGTERM/SIGINT in the main thread). Errors are logged
        and retried with a backoff up to 10 s: the loop supervises itself."""
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: self._stop.set())
        log.info(
            "settlement worker: operator %s, chain %s, exchange %s, %d confirmation(s)",
            self.operator_address, self.chain_id, self.exchange.address, self.config.confirmations,
        )  # fmt: skip
        delay = self.config.poll_interval
        while not self._stop.is_set():
            try:
                report = self.step()
                delay = self.config.poll_interval
                if not report.idle:
                    log.info("settlement step: %s", _summary(report))
            except Exception:
                log.exception("settlement step failed; retrying in %.1f s", delay)
                delay = min(delay * 2, 10.0)
            self._stop.wait(delay)

    def stop(self) -> None:
        self._stop.set()

    def step(self, *, flush: bool = False) -> StepReport:
        """One pass. ``flush`` sends a partial batch without waiting ``max_interval``."""
        report = StepReport()
        with self.sessions() as session:
            self._track(session, report)
            now = self._clock()
            if now - self._funds_checked_at >= self.config.funds_check_interval:
                self._check_funds(session, report)
                self._funds_checked_at = now
            self._submit(session, report, flush=flush)
        changed = sorted(set(report.corrected_orders) | set(report.rejected_orders))
        if changed and self.on_orders_changed is not None:
            self.on_orders_changed(changed)
        return report

    # ---------------------------------------------------------------------- submitting

    def _submit(self, session: Session, report: StepReport, *, flush: bool) -> None:
        while self._in_flight(session) < self.config.max_in_flight:
            fills = session.scalars(
                select(RelayerFill)
                .join(RelayerOrder, RelayerOrder.order_hash == RelayerFill.maker_order_hash)
                .where(RelayerFill.status == FILL_PENDING, *self._this_exchange())
                .order_by(RelayerFill.id)
                .limit(self.config.max_batch)
            ).all()
            if not fills:
                self._pending_since = None
                return
            now = self._clock()
            if self._pending_since is None:
                self._pending_since = now
            waited = now - self._pending_since
            full = len(fills) >= self.config.max_batch
            if not (full or flush or waited >= self.config.max_interval):
                return
            self._send_batch(session, list(fills), report)
            if not full:
                self._pending_since = None  # every pending fill went out
            # else the rest keeps its waiting time: it goes out as soon as it is due.

    def _this_exchange(self) -> tuple[Any, ...]:
        """Journal rows of this chain and exchange (a database may serve several)."""
        return (
            RelayerOrder.chain_id == self.chain_id,
            func.lower(RelayerOrder.exchange) == self.exchange.address.lower(),
        )

    def _in_flight(self, session: Session) -> int:
        return int(
            session.scalar(
                select(func.count())
                .select_from(RelayerSettlement)
                .where(
                    RelayerSettlement.chain_id == self.chain_id,
                    RelayerSettlement.operator == self.operator_address,
                    RelayerSettlement.status == SETTLEMENT_SENT,
                )
            )
            or 0
        )

    def _matches(self, session: Session, fills: Sequence[RelayerFill]) -> list[tuple[Any, ...]]:
        matches = []
        for fill in fills:
            maker = session.get(RelayerOrder, fill.maker_order_hash)
            taker = session.get(RelayerOrder, fill.taker_order_hash)
            if maker is None or taker is None:
                raise SettlementInvariantBroken(f"fill {fill.id} refers to an unknown order")
            matches.append(
                (
                    order_from_row(maker).as_tuple(),
                    HexBytes(maker.signature),
                    order_from_row(taker).as_tuple(),
                    HexBytes(taker.signature),
                    fill.quantity_lots,
                )
            )
        return matches

    def _gas_limit(self, session: Session, matches: list[tuple[Any, ...]]) -> int:
        try:
            estimate = int(
                self.exchange.functions.settle(matches).estimate_gas(
                    {"from": self.operator_address}
                )
            )
        except ContractLogicError as err:
            raise SettlementCallRejected(
                f"settle() would revert: {err} (paused, or the operator lacks OPERATOR_ROLE?)"
            ) from err
        gas = estimate + estimate * self.config.gas_margin_bps // BPS
        if self._in_flight(session):
            # The estimate ran before the in-flight transactions: a match it saw skip may fill.
            gas = max(gas, GAS_BASE_CEILING + GAS_PER_MATCH_CEILING * len(matches))
        block_limit = int(self.w3.eth.get_block("latest")["gasLimit"])
        return min(gas, block_limit * 9 // 10)

    def _send_batch(self, session: Session, fills: list[RelayerFill], report: StepReport) -> None:
        matches = self._matches(session, fills)
        gas = self._gas_limit(session, matches)
        nonce = self._allocate_nonce(session)
        max_fee, tip = self._fees(session, nonce)
        row = RelayerSettlement(
            chain_id=self.chain_id,
            operator=self.operator_address,
            nonce=nonce,
            status=SETTLEMENT_SENT,
            fill_ids=json.dumps([fill.id for fill in fills]),
        )
        self._sign_into(row, matches, gas=gas, max_fee=max_fee, tip=tip)
        session.add(row)
        session.flush()
        ids = [fill.id for fill in fills]
        claimed = session.execute(
            update(RelayerFill)
            .where(RelayerFill.id.in_(ids), RelayerFill.status == FILL_PENDING)
            .values(status=FILL_SUBMITTED, settlement_id=row.id)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if claimed != len(ids):
            session.rollback()
            raise SettlementInvariantBroken(
                f"fills {ids} changed while being batched ({claimed} still pending)"
            )
        session.commit()  # durable before anything leaves the process
        _failpoint("after_commit_before_broadcast")
        self._broadcast(session, row)
        _failpoint("after_broadcast")
        report.submitted.append(row.id)
        log.info(
            "settlement %d: %d match(es), nonce %d, tx %s", row.id, len(ids), nonce, row.tx_hash
        )

    def _sign_into(
        self,
        row: RelayerSettlement,
        matches: list[tuple[Any, ...]],
        *,
        gas: int,
        max_fee: int,
        tip: int,
    ) -> None:
        tx = self.exchange.functions.settle(matches).build_transaction(
            TxParams(
                {
                    "from": self.operator_address,
                    "chainId": self.chain_id,
                    "nonce": Nonce(row.nonce),
                    "gas": gas,
                    "maxFeePerGas": Wei(max_fee),
                    "maxPriorityFeePerGas": Wei(tip),
                }
            )
        )
        signed = self.operator.sign_transaction(cast(dict[str, Any], tx))
        row.raw_tx = _hex(signed.raw_transaction)
        row.tx_hash = _hex(signed.hash)
        row.gas_limit = gas
        row.max_fee_per_gas = max_fee
        row.max_priority_fee_per_gas = tip
        row.sent_at = _utcnow()

    def _broadcast(self, session: Session, row: RelayerSettlement) -> None:
        """Sends the journaled raw transaction; the same bytes every time, so a repeat is
        harmless. Errors are recorded; the tracker resolves them (nonce used, underpriced)."""
        assert row.raw_tx is not None
        try:
            self.w3.eth.send_raw_transaction(HexBytes(row.raw_tx))
            error = None
        except (Web3RPCError, ValueError) as err:
            message = str(err)
            error = None if "already known" in message.lower() else message[:500]
            if error:
                log.warning("settlement %d: broadcast refused: %s", row.id, error)
        if error != row.error:
            row.error = error
            session.commit()

    # ------------------------------------------------------------------- nonce and fees

    def _allocate_nonce(self, session: Session) -> int:
        """The lowest nonce at or above the chain's that no live attempt holds. Re-used nonces
        (after a drop) are replacements by construction; nonces held by someone else's pending
        transactions (the node's pending count) are stepped over."""
        latest = self.w3.eth.get_transaction_count(self.operator_address, "latest")
        pending = self.w3.eth.get_transaction_count(self.operator_address, "pending")
        rows = session.execute(
            select(RelayerSettlement.nonce, RelayerSettlement.status).where(
                RelayerSettlement.chain_id == self.chain_id,
                RelayerSettlement.operator == self.operator_address,
                RelayerSettlement.nonce >= latest,
            )
        ).all()
        live = {nonce for nonce, status in rows if status in LIVE_SETTLEMENT_STATUSES}
        ours = {nonce for nonce, _ in rows}
        nonce = int(latest)
        while nonce in live or (nonce < pending and nonce not in ours):
            nonce += 1
        return nonce

    def _fees(self, session: Session, nonce: int) -> tuple[int, int]:
        """EIP-1559 fees: ``2 * baseFee + tip``, and at least a ``fee_bump_bps`` bump over any
        earlier attempt with this nonce (which a node may still hold)."""
        block = self.w3.eth.get_block("latest")
        base_fee = int(block.get("baseFeePerGas", 0) or 0)
        tip = self.config.priority_fee
        if tip is None:
            tip = int(self.w3.eth.max_priority_fee)
        max_fee = 2 * base_fee + tip
        previous = session.execute(
            select(
                func.max(RelayerSettlement.max_fee_per_gas),
                func.max(RelayerSettlement.max_priority_fee_per_gas),
            ).where(
                RelayerSettlement.chain_id == self.chain_id,
                RelayerSettlement.operator == self.operator_address,
                RelayerSettlement.nonce == nonce,
            )
        ).one()
        if previous[0] is not None:
            max_fee = max(max_fee, _bumped(int(previous[0]), self.config.fee_bump_bps))
            tip = max(tip, _bumped(int(previous[1] or 0), self.config.fee_bump_bps))
        cap = self.config.max_fee_per_gas
        if max_fee > cap:
            if previous[0] is not None:
                raise FeeCapReached(
                    f"replacing nonce {nonce} needs maxFeePerGas {max_fee} > cap {cap}",
                    details={"nonce": nonce, "needed": max_fee, "cap": cap},
                )
            max_fee = cap
        return max_fee, min(tip, max_fee)

    # -------------------------------------------------------------------------- tracking

    def _live_rows(self, session: Session) -> list[RelayerSettlement]:
        return list(
            session.scalars(
                select(RelayerSettlement)
                .where(
                    RelayerSettlement.chain_id == self.chain_id,
                    RelayerSettlement.operator == self.operator_address,
                    RelayerSettlement.status.in_(LIVE_SETTLEMENT_STATUSES),
                )
                .order_by(RelayerSettlement.nonce, RelayerSettlement.id)
            ).all()
        )

    def _track(self, session: Session, report: StepReport) -> None:
        rows = self._live_rows(session)
        if not rows:
            return
        head = self.w3.eth.block_number
        latest_nonce = self.w3.eth.get_transaction_count(self.operator_address, head)
        # Nonces used at the confirmation depth: only these may release fills to another nonce
        # (a nonce used in a block that is still reorg-able may come back).
        depth_block = max(0, head - self.config.confirmations + 1)
        final_nonce = self.w3.eth.get_transaction_count(self.operator_address, depth_block)
        for row in rows:
            if row.status == SETTLEMENT_SENT:
                self._track_sent(session, row, latest_nonce, final_nonce, report)
            if row.status == SETTLEMENT_MINED:  # also one just mined: 1 confirmation is final now
                self._track_mined(session, row, head, report)
            _failpoint("before_track_commit")
            session.commit()

    def _receipt(self, tx_hash: str | None) -> TxReceipt | None:
        if tx_hash is None:
            return None
        try:
            return self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        except TransactionNotFound:
            return None

    def _node_knows(self, tx_hash: str | None) -> bool:
        if tx_hash is None:
            return False
        try:
            self.w3.eth.get_transaction(HexBytes(tx_hash))
            return True
        except TransactionNotFound:
            return False

    def _siblings(self, session: Session, row: RelayerSettlement) -> list[RelayerSettlement]:
        """Every other attempt with the same nonce (fee bumps, re-submissions)."""
        return list(
            session.scalars(
                select(RelayerSettlement).where(
                    RelayerSettlement.chain_id == row.chain_id,
                    RelayerSettlement.operator == row.operator,
                    RelayerSettlement.nonce == row.nonce,
                    RelayerSettlement.id != row.id,
                )
            ).all()
        )

    def _track_sent(
        self,
        session: Session,
        row: RelayerSettlement,
        latest_nonce: int,
        final_nonce: int,
        report: StepReport,
    ) -> None:
        receipt = self._receipt(row.tx_hash)
        if receipt is not None:
            self._mark_mined(session, row, receipt, report)
            return
        if row.nonce < latest_nonce:
            # The nonce is used, and not by this attempt: by an earlier attempt of the same
            # batch, or by a transaction that is not ours (then the fills go back to pending,
            # once that is final).
            for sibling in self._siblings(session, row):
                sibling_receipt = self._receipt(sibling.tx_hash)
                if sibling_receipt is not None:
                    self._mark_mined(session, sibling, sibling_receipt, report)
                    return
            if row.nonce >= final_nonce:
                return  # not final yet: wait for the confirmation depth
            row.status = SETTLEMENT_DROPPED
            self._release_fills(session, row)
            report.dropped.append(row.id)
            log.warning("settlement %d: nonce %d used by another transaction", row.id, row.nonce)
            return
        if _age_seconds(row.sent_at) >= self.config.replace_after:
            self._replace(session, row, SETTLEMENT_REPLACED, report)
        elif not self._node_knows(row.tx_hash):
            # Journaled but never broadcast (killed in between), or evicted by the node.
            log.info("settlement %d: not known to the node, re-broadcasting", row.id)
            self._broadcast(session, row)

    def _mark_mined(
        self, session: Session, row: RelayerSettlement, receipt: TxReceipt, report: StepReport
    ) -> None:
        row.status = SETTLEMENT_MINED
        row.block_number = int(receipt["blockNumber"])
        row.block_hash = _hex(receipt["blockHash"])
        row.gas_used = int(receipt["gasUsed"])
        report.mined.append(row.id)
        ids = json.loads(row.fill_ids)
        for sibling in self._siblings(session, row):
            if sibling.status in LIVE_SETTLEMENT_STATUSES:
                sibling.status = SETTLEMENT_REPLACED
            # Fills of a sibling that this transaction does not carry go back to pending.
            self._release_fills(session, sibling, keep=ids)
        session.execute(
            update(RelayerFill)
            .where(RelayerFill.id.in_(ids), RelayerFill.status.in_((FILL_PENDING, FILL_SUBMITTED)))
            .values(status=FILL_SUBMITTED, settlement_id=row.id)
            .execution_options(synchronize_session=False)
        )

    def _release_fills(
        self, session: Session, row: RelayerSettlement, keep: Sequence[int] = ()
    ) -> None:
        session.execute(
            update(RelayerFill)
            .where(
                RelayerFill.settlement_id == row.id,
                RelayerFill.status == FILL_SUBMITTED,
                RelayerFill.id.not_in(list(keep)),
            )
            .values(status=FILL_PENDING, settlement_id=None)
            .execution_options(synchronize_session=False)
        )

    def _track_mined(
        self, session: Session, row: RelayerSettlement, head: int, report: StepReport
    ) -> None:
        receipt = self._receipt(row.tx_hash)
        if receipt is None:
            report.reorged.append(row.id)
            log.warning("settlement %d: block %s reorged out", row.id, row.block_number)
            row.block_number = row.block_hash = row.gas_used = None
            if self._node_knows(row.tx_hash):
                row.status = SETTLEMENT_SENT  # back in the pool: it will be mined again
                row.sent_at = _utcnow()
            else:
                # Re-submit the same fills under the same nonce (never another nonce: the old
                # transaction could still be re-broadcast by a peer).
                self._replace(session, row, SETTLEMENT_DROPPED, report)
            return
        block_hash = _hex(receipt["blockHash"])
        if block_hash != row.block_hash:
            log.warning("settlement %d: re-mined in block %s", row.id, receipt["blockNumber"])
            row.block_number = int(receipt["blockNumber"])
            row.block_hash = block_hash
            row.gas_used = int(receipt["gasUsed"])
        if head - int(receipt["blockNumber"]) + 1 >= self.config.confirmations:
            self._finalize(session, row, receipt, report)

    def _replace(
        self, session: Session, row: RelayerSettlement, old_status: str, report: StepReport
    ) -> None:
        """A new attempt with the same nonce and fills and bumped fees; committed before it is
        broadcast, like every attempt."""
        ids = json.loads(row.fill_ids)
        fills = [session.get(RelayerFill, fill_id) for fill_id in ids]
        if any(fill is None for fill in fills):
            raise SettlementInvariantBroken(f"settlement {row.id} names unknown fills {ids}")
        matches = self._matches(session, cast(list[RelayerFill], fills))
        try:
            max_fee, tip = self._fees(session, row.nonce)
        except FeeCapReached as err:
            log.error("settlement %d: %s; waiting", row.id, err.message)
            return
        new = RelayerSettlement(
            chain_id=row.chain_id,
            operator=row.operator,
            nonce=row.nonce,
            status=SETTLEMENT_SENT,
            fill_ids=row.fill_ids,
            replaces_id=row.id,
        )
        gas = row.gas_limit or self._gas_limit(session, matches)
        self._sign_into(new, matches, gas=gas, max_fee=max_fee, tip=tip)
        row.status = old_status
        session.add(new)
        session.flush()
        session.execute(
            update(RelayerFill)
            .where(RelayerFill.id.in_(ids), RelayerFill.status.in_((FILL_PENDING, FILL_SUBMITTED)))
            .values(status=FILL_SUBMITTED, settlement_id=new.id)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        _failpoint("after_replace_commit")
        self._broadcast(session, new)
        report.replaced.append(row.id)
        log.info(
            "settlement %d -> %d: nonce %d %s, maxFeePerGas %d",
            row.id, new.id, row.nonce, old_status, max_fee,
        )  # fmt: skip

    # ------------------------------------------------------------------------ finalizing

    def _finalize(
        self, session: Session, row: RelayerSettlement, receipt: TxReceipt, report: StepReport
    ) -> None:
        """At the confirmation depth: each fill settled or skipped from the receipt's logs (one
        ``OrderFilled`` or ``MatchSkipped`` per match, in order), the orders' settled lots, and
        the corrections a skip calls for. One database transaction."""
        if int(receipt["status"]) != 1:
            row.status = SETTLEMENT_REVERTED
            self._release_fills(session, row)
            report.reverted.append(row.id)
            log.error("settlement %d: transaction %s reverted", row.id, row.tx_hash)
            return
        outcomes = self._outcomes(receipt)
        ids = json.loads(row.fill_ids)
        if len(outcomes) != len(ids):
            raise SettlementInvariantBroken(
                f"settlement {row.id}: {len(ids)} matches but {len(outcomes)} outcome logs"
            )
        skipped: list[tuple[RelayerFill, int]] = []
        for fill_id, (name, args) in zip(ids, outcomes, strict=True):
            fill = session.get(RelayerFill, fill_id, populate_existing=True)
            assert fill is not None
            pair = (_hex(args["makerOrderHash"]), _hex(args["takerOrderHash"]))
            if pair != (fill.maker_order_hash.lower(), fill.taker_order_hash.lower()):
                raise SettlementInvariantBroken(
                    f"settlement {row.id}: log for {pair} where fill {fill.id} was expected"
                )
            if name == "OrderFilled":
                fill.status = FILL_SETTLED
                fill.skip_reason = None
                for digest in pair:
                    self._add_settled(session, digest, fill.quantity_lots)
                report.settled_fills.append(fill.id)
            else:
                fill.status = FILL_SKIPPED
                fill.skip_reason = int(args["reason"])
                skipped.append((fill, fill.skip_reason))
                report.skipped_fills.append(fill.id)
            fill.settlement_id = row.id
        row.status = SETTLEMENT_CONFIRMED
        session.flush()
        for fill, reason in skipped:
            if SKIP_RELAYER_BUG[0] <= reason <= SKIP_RELAYER_BUG[1]:
                # Mismatched markets, same sides, prices not crossing, zero lots: the engine
                # or the journal is wrong, not the chain.
                log.error("fill %d skipped on chain, reason %d: a relayer bug", fill.id, reason)
            else:
                log.warning("fill %d skipped on chain, reason %d", fill.id, reason)
            side = blamed_side(reason)
            for role, digest in (
                ("maker", fill.maker_order_hash),
                ("taker", fill.taker_order_hash),
            ):
                order = session.get(RelayerOrder, digest, populate_existing=True)
                if order is None:
                    continue
                blamed = reason if side == role or reason == 1 else None
                if correct_order(session, self.exchange, order, self.markets, blamed_reason=blamed):
                    report.corrected_orders.append(digest)
        report.confirmed.append(row.id)
        log.info(
            "settlement %d confirmed: %d settled, %d skipped", row.id,
            len(ids) - len(skipped), len(skipped),
        )  # fmt: skip

    def _outcomes(self, receipt: TxReceipt) -> list[tuple[str, Any]]:
        wanted = {
            self._topic["OrderFilled"]: self.exchange.events.OrderFilled(),
            self._topic["MatchSkipped"]: self.exchange.events.MatchSkipped(),
        }
        outcomes = []
        for entry in receipt["logs"]:
            if entry["address"].lower() != self.exchange.address.lower() or not entry["topics"]:
                continue
            event = wanted.get(HexBytes(entry["topics"][0]))
            if event is None:
                continue
            decoded = event.process_log(entry)
            outcomes.append((decoded["event"], decoded["args"]))
        return outcomes

    def _add_settled(self, session: Session, digest: str, lots: int) -> None:
        session.execute(
            update(RelayerOrder)
            .where(RelayerOrder.order_hash == digest)
            .values(settled_lots=RelayerOrder.settled_lots + lots)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(RelayerOrder)
            .where(
                RelayerOrder.order_hash == digest,
                RelayerOrder.status == ORDER_OPEN,
                RelayerOrder.settled_lots >= RelayerOrder.quantity_lots,
            )
            .values(status=ORDER_FILLED)
            .execution_options(synchronize_session=False)
        )

    # ---------------------------------------------------------------------- funds check

    def _check_funds(self, session: Session, report: StepReport) -> None:
        """Rejects open orders that withdrawals left uncovered. The first check after start
        covers every maker with open orders (withdrawals while the worker was down); later
        ones only the accounts with a ``WithdrawalRequested``/``Withdrawn`` since."""
        head = self.w3.eth.block_number
        if self._funds_cursor is None:
            makers = set(
                session.scalars(
                    select(RelayerOrder.maker)
                    .where(RelayerOrder.status.in_(BOOK_STATUSES), *self._this_exchange())
                    .distinct()
                ).all()
            )
        else:
            makers = self._withdrawing_accounts(self._funds_cursor + 1, head)
        for maker in sorted(makers):
            rejected = reject_uncovered_orders(session, self.exchange, maker, self.markets)
            if rejected:
                log.warning("maker %s: %d open order(s) rejected, funds left", maker, len(rejected))
                report.rejected_orders.extend(rejected)
        session.commit()
        self._funds_cursor = head

    def check_maker_funds(self, maker: str) -> list[str]:
        """Rejects ``maker``'s open orders their vault no longer covers (for the relayer
        service, on a ``WithdrawalRequested``); returns the rejected hashes, committed."""
        with self.sessions() as session:
            rejected = reject_uncovered_orders(session, self.exchange, maker, self.markets)
            session.commit()
        return rejected

    def _withdrawing_accounts(self, from_block: int, to_block: int) -> set[str]:
        accounts: set[str] = set()
        topics = [[self._topic["WithdrawalRequested"], self._topic["Withdrawn"]]]
        start = from_block
        while start <= to_block:
            end = min(to_block, start + LOG_RANGE - 1)
            for entry in self.w3.eth.get_logs(
                {
                    "address": self.exchange.address,
                    "fromBlock": start,
                    "toBlock": end,
                    "topics": topics,
                }
            ):
                accounts.add(Web3.to_checksum_address(bytes(entry["topics"][2])[-20:]))
            start = end + 1
        return accounts


def _input_types(abi: Any) -> list[str]:
    return [str(item["type"]) for item in abi["inputs"]]


def _summary(report: StepReport) -> str:
    return ", ".join(f"{name} {len(value)}" for name, value in vars(report).items() if value)


# ------------------------------------------------------------------------------ entry point


def require_journal(engine: Engine) -> None:
    """Raises ConfigurationError unless the journal tables, with the worker's columns, exist."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    try:
        inspector = inspect(engine)
        for table in (RelayerOrder, RelayerFill, RelayerSettlement):
            name = table.__tablename__
            if not inspector.has_table(name):
                raise ConfigurationError(
                    f"no table {name} in the database: run `tigerex db upgrade`",
                    details={"table": name},
                )
            present = {column["name"] for column in inspector.get_columns(name)}
            missing = sorted(set(table.__table__.columns.keys()) - present)
            if missing:
                raise ConfigurationError(
                    f"table {name} lacks the columns {', '.join(missing)}: "
                    "run `tigerex db upgrade`",
                    details={"table": name, "missing": missing},
                )
    except SQLAlchemyError as err:
        raise ConfigurationError(f"cannot read the database: {err}") from err


def build_worker(settings: Settings, config: SettlementConfig | None = None) -> SettlementWorker:
    """A worker for ``settings``: node, ``deployments/<network>.json``'s Exchange, database.

    Raises:
        ChainUnreachable, ChainIdMismatch, DeploymentNotFound, ConfigurationError.
    """
    from tigerex.chain import connect
    from tigerex.db import make_engine, session_factory
    from tigerex.deployments import ContractRegistry

    config = config or SettlementConfig()
    w3 = connect(
        settings.rpc_url, expected_chain_id=settings.chain_id, timeout=settings.rpc_timeout
    )
    registry = ContractRegistry.from_file(w3, settings.deployments_file)
    registry.verify()
    exchange = registry.contract("Exchange")
    engine = make_engine(settings.database)
    require_journal(engine)
    operator = load_operator(settings, config)
    role = exchange.functions.OPERATOR_ROLE().call()
    if not exchange.functions.hasRole(role, operator.address).call():
        raise ConfigurationError(
            f"the operator {operator.address} lacks OPERATOR_ROLE on the Exchange at "
            f"{exchange.address}: grant it (TIGEREX_OPERATOR_ADDRESS at deploy) or use its key",
            details={"operator": operator.address, "exchange": exchange.address},
        )
    return SettlementWorker(
        w3=w3,
        exchange=exchange,
        sessions=session_factory(engine),
        operator=operator,
        config=config,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m relayer.settlement [--once]``: the worker as a process."""
    import argparse

    from tigerex.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m relayer.settlement", description=__doc__)
    parser.add_argument("--once", action="store_true", help="one step (flushing), then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        worker = build_worker(get_settings())
    except TigerexError as err:
        print(f"error[{err.code}]: {err.message}")
        return 1
    if args.once:
        print(_summary(worker.step(flush=True)) or "idle")
        return 0
    worker.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
