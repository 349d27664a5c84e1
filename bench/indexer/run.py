"""Indexer benchmark: one command, figures on stdout and in bench/results/indexer.json.

    .venv/bin/python bench/indexer/run.py                 # 200,000 events (the goal's size)
    .venv/bin/python bench/indexer/run.py --events 20000  # quick iteration

Needs PostgreSQL for the PostgreSQL figures: ``--postgres URL`` or ``TIGEREX_TEST_DATABASE_URL``
(a server URL; a fresh database is created and dropped). Without it only SQLite is measured.

What it does, all on a local Anvil started here:

1. deploys ``contracts/bench/EventEmitter.sol`` (benchmark-only, not in the deploy suite) and
   makes it emit ``--events`` ERC-20-shaped Transfer events, ``--per-tx`` per transaction
   (automine: one block per transaction);
2. cold backfill of all of them, into a fresh PostgreSQL database and into a fresh SQLite
   file: wall time, events/s, blocks/s, and where the time goes (node reads, decode -> map,
   database writes). Every event is written to ``indexer_events``, its two accounts to
   ``indexer_event_accounts``, a ``token_transfers`` row, and the balances are updated;
3. head lag with 1 s blocks and a steady load (a transaction of ``--lag-per-tx`` events every
   0.5 s) for ``--lag-seconds``, sampled every 0.1 s;
4. time from a reorg (revert + a longer branch mined at once) to a corrected database, at
   depths 5 and 64.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from indexer.config import ChainConfig, ContractConfig  # noqa: E402
from indexer.engine import ChainIndexer  # noqa: E402
from indexer.models import EVENTS  # noqa: E402
from tigerex.db import make_engine, migrate, normalize_url  # noqa: E402
from tigerex.devchain import dev_accounts  # noqa: E402
from tigerex.node import AnvilNode  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "indexer.json"
GOALS = {"postgresql_events_per_second": 20_000, "head_lag_blocks_beyond_confirmations": 1}
ANCHOR = "Envio: ~9,300 events/s backfilling 5.4M Uniswap v3 events (published benchmark)"
HOLDERS = 1_000
CONFIRMATIONS = 1


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def artifact() -> dict[str, Any]:
    manifest = ROOT / ".build" / "__local__.json"
    types = json.loads(manifest.read_text()).get("contractTypes", {}) if manifest.exists() else {}
    if "EventEmitter" not in types:
        log("compiling (EventEmitter is not in the build yet)")
        subprocess.run(
            [str(Path(sys.executable).with_name("ape")), "compile"], cwd=ROOT, check=True
        )
        types = json.loads(manifest.read_text())["contractTypes"]
    return dict(types["EventEmitter"])


class Chain:
    """Raw JSON-RPC helpers against the benchmark's Anvil."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.Client(timeout=60)
        self.sender = dev_accounts()[0].address

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        body = self.client.post(
            self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
        ).json()
        if "error" in body:
            raise RuntimeError(f"{method}: {body['error']}")
        return body["result"]

    def deploy(self, bytecode: str) -> tuple[str, int]:
        tx = self.call("eth_sendTransaction", [{"from": self.sender, "data": bytecode}])
        receipt = self.call("eth_getTransactionReceipt", [tx])
        while receipt is None:  # interval mining: wait for the block
            time.sleep(0.1)
            receipt = self.call("eth_getTransactionReceipt", [tx])
        return receipt["contractAddress"].lower(), int(receipt["blockNumber"], 16)

    def emit(self, address: str, count: int, seed: int, wait: bool = False) -> None:
        # emitTransfers(uint256,uint256,uint256): selector + three words.
        data = "0x" + SELECTOR + "".join(f"{v:064x}" for v in (count, seed, HOLDERS))
        gas = hex(60_000 + count * 3_000)
        tx = self.call(
            "eth_sendTransaction", [{"from": self.sender, "to": address, "data": data, "gas": gas}]
        )
        while wait and self.call("eth_getTransactionReceipt", [tx]) is None:
            time.sleep(0.01)

    def head(self) -> tuple[int, str]:
        block = self.call("eth_getBlockByNumber", ["latest", False])
        return int(block["number"], 16), block["hash"]


SELECTOR = ""


def emitter_config(url: str, address: str, start: int, abi: list[dict[str, Any]]) -> ChainConfig:
    contract = ContractConfig.build(
        name="Emitter",
        contract_type="EventEmitter",
        address=address,
        abi=abi,
        start_block=start,
        interfaces=frozenset({"ERC20"}),  # Transfer-shaped: exercise the token handler too
    )
    return ChainConfig(
        chain_id=31337,
        network="bench",
        rpc_url=url,
        contracts=(contract,),
        confirmations=CONFIRMATIONS,
        poll_interval=0.1,
        initial_range=100,
        max_range=20_000,
        rpc_timeout=60.0,
    )


