"""The indexing engine: backfill over adaptive ranges, then follow the head, reorg-safe.

One ``ChainIndexer`` per chain. Each step reads one block range and writes everything it
produced (events, domain rows, derived state, block hashes) *and the checkpoint* in one
database transaction, so the database is always a prefix of the chain as of some block: a kill
at any moment loses at most the step in flight, which the next run reads again.

Consistency with the chain, per step ``[a, b]`` after checkpoint ``(c, hash_c)``:

1. headers of ``a`` and ``b`` are read; ``a.parentHash`` must be ``hash_c``, else the chain
   reorganised under the checkpoint: find the fork point and roll back;
2. ``eth_getLogs(a..b)``; then header ``b`` is read again and must be unchanged, and every log
   of blocks ``a`` and ``b`` must carry those blocks' hashes, else the range is read again (a
   reorg happened during the read);
3. at the head with nothing new, the checkpoint's hash is compared with the chain's.

The fork point is the highest block whose stored hash (``indexer_blocks``: every block with
logs and every range end, for the last ``reorg_window`` blocks) still matches the chain; no
match (a reorg deeper than the window, or a restarted dev chain) re-indexes the chain from its
start block.

Contracts created at run time (``FactoryChildren`` in the config, Ponder's factory pattern) are
followed from the block of their creation log. Each range is read in two passes: the logs of
the static contracts and of every child known before the range; then, if that read holds
creation logs, the new children's logs from their creation block to the range's end, merged
into the same batch. A child is known to the engine exactly when its creation row
(``indexer_children``) is committed: it is written with the range, rolled back with it, and
read back by ``open`` after a restart.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update

from indexer.config import ChainConfig, ContractConfig, FactorySpec
from indexer.decoder import DecodeError, EventDecoder, decoders_for, json_safe
from indexer.errors import RangeTooLarge, RpcError
from indexer.handlers import Batch, Event, HandlerRegistry, load_handlers
from indexer.models import BLOCKS, CHECKPOINTS, CHILDREN, EVENT_ACCOUNTS, EVENTS
from indexer.rpc import RpcClient
from indexer.store import insert_new, rollback_after, upsert, wipe_chain
from tigerex.errors import ChainIdMismatch

log = logging.getLogger(__name__)

# Grow the range while a read takes less than this; halve it when one takes more than SLOW_READ.
FAST_READ = 1.0
SLOW_READ = 4.0
MAX_LOGS_PER_READ = 50_000
PROBE_AFTER = 50
ZERO_ADDRESS = "0x" + "0" * 40


@dataclass
class ChainStats:
    """Live figures for progress bars and the status API."""

    chain_id: int
    network: str
    start_block: int
    indexed_block: int
    head_block: int
    finalized_block: int
    events_total: int
    unknown_total: int
    reorgs_total: int
    events_per_second: float
    blocks_per_second: float
    range_size: int

    @property
    def lag(self) -> int:
        """Blocks between the head and the last indexed block."""
        return max(0, self.head_block - self.indexed_block)


ProgressCallback = Callable[[ChainStats], None]


class _Rate:
    """Events and blocks per second over the last ``window`` seconds."""

    def __init__(self, window: float = 10.0) -> None:
        self.window = window
        self.samples: deque[tuple[float, int, int]] = deque()

    def add(self, events: int, blocks: int) -> None:
        now = time.monotonic()
        self.samples.append((now, events, blocks))
        while self.samples and now - self.samples[0][0] > self.window:
            self.samples.popleft()

    def rates(self, since: float) -> tuple[float, float]:
        if not self.samples:
            return 0.0, 0.0
        elapsed = max(time.monotonic() - max(since, self.samples[0][0] - 0.001), 1e-3)
        events = sum(s[1] for s in self.samples)
        blocks = sum(s[2] for s in self.samples)
        return events / elapsed, blocks / elapsed


class ChainIndexer:
    """Indexes one chain into one database.

    Args:
        config: The chain.
        engine: The database (migrated to head).
        registry: Handlers (default: every built-in handler module).
        rpc: A client (default: one for ``config.rpc_url``).
        progress: Called after every committed step.
        pipeline: During a backfill, read and decode the next range in a thread while the
            current one is written (the database works on another core meanwhile).
    """

    def __init__(
        self,
        config: ChainConfig,
        engine: Engine,
        *,
        registry: HandlerRegistry | None = None,
        rpc: RpcClient | None = None,
        progress: ProgressCallback | None = None,
        pipeline: bool = True,
    ) -> None:
        self.config = config
        self.pipeline = pipeline
        self.engine = engine
        self.registry = registry or load_handlers()
        self.rpc = rpc or RpcClient(
            config.rpc_url, timeout=config.rpc_timeout, max_attempts=config.max_attempts
        )
        self.progress = progress
        self.addresses = sorted(c.address for c in config.contracts)
        self.by_address: dict[str, ContractConfig] = {c.address: c for c in config.contracts}
        self.decoders: dict[str, dict[str, EventDecoder]] = {
            c.address: decoders_for(c) for c in config.contracts
        }
        # Factory children: creation events by (factory address, topic0); the children followed
        # so far (exactly those whose creation row is committed); one decoder table per type.
        self.factories: dict[tuple[str, str], FactorySpec] = {
            (f.factory.address, f.topic0): f for f in config.factories
        }
        self.child_specs: dict[str, FactorySpec] = {}
        for spec in config.factories:
            self.child_specs.setdefault(spec.child_type, spec)
        self.child_decoders: dict[str, dict[str, EventDecoder]] = {
            t: decoders_for(spec.child(ZERO_ADDRESS, 0)) for t, spec in self.child_specs.items()
        }
        self.children: dict[str, ContractConfig] = {}
        self.range = max(config.min_range, min(config.initial_range, config.max_range))
        self.cp_block = config.start_block - 1
        self.cp_hash: str | None = None
        self.head = 0
        self.events_total = 0
        self.unknown_total = 0
        self.reorgs_total = 0
        self.started = time.monotonic()
        self._rate = _Rate()
        self._range_failures = 0
        # Seconds spent per phase (reading the node, decode -> map, database writes): what
        # limits a backfill, reported by the benchmark.
        self.timings: dict[str, float] = {"rpc": 0.0, "process": 0.0, "write": 0.0}
        # A range the node refused is not asked for again soon: grow only up to the ceiling,
        # which is raised again (probed) after PROBE_AFTER good reads at it.
        self.ceiling = config.max_range
        self._reads_at_ceiling = 0

    # ------------------------------------------------------------------ checkpoint handling

    @property
    def finalized(self) -> int:
        """The last block deep enough to count as final."""
        return max(self.config.start_block - 1, self.head - self.config.confirmations)

    def _hash_of(self, number: int) -> str | None:
        if number < 0:
            return None
        header = self.rpc.headers([number])[0]
        return None if header is None else str(header["hash"])

    def open(self) -> None:
        """Check the node, then load the checkpoint or create it (wiping stale rows).

        Raises:
            ChainIdMismatch: The node serves another chain than the config's.
            RpcError: The node does not answer.
        """
        actual = self.rpc.chain_id()
        if actual != self.config.chain_id:
            raise ChainIdMismatch(
                expected=self.config.chain_id, actual=actual, source=f"{self.config.network} config"
            )
        self.head = self.rpc.block_number()
        cp = CHECKPOINTS
        with self.engine.begin() as conn:
            row = conn.execute(select(cp).where(cp.c.chain_id == self.config.chain_id)).first()
            if row is not None and row.fingerprint == self.config.fingerprint():
                self.cp_block, self.cp_hash = row.block_number, row.block_hash
                self.events_total, self.unknown_total = row.events_total, row.unknown_total
                self.reorgs_total = row.reorgs_total
                self._load_children(conn)
                return
            if row is not None:
                log.warning(
                    "chain %s: the followed contracts changed; indexing again from block %s",
                    self.config.chain_id,
                    self.config.start_block,
                )
            self._reset(conn, fresh=row is None)

    def _reset(self, conn: Any, *, fresh: bool) -> None:
        """Empty the chain's rows and put the checkpoint just before the start block."""
        wipe_chain(
            conn,
            self.config.chain_id,
            [*self.registry.event_tables, *self.registry.state_tables],
        )
        self.cp_block = self.config.start_block - 1
        self.cp_hash = self._hash_of(self.cp_block)
        self.events_total = self.unknown_total = 0
        self.children = {}
        values = {
            "network": self.config.network,
            "fingerprint": self.config.fingerprint(),
            "start_block": self.config.start_block,
            "block_number": self.cp_block,
            "block_hash": self.cp_hash,
            "head_block": self.head,
            "finalized_block": self.finalized,
            "confirmations": self.config.confirmations,
            "events_total": 0,
            "unknown_total": 0,
            "reorgs_total": self.reorgs_total,
            "events_per_second": 0.0,
        }
        cp = CHECKPOINTS
        if fresh:
            upsert(
                conn,
                cp,
                [{"chain_id": self.config.chain_id, **values}],
                ["chain_id"],
                list(values),
            )
        else:
            conn.execute(update(cp).where(cp.c.chain_id == self.config.chain_id).values(**values))
        if self.cp_hash is not None:
            upsert(
                conn,
                BLOCKS,
                [{"chain_id": self.config.chain_id, "number": self.cp_block, "hash": self.cp_hash}],
                ["chain_id", "number"],
                ["hash"],
            )

    # ------------------------------------------------------------------------------ reorgs

    def handle_reorg(self) -> int:
        """Find the fork point, roll the rows after it back, move the checkpoint there.

        Returns:
            The depth rolled back (blocks).
        """
        blocks = BLOCKS
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(blocks.c.number, blocks.c.hash)
                .where(blocks.c.chain_id == self.config.chain_id)
                .order_by(blocks.c.number.desc())
            ).all()
        fork: tuple[int, str] | None = None
        for start in range(0, len(stored), 100):
            chunk = stored[start : start + 100]
            headers = self.rpc.headers([n for n, _ in chunk])
            for (number, known), header in zip(chunk, headers, strict=True):
                if header is not None and header["hash"] == known:
                    fork = (number, known)
                    break
            if fork is not None:
                break
        old = self.cp_block
        if fork is not None and fork[0] == old:
            return 0  # the chain changed only above the checkpoint: nothing indexed is stale
        self.reorgs_total += 1
        with self.engine.begin() as conn:
            if fork is None:
                log.warning(
                    "chain %s: no stored block hash matches the chain (reorg deeper than the "
                    "%s-block window, or the node was reset): indexing again from block %s",
                    self.config.chain_id,
                    self.config.reorg_window,
                    self.config.start_block,
                )
                self._reset(conn, fresh=False)
                return old - self.cp_block
            deleted, unknown = rollback_after(
                conn,
                self.config.chain_id,
                fork[0],
                self.registry.event_tables,
                self.registry.reducers,
            )
            self.cp_block, self.cp_hash = fork
            self.events_total -= deleted
            self.unknown_total -= unknown
            self._write_checkpoint(conn)
            # Children created after the fork point were deleted with their creation rows.
            self._load_children(conn)
        log.warning(
            "chain %s: reorg, rolled back %s blocks (%s events) to block %s",
            self.config.chain_id,
            old - fork[0],
            deleted,
            fork[0],
        )
        return old - fork[0]

    # ------------------------------------------------------------------- factory children

    def _load_children(self, conn: Any) -> None:
        """Follow exactly the children whose creation rows are in the database."""
        table = CHILDREN
        rows = conn.execute(
            select(table)
            .where(table.c.chain_id == self.config.chain_id)
            .order_by(table.c.block_number, table.c.log_index)
        ).all()
        self.children = {}
        self._adopt(self.children, [dict(r._mapping) for r in rows])

    def _adopt(self, children: dict[str, ContractConfig], rows: list[dict[str, Any]]) -> None:
        """Add the children of creation ``rows`` (in chain order) to ``children``; an address
        created twice keeps its first creation block."""
        for row in rows:
            spec = self.child_specs.get(row["contract_type"])
            if spec is not None and row["address"] not in children:
                children[row["address"]] = spec.child(row["address"], row["block_number"])

    def _creations(
        self, logs: list[dict[str, Any]], children: dict[str, ContractConfig]
    ) -> tuple[dict[str, ContractConfig], list[dict[str, Any]]]:
        """The factory creation logs among ``logs``.

        Args:
            logs: Raw logs of one range, in chain order.
            children: The children known before the range.

        Returns:
            The children not known yet (address -> config), and one ``indexer_children`` row per
            creation log.
        """
        found: dict[str, ContractConfig] = {}
        rows: list[dict[str, Any]] = []
        if not self.factories:
            return found, rows
        for raw in logs:
            topics = raw.get("topics") or []
            spec = self.factories.get((raw["address"].lower(), topics[0])) if topics else None
            if spec is None:
                continue
            decoder = self.decoders[spec.factory.address][spec.topic0]
            try:
                args = decoder.decode(topics, raw.get("data") or "0x")
            except DecodeError:
                continue  # stored raw and counted by ``process`` like any undecodable log
            address = str(args[spec.argument]).lower()
            if address in self.by_address:
                continue  # a static contract is followed from its deploy block already
            block_number = int(raw["blockNumber"], 16)
            rows.append(
                {
                    "chain_id": self.config.chain_id,
                    "tx_hash": raw["transactionHash"],
                    "log_index": int(raw["logIndex"], 16),
                    "block_number": block_number,
                    "block_hash": raw["blockHash"],
                    "address": address,
                    "contract_type": spec.child_type,
                    "factory": spec.factory.address,
                }
            )
            if address not in children and address not in found:
                found[address] = spec.child(address, block_number)
        return found, rows

    # -------------------------------------------------------------------------------- steps

    def _write_checkpoint(self, conn: Any) -> None:
        cp = CHECKPOINTS
        eps, _ = self._rate.rates(self.started)
        conn.execute(
            update(cp)
            .where(cp.c.chain_id == self.config.chain_id)
            .values(
                block_number=self.cp_block,
                block_hash=self.cp_hash,
                head_block=self.head,
                finalized_block=min(self.finalized, self.cp_block),
                confirmations=self.config.confirmations,
                events_total=self.events_total,
                unknown_total=self.unknown_total,
                reorgs_total=self.reorgs_total,
                events_per_second=round(eps, 1),
            )
        )

    def process(
        self, logs: list[dict[str, Any]], children: dict[str, ContractConfig] | None = None
    ) -> Batch:
        """Decode -> map: turn raw logs into the rows of one batch (no I/O).

        Args:
            logs: Logs as returned by ``eth_getLogs``.
            children: Factory children to decode besides the static contracts (default: the
                ones followed so far).

        Returns:
            The batch; undecodable logs are kept raw and counted in ``batch.unknown``.
        """
        batch = Batch()
        chain_id = self.config.chain_id
        events, accounts = batch.events, batch.accounts
        handlers_for = self.registry.handlers_for
        by_address = self.by_address
        children = self.children if children is None else children
        for raw in logs:
            address = raw["address"].lower()
            contract = by_address.get(address) or children.get(address)
            topics: list[str] = raw.get("topics") or []
            block_number = int(raw["blockNumber"], 16)
            log_index = int(raw["logIndex"], 16)
            row = {
                "chain_id": chain_id,
                "tx_hash": raw["transactionHash"],
                "log_index": log_index,
                "block_number": block_number,
                "block_hash": raw["blockHash"],
                "tx_index": int(raw["transactionIndex"], 16),
                "address": address,
                "contract": contract.name if contract else None,
                "event": None,
                "args": None,
                "topics": None,
                "data": None,
            }
            events.append(row)
            table = self.decoders.get(address)
            if table is None and contract is not None:
                table = self.child_decoders.get(contract.contract_type)
            decoder = table.get(topics[0]) if table and topics else None
            args: dict[str, Any] | None = None
            if decoder is not None and contract is not None:
                try:
                    args = decoder.decode(topics, raw.get("data") or "0x")
                except DecodeError as err:
                    log.debug("undecodable log %s:%s: %s", raw["transactionHash"], log_index, err)
            if args is None or decoder is None or contract is None:
                # Unknown event or data that does not fit its ABI: stored raw, counted, skipped.
                row["topics"] = topics
                row["data"] = raw.get("data") or "0x"
                batch.unknown += 1
                continue
            row["event"] = decoder.name
            row["args"] = {k: json_safe(v) for k, v in args.items()}
            seen: set[str] = {ZERO_ADDRESS}  # 0x0 (mints, burns) is nobody's account
            for position in decoder.address_args:
                account = args[decoder.names[position]]
                if account not in seen:
                    seen.add(account)
                    accounts.append(
                        {
                            "chain_id": chain_id,
                            "account": account,
                            "block_number": block_number,
                            "log_index": log_index,
                            "tx_hash": raw["transactionHash"],
                        }
                    )
            handlers = handlers_for(contract, decoder.name)
            if handlers:
                event = Event(
                    chain_id=chain_id,
                    block_number=block_number,
                    block_hash=raw["blockHash"],
                    tx_hash=raw["transactionHash"],
                    tx_index=row["tx_index"],
                    log_index=log_index,
                    address=address,
                    contract=contract,
                    name=decoder.name,
                    args=args,
                )
                for handler in handlers:
                    handler(event, batch)
        return batch

    def write(self, batch: Batch, to_block: int, to_hash: str, hashes: dict[int, str]) -> None:
        """Write a batch and move the checkpoint to ``(to_block, to_hash)``: one transaction.

        Args:
            batch: The rows.
            to_block: The range's last block.
            to_hash: Its hash.
            hashes: Block hashes to remember for reorg detection.
        """
        chain_id = self.config.chain_id
        with self.engine.begin() as conn:
            # Nothing past the checkpoint can exist (it moves with the rows), but if anything
            # does (a manual edit, an older version), undo it so this range is written once.
            rollback_after(
                conn, chain_id, self.cp_block, self.registry.event_tables, self.registry.reducers
            )
            insert_new(conn, EVENTS, batch.events)
            insert_new(conn, EVENT_ACCOUNTS, batch.accounts)
            insert_new(conn, CHILDREN, batch.children)
            for table, rows in batch.tables.items():
                insert_new(conn, table, rows)
                for reducer in self.registry.reducers.get(table, []):
                    reducer(conn, chain_id, rows, +1)
            blocks = BLOCKS
            upsert(
                conn,
                blocks,
                [{"chain_id": chain_id, "number": n, "hash": h} for n, h in sorted(hashes.items())],
                ["chain_id", "number"],
                ["hash"],
            )
            keep_from = to_block - self.config.reorg_window
            conn.execute(
                blocks.delete().where(blocks.c.chain_id == chain_id, blocks.c.number < keep_from)
            )
            self.cp_block, self.cp_hash = to_block, to_hash
            self.events_total += len(batch.events)
            self.unknown_total += batch.unknown
            self._write_checkpoint(conn)
        # Committed: from the next range on, these children's logs are read with the rest.
        self._adopt(self.children, batch.children)

    def step(self) -> bool:
        """Index the next range, or check the tip when there is none.

        Returns:
            True when something happened (rows written, a reorg handled, a range to retry);
            False when the index is at the head and the head has not moved.

        Raises:
            RpcError: The node failed every retry.
        """
        self.head = self.rpc.block_number()
        if self.cp_block >= self.head:
            if self.cp_block < 0:
                return False
            current = self._hash_of(self.cp_block)
            if current != self.cp_hash:
                self.handle_reorg()
                return True
            return False
        if self.pipeline and self.head - self.cp_block > 2 * self.range:
            self._pipelined(self.head)
            return True
        result = self._read(self.cp_block, self.cp_hash, self.head, self.children)
        if result is None:
            return True  # range refused or the chain moved during the read: read again
        if result[0] == "reorg":
            self.handle_reorg()
            return True
        batch, last, last_hash, hashes, n_logs, n_blocks = result[1]
        writing = time.monotonic()
        self.write(batch, last, last_hash, hashes)
        self.timings["write"] += time.monotonic() - writing
        self._rate.add(n_logs, n_blocks)
        if self.progress is not None:
            self.progress(self.stats())
        return True

    def _read(
        self,
        cp_block: int,
        cp_hash: str | None,
        target: int,
        children: dict[str, ContractConfig],
    ) -> tuple[str, Any] | None:
        """Read and decode the range after ``(cp_block, cp_hash)``, up to ``target``.

        ``children`` are the factory children known after ``cp_block``; children created in
        the range are found in the first read and their logs read in a second one (from their
        creation block), so the range's batch holds their events too.

        Returns:
            ``("batch", (batch, last, last_hash, hashes, n_logs, n_blocks))``, ``("reorg", None)``
            when the chain no longer extends ``cp_hash``, or None to try again (range refused,
            chain moved during the read).
        """
        started = time.monotonic()
        first = cp_block + 1
        last = min(target, cp_block + self.range)
        numbers = [first] if first == last else [first, last]
        headers = self.rpc.headers(numbers)
        if any(h is None for h in headers):
            return ("reorg", None)
        head_first, head_last = headers[0], headers[-1]
        assert head_first is not None and head_last is not None
        if cp_hash is not None and head_first["parentHash"] != cp_hash:
            return ("reorg", None)
        read_started = time.monotonic()
        try:
            logs = self.rpc.get_logs([*self.addresses, *sorted(children)], first, last)
            found, creations = self._creations(logs, children)
            if found:
                since = min(c.start_block for c in found.values())
                late = self.rpc.get_logs(sorted(found), since, last)
                logs.extend(
                    lg
                    for lg in late
                    if int(lg["blockNumber"], 16) >= found[lg["address"].lower()].start_block
                )
                logs.sort(key=lambda lg: (int(lg["blockNumber"], 16), int(lg["logIndex"], 16)))
                children = {**children, **found}
        except RangeTooLarge as err:
            self._shrink(err)
            return None
        elapsed = time.monotonic() - read_started
        self._range_failures = 0
        again = self.rpc.headers([last])[0]
        expected = {first: head_first["hash"], last: head_last["hash"]}
        seen: dict[str, str] = {}  # two reads must agree on every block they both saw
        if (
            again is None
            or again["hash"] != head_last["hash"]
            or any(
                expected.get(int(lg["blockNumber"], 16), lg["blockHash"]) != lg["blockHash"]
                or seen.setdefault(lg["blockNumber"], lg["blockHash"]) != lg["blockHash"]
                for lg in logs
            )
        ):
            return None
        self._adapt(last - first + 1, elapsed, len(logs))
        processing = time.monotonic()
        self.timings["rpc"] += processing - started
        batch = self.process(logs, children)
        batch.children = creations
        hashes = {int(lg["blockNumber"], 16): lg["blockHash"] for lg in logs}
        hashes[first] = head_first["hash"]
        hashes[last] = head_last["hash"]
        self.timings["process"] += time.monotonic() - processing
        return ("batch", (batch, last, head_last["hash"], hashes, len(logs), last - first + 1))

    def _pipelined(self, target: int) -> None:
        """Backfill to ``target`` with reading+decoding in a thread, writing here, in order.

        The reader checks each range against the previous range's hash exactly as ``step``
        checks against the checkpoint; when the chain no longer extends what was read it stops,
        and ``step`` (sequential) then finds the fork point and rolls back.
        """
        items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2)
        halt = threading.Event()

        def reader() -> None:
            # The reader runs ahead of the writer: it tracks the children its own reads found,
            # while ``self.children`` follows what is committed.
            cp_block, cp_hash, children = self.cp_block, self.cp_hash, dict(self.children)
            try:
                while cp_block < target and not halt.is_set():
                    result = self._read(cp_block, cp_hash, target, children)
                    if result is None:
                        continue
                    if result[0] == "reorg":
                        break
                    batch, last, last_hash, *_rest = result[1]
                    cp_block, cp_hash = last, last_hash
                    self._adopt(children, batch.children)
                    while not halt.is_set():
                        try:
                            items.put(result, timeout=0.2)
                            break
                        except queue.Full:
                            continue
                items.put(("end", None))
            except BaseException as err:  # handed to the writer, which raises it
                items.put(("error", err))

        thread = threading.Thread(target=reader, name="indexer-reader", daemon=True)
        thread.start()
        try:
            while True:
                kind, payload = items.get()
                if kind == "end":
                    break
                if kind == "error":
                    raise payload
                batch, last, last_hash, hashes, n_logs, n_blocks = payload
                writing = time.monotonic()
                self.write(batch, last, last_hash, hashes)
                self.timings["write"] += time.monotonic() - writing
                self._rate.add(n_logs, n_blocks)
                if self.progress is not None:
                    self.progress(self.stats())
        finally:
            halt.set()
            thread.join(30)

    def _shrink(self, err: RangeTooLarge) -> None:
        size = err.to_block - err.from_block + 1
        if size <= self.config.min_range:
            # One block refused: not a range problem. Back off like any other RPC failure.
            self._range_failures += 1
            if self._range_failures >= max(self.config.max_attempts, 1):
                raise RpcError(
                    "eth_getLogs", err.message, attempts=self._range_failures, url=self.rpc.url
                )
            time.sleep(min(5.0, 0.05 * 2**self._range_failures))
            return
        self.range = max(self.config.min_range, size // 2)
        if not err.timed_out:
            # An explicit refusal is the node's limit; a timeout may be a passing stall, so it
            # halves the range without capping its growth.
            self.ceiling = min(self.ceiling, self.range)
            self._reads_at_ceiling = 0
        log.info(
            "chain %s: range %s refused (%s); now %s blocks",
            self.config.chain_id,
            size,
            err.details.get("reason"),
            self.range,
        )

    def _adapt(self, size: int, elapsed: float, logs: int) -> None:
        if elapsed > SLOW_READ or logs > MAX_LOGS_PER_READ:
            self.range = max(self.config.min_range, size // 2)
        elif elapsed < FAST_READ and size >= self.range and logs < MAX_LOGS_PER_READ // 2:
            if self.range >= self.ceiling:
                self._reads_at_ceiling += 1
                if self._reads_at_ceiling >= PROBE_AFTER:
                    self.ceiling = min(self.config.max_range, self.ceiling * 2)
                    self._reads_at_ceiling = 0
            self.range = min(self.config.max_range, self.ceiling, self.range * 2)

    def stats(self) -> ChainStats:
        """The current figures.

        Returns:
            A snapshot of the chain's progress.
        """
        eps, bps = self._rate.rates(self.started)
        return ChainStats(
            chain_id=self.config.chain_id,
            network=self.config.network,
            start_block=self.config.start_block,
            indexed_block=self.cp_block,
            head_block=self.head,
            finalized_block=min(self.finalized, self.cp_block),
            events_total=self.events_total,
            unknown_total=self.unknown_total,
            reorgs_total=self.reorgs_total,
            events_per_second=eps,
            blocks_per_second=bps,
            range_size=self.range,
        )

    def run(self, *, follow: bool = False, stop: threading.Event | None = None) -> ChainStats:
        """Backfill to the head, then (``follow``) keep following it until ``stop`` is set.

        Args:
            follow: Keep polling the head after catching up.
            stop: Set it to end the run after the current step.

        Returns:
            The final figures.

        Raises:
            RpcError: Without ``follow``, the node failed every retry. With ``follow`` the
                indexer waits and tries again instead.
            ChainIdMismatch: The node serves another chain.
        """
        stop = stop or threading.Event()
        self.open()
        failures = 0
        while not stop.is_set():
            try:
                progressed = self.step()
                failures = 0
            except RpcError as err:
                if not follow:
                    raise
                failures += 1
                delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                log.error("chain %s: %s; trying again in %.0f s", self.config.chain_id, err, delay)
                stop.wait(delay)
                continue
            if not progressed:
                if not follow:
                    break
                self._touch()
                stop.wait(self.config.poll_interval)
        return self.stats()

    def _touch(self) -> None:
        """At the head: refresh the head and finality figures of the status API."""
        cp = CHECKPOINTS
        eps, _ = self._rate.rates(self.started)
        with self.engine.begin() as conn:
            conn.execute(
                update(cp)
                .where(cp.c.chain_id == self.config.chain_id)
                .values(
                    head_block=self.head,
                    finalized_block=min(self.finalized, self.cp_block),
                    events_per_second=round(eps, 1),
                )
            )


def run_chains(
    configs: list[ChainConfig],
    engine: Engine,
    *,
    follow: bool = False,
    stop: threading.Event | None = None,
    progress: ProgressCallback | None = None,
) -> list[ChainStats]:
    """Index several chains at once (one thread each; the database serialises the writes).

    Args:
        configs: The chains.
        engine: The database.
        follow: Keep following the heads.
        stop: Set to stop every chain.
        progress: Called after every committed step of any chain.

    Returns:
        Each chain's final figures.

    Raises:
        IndexerError: The first chain's failure, after the others were stopped.
    """
    stop = stop or threading.Event()
    indexers = [ChainIndexer(c, engine, progress=progress) for c in configs]
    if len(indexers) == 1:
        return [indexers[0].run(follow=follow, stop=stop)]
    results: list[ChainStats | None] = [None] * len(indexers)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = indexers[i].run(follow=follow, stop=stop)
        except BaseException as err:
            errors.append(err)
            stop.set()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(indexers))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except KeyboardInterrupt:
        stop.set()
        for t in threads:
            t.join(10)
        raise
    if errors:
        raise errors[0]
    return [r for r in results if r is not None]