def fresh_postgres(admin_url: str) -> tuple[str, str]:
    name = f"tigerex_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(normalize_url(admin_url)).set(database=name).render_as_string(False), name


def drop_postgres(admin_url: str, name: str) -> None:
    engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def backfill(url: str, config: ChainConfig, events: int) -> dict[str, Any]:
    migrate(url)
    engine = make_engine(url)
    indexer = ChainIndexer(config, engine)
    started = time.perf_counter()
    stats = indexer.run(follow=False)
    elapsed = time.perf_counter() - started
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(EVENTS)).scalar_one()
    engine.dispose()
    blocks = stats.indexed_block - config.start_block + 1
    assert stored == stats.events_total >= events, (stored, stats.events_total, events)
    return {
        "events": stored,
        "blocks": blocks,
        "seconds": round(elapsed, 2),
        "events_per_second": round(stored / elapsed),
        "blocks_per_second": round(blocks / elapsed, 1),
        "phase_seconds": {k: round(v, 2) for k, v in indexer.timings.items()},
        "final_range": indexer.range,
    }


def head_lag(
    args: argparse.Namespace, db_url: str, bytecode: str, abi: list[Any]
) -> dict[str, Any]:
    with AnvilNode(block_time=1) as node:
        chain = Chain(node.url)
        address, start = chain.deploy(bytecode)
        while chain.head()[0] < start:
            time.sleep(0.1)
        migrate(db_url)
        engine = make_engine(db_url)
        indexer = ChainIndexer(emitter_config(node.url, address, start, abi), engine)
        stop = threading.Event()
        runner = threading.Thread(target=lambda: indexer.run(follow=True, stop=stop), daemon=True)

        def load() -> None:
            seed = 1
            while not stop.is_set():
                chain.emit(address, args.lag_per_tx, seed)
                seed += 1
                stop.wait(0.5)

        loader = threading.Thread(target=load, daemon=True)
        runner.start()
        loader.start()
        time.sleep(3)  # warm-up: first blocks, connection set-up
        samples: list[int] = []
        deadline = time.monotonic() + args.lag_seconds
        probe = httpx.Client(timeout=5)
        while time.monotonic() < deadline:
            head = int(
                probe.post(
                    node.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}
                ).json()["result"],
                16,
            )
            samples.append(max(0, head - indexer.cp_block))
            time.sleep(0.1)
        stop.set()
        runner.join(10)
        loader.join(5)
        engine.dispose()
        events = indexer.events_total
    samples.sort()
    return {
        "block_time_seconds": 1,
        "events_per_block": args.lag_per_tx * 2,
        "seconds": args.lag_seconds,
        "samples": len(samples),
        "events_indexed": events,
        "lag_blocks_mean": round(statistics.mean(samples), 3),
        "lag_blocks_p95": samples[int(len(samples) * 0.95) - 1],
        "lag_blocks_max": samples[-1],
        "confirmations": CONFIRMATIONS,
        "note": "lag = head - last indexed block; rows are final CONFIRMATIONS blocks later",
    }


def reorg_times(
    db_url: str, chain: Chain, config: ChainConfig, address: str
) -> list[dict[str, Any]]:
    engine = make_engine(db_url)
    indexer = ChainIndexer(replace(config, poll_interval=0.05), engine)
    stop = threading.Event()
    runner = threading.Thread(target=lambda: indexer.run(follow=True, stop=stop), daemon=True)
    runner.start()
    out = []

    def wait_caught_up(timeout: float = 120) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            number, block_hash = chain.head()
            if indexer.cp_block == number and indexer.cp_hash == block_hash:
                return time.perf_counter()
            time.sleep(0.002)
        raise RuntimeError("indexer did not catch up")

    wait_caught_up()
    for depth in (5, 64):
        snapshot = chain.call("evm_snapshot")
        for n in range(depth):
            chain.emit(address, 100, 10_000 + n, wait=True)
        wait_caught_up()
        before = indexer.reorgs_total
        chain.call("evm_revert", [snapshot])
        for n in range(depth + 1):
            chain.emit(address, 100, 20_000 + n, wait=True)
        mined = time.perf_counter()
        done = wait_caught_up()
        assert indexer.reorgs_total == before + 1
        out.append(
            {
                "depth": depth,
                "events_rolled_back": depth * 100,
                "events_reindexed": (depth + 1) * 100,
                "seconds_to_corrected_db": round(done - mined, 3),
            }
        )
        log(f"reorg depth {depth}: corrected in {done - mined:.3f} s")
    stop.set()
    runner.join(10)
    engine.dispose()
    return out


def main() -> None:
    global SELECTOR
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--per-tx", type=int, default=200, help="events per transaction/block")
    parser.add_argument("--postgres", default=os.environ.get("TIGEREX_TEST_DATABASE_URL"))
    parser.add_argument("--lag-seconds", type=float, default=20.0)
    parser.add_argument("--lag-per-tx", type=int, default=100)
    args = parser.parse_args()

    from eth_utils import keccak

    SELECTOR = keccak(text="emitTransfers(uint256,uint256,uint256)").hex()[:8]
    art = artifact()
    bytecode, abi = art["deploymentBytecode"]["bytecode"], art["abi"]
    results: dict[str, Any] = {
        "conditions": {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), "
            f"{platform.system()}",
            "python": platform.python_version(),
            "node": "Anvil (local, same machine), HTTP JSON-RPC",
            "events": args.events,
            "events_per_block": args.per_tx,
            "event": "Transfer(address indexed, address indexed, uint256), 1,000 recipients",
            "writes_per_event": "indexer_events + 1-2 indexer_event_accounts + token_transfers "
            "rows, token_balances upserts per batch; checkpoint in the same transaction",
            "postgresql": "local server, default settings",
            "sqlite": "file, WAL, synchronous=NORMAL",
        },
        "goals": GOALS,
        "anchor": ANCHOR,
    }
    with AnvilNode(extra_args=["--gas-limit", "100000000"]) as node:
        chain = Chain(node.url)
        address, start = chain.deploy(bytecode)
        log(f"generating {args.events:,} events ({args.per_tx} per tx) on {node.url}")
        started = time.perf_counter()
        sent = 0
        seed = 1
        while sent < args.events:
            count = min(args.per_tx, args.events - sent)
            chain.emit(address, count, seed, wait=(sent + count >= args.events))
            sent += count
            seed += 1
        results["generation_seconds"] = round(time.perf_counter() - started, 1)
        log(f"generated in {results['generation_seconds']} s; head {chain.head()[0]}")
        config = emitter_config(node.url, address, start, abi)

        if args.postgres:
            pg_url, pg_name = fresh_postgres(args.postgres)
            try:
                log("cold backfill into PostgreSQL")
                results["postgresql"] = backfill(pg_url, config, args.events)
                log(json.dumps(results["postgresql"]))
                with tempfile.TemporaryDirectory() as tmp:
                    log("cold backfill into SQLite")
                    results["sqlite"] = backfill(f"sqlite:///{tmp}/bench.db", config, args.events)
                    log(json.dumps(results["sqlite"]))
                log("reorg recovery (PostgreSQL)")
                results["reorg"] = reorg_times(pg_url, chain, config, address)
                results["reorg_database"] = "postgresql"
            finally:
                drop_postgres(args.postgres, pg_name)
        else:
            log("PostgreSQL skipped: pass --postgres or set TIGEREX_TEST_DATABASE_URL")
            with tempfile.TemporaryDirectory() as tmp:
                log("cold backfill into SQLite")
                results["sqlite"] = backfill(f"sqlite:///{tmp}/bench.db", config, args.events)
                log(json.dumps(results["sqlite"]))
                results["reorg"] = reorg_times(f"sqlite:///{tmp}/bench.db", chain, config, address)
                results["reorg_database"] = "sqlite"

    log(f"head lag: 1 s blocks, {args.lag_per_tx} events per 0.5 s, {args.lag_seconds:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            pg_url, pg_name = fresh_postgres(args.postgres)
            try:
                results["head_lag"] = head_lag(args, pg_url, bytecode, abi)
                results["head_lag"]["database"] = "postgresql"
            finally:
                drop_postgres(args.postgres, pg_name)
        else:
            results["head_lag"] = head_lag(args, f"sqlite:///{tmp}/lag.db", bytecode, abi)
            results["head_lag"]["database"] = "sqlite"

    pg = results.get("postgresql", {}).get("events_per_second")
    results["verdict"] = {
        "postgresql_events_per_second_goal_met": bool(
            pg and pg >= GOALS["postgresql_events_per_second"]
        ),
        "head_lag_goal_met": results["head_lag"]["lag_blocks_max"]
        <= GOALS["head_lag_blocks_beyond_confirmations"],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    log(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
