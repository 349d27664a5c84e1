"""Relayer intake: signed orders accepted end to end over HTTP, with full validation.

    .venv/bin/python bench/relayer_intake.py          # ~1-2 minutes, writes bench/results/
                                                      # relayer_intake.json
    .venv/bin/python bench/relayer_intake.py --quick    # a few seconds per phase (shows it works)

Set-up (not timed): a fresh Anvil, the suite deployed, a fresh SQLite journal (or
``--database-url``), eight makers with vault deposits, and the relayer as a real uvicorn
subprocess (``tigerex.api:create_app``, as ``tigerex up`` runs it) with rate limits off. Orders
are signed and JSON-encoded before the clock starts, so the figures are the server's: parsing,
EIP-712 hash, ECDSA recovery (low s), market/grid/expiry/fee checks, the on-chain state (whether
the order was filled or cancelled on chain, from the Exchange's events the relayer follows, with
a ``filled``/``cancelled`` read for a hash they name; epochs and vault balances through the
cache), the duplicate check, the funds check against reservations, the journal commit, and
matching. ``TIGEREX_RELAYER_ORDER_STATE_FROM_EVENTS=false`` in the environment makes the relayer
read ``filled``/``cancelled`` for every order instead (one node round trip per request).

Phases:
1. batch endpoint: ``POST /relayer/orders`` with ``--batch`` orders per request, two clients;
2. single endpoint: ``POST /relayer/order``, ``--connections`` concurrent clients;
3. latency at a fixed arrival rate (open loop, ``--rate`` orders/s on the single endpoint):
   each latency is measured from the order's scheduled send time, so a stall counts in full;
4. signature recovery alone (in this process, same code path as the relayer).

Each phase also reports the CPU milliseconds per order of the relayer process and of the node
(from ``/proc``): the figure to compare across runs when the machine is shared.

Orders alternate makers and sides around a mid price without crossing (bids below, asks
above), so every order rests and the book grows, as intake does when makers quote.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "relayer_intake.json"
GOALS = {"batch_orders_per_s": 5_000, "p99_ack_ms_at_500_per_s": 20.0}
MAKERS = 8
PRICE = 200_000


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process and all its threads (Linux ``/proc``), else None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _CpuMeter:
    """CPU milliseconds per order of the relayer and the node over one phase: unlike
    throughput and latency, CPU per order hardly moves when other work shares the machine."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = pids
        self.start = {name: _cpu_seconds(pid) for name, pid in pids.items()}

    def per_order(self, orders: int) -> dict[str, float | None]:
        figures: dict[str, float | None] = {}
        for name, pid in self.pids.items():
            before, after = self.start[name], _cpu_seconds(pid)
            figures[f"{name}_cpu_ms_per_order"] = (
                round(1000 * (after - before) / orders, 3)
                if before is not None and after is not None and orders
                else None
            )
        return figures


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _setup(
    database_url: str | None, work: Path
) -> tuple[object, str, subprocess.Popen[bytes], list]:
    from tigerex.chain import connect
    from tigerex.cli import run_deploy
    from tigerex.db import migrate
    from tigerex.deployments import ContractRegistry, DeploymentsFile
    from tigerex.devchain import dev_accounts
    from tigerex.node import AnvilNode, free_port
    from tigerex.process import spawn

    anvil = AnvilNode(log_file=work / "anvil.log")
    anvil.start()
    path = run_deploy(anvil.url, deployment="local", deployments_dir=work / "deployments")
    w3 = connect(anvil.url)
    suite = ContractRegistry(w3, DeploymentsFile.load(path))
    exchange = suite.contract("Exchange")
    makers = dev_accounts()[1 : 1 + MAKERS]
    for index, account in enumerate(makers):
        token = suite.contract("tWETH" if index % 2 else "tUSDC")
        amount = token.functions.balanceOf(account.address).call()
        for call in (
            token.functions.approve(exchange.address, amount),
            exchange.functions.deposit(token.address, amount),
        ):
            w3.eth.wait_for_transaction_receipt(call.transact({"from": account.address}))
    url = database_url or f"sqlite:///{work / 'relayer.db'}"
    migrate(url)
    port = free_port()
    env = {
        **os.environ,
        "TIGEREX_NETWORK": "local",
        "TIGEREX_RPC_URL": anvil.url,
        "TIGEREX_CHAIN_ID": str(anvil.chain_id),
        "TIGEREX_DEPLOYMENTS_DIR": str(work / "deployments"),
        "TIGEREX_DATABASE_URL": url,
        "TIGEREX_RELAYER_RATE_LIMIT_ENABLED": "false",
        "TIGEREX_RELAYER_MAX_BATCH": "5000",
    }
    proc = spawn(
        [sys.executable, "-m", "uvicorn", "tigerex.api:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=(work / "relayer.log").open("ab"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/relayer/markets", timeout=1).status_code == 200:
                return anvil, base, proc, makers
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("relayer did not start; see " + str(work / "relayer.log"))


class OrderFactory:
    """Pre-signed order bodies (JSON dicts), never crossing."""

    def __init__(self, base: str, makers: list) -> None:
        from relayer.client import RelayerClient

        self.client = RelayerClient(base)
        self.makers = makers
        self.count = 0

    def bodies(self, n: int) -> list[dict]:
        from relayer.orders import sign_order

        domain = self.client.domain()["order"]["domain"]
        chain_id, exchange = domain["chainId"], domain["verifyingContract"]
        out = []
        for _ in range(n):
            self.count += 1
            index = self.count % len(self.makers)
            account = self.makers[index]
            is_buy = index % 2 == 0  # even makers hold tUSDC, odd ones tWETH
            offset = 1 + self.count % 100
            order = self.client.build_order(
                account.address,
                market_id=1,
                is_buy=is_buy,
                price_ticks=PRICE - offset if is_buy else PRICE + offset,
                quantity_lots=1,
                salt=self.count,
            )
            signature = sign_order(order, account.key, chain_id, exchange)
            out.append(self.client.order_body(order, signature))
        return out


class _Connection:
    """One keep-alive HTTP/1.1 connection. The benchmark's own client must not be what it
    measures: httpx spends about a millisecond of CPU per request, on the same two cores as
    the server, so requests go out over plain sockets instead."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        length = 0
        chunked = False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding":
                chunked = "chunked" in value.lower()
        if not chunked:
            return status, await reader.readexactly(length)
        parts = []
        while size := int((await reader.readline()).strip(), 16):
            parts.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        return status, b"".join(parts)

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()


async def _batch_phase(base: str, batches: list[bytes], clients: int) -> tuple[float, int]:
    queue = list(reversed(batches))
    accepted = 0

    async def worker() -> None:
        nonlocal accepted
        connection = _Connection(base)
        while queue:
            status, body = await connection.post("/relayer/orders", queue.pop())
            if status != 200:
                raise SystemExit(f"batch refused: {status} {body[:300]!r}")
            accepted += sum(1 for r in json.loads(body)["results"] if r["accepted"])
        await connection.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return time.perf_counter() - start, accepted


async def _single_phase(base: str, bodies: list[bytes], clients: int) -> tuple[float, int]:
    queue = list(reversed(bodies))
    accepted = 0

    async def worker() -> None:
        nonlocal accepted
        connection = _Connection(base)
        while queue:
            status, _ = await connection.post("/relayer/order", queue.pop())
            accepted += status == 201
        await connection.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return time.perf_counter() - start, accepted


async def _fixed_rate_phase(base: str, bodies: list[bytes], rate: float) -> dict[str, float | None]:
    """Open loop: order i is due at start + i / rate and goes out on the first idle connection
    (a pool of 64 keep-alive connections, opened beforehand); its latency runs from when it
    was due, so waiting for a connection counts.

    One dispatcher sleeps until each order is due and only then starts its request: creating
    all the requests' tasks up front (10,000 of them) kept the client itself busy ~150-200 ms
    past the first due times, which showed as the server's latency (the worst orders were
    always the first ones, 2 ms apart)."""
    latencies: list[float] = []
    failures = 0
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(64):
        connection = _Connection(base)
        await connection.post("/relayer/orders", b'{"orders": []}')  # connect (422, no order)
        idle.put_nowait(connection)

    done = asyncio.Event()
    errors: list[BaseException] = []

    async def send(scheduled: float, body: bytes) -> None:
        nonlocal failures
        try:
            connection = await idle.get()
            status, _ = await connection.post("/relayer/order", body)
        except Exception as err:  # the connection broke: stop, and say why
            errors.append(err)
            done.set()
            return
        idle.put_nowait(connection)
        if status != 201:
            failures += 1
        latencies.append((time.perf_counter() - scheduled) * 1000)
        if len(latencies) == len(bodies):
            done.set()

    requests: set[asyncio.Task[None]] = set()  # referenced until done (the loop holds weak refs)
    start = time.perf_counter() + 0.05
    for index, body in enumerate(bodies):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        request = asyncio.create_task(send(scheduled, body))
        requests.add(request)
        request.add_done_callback(requests.discard)
    await done.wait()  # not gather(): attaching to 10,000 tasks would delay the last ones
    if errors:
        raise errors[0]
    while not idle.empty():
        await idle.get_nowait().close()
    return {
        "orders": len(bodies),
        "rate_per_s": rate,
        "failures": failures,
        "p50_ms": round(_percentile(latencies, 0.50), 2),
        "p90_ms": round(_percentile(latencies, 0.90), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
    }


def _recovery_cost(n: int) -> dict[str, float]:
    from eth_account import Account

    from relayer.orders import Order, domain_separator, sign_order
    from relayer.signatures import order_digest, recover_digest

    account = Account.create()
    exchange = "0x" + "42" * 20
    separator = domain_separator(31337, exchange)
    samples = []
    for salt in range(n):
        order = Order(account.address, 1, True, PRICE, 1, 2**40, salt)
        samples.append(
            (order_digest(order, separator), sign_order(order, account.key, 31337, exchange))
        )
    start = time.perf_counter()
    for digest, signature in samples:
        recover_digest(digest, signature)
    elapsed = time.perf_counter() - start
    orders = [Order(account.address, 1, True, PRICE, 1, 2**40, salt) for salt in range(n)]
    start = time.perf_counter()
    for order in orders:
        order_digest(order, separator)
    hashing = time.perf_counter() - start
    return {
        "recoveries": n,
        "us_per_recovery": round(elapsed / n * 1e6, 2),
        "recoveries_per_s": round(n / elapsed),
        "us_per_eip712_hash": round(hashing / n * 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds per phase")
    parser.add_argument("--database-url", help="journal database (default: a fresh SQLite file)")
    parser.add_argument("--batch", type=int, default=500, help="orders per batch request")
    parser.add_argument("--connections", type=int, default=16, help="single-endpoint clients")
    parser.add_argument("--rate", type=float, default=500.0, help="fixed arrival rate, orders/s")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    batch_orders = 4_000 if args.quick else 40_000
    single_orders = 1_000 if args.quick else 10_000
    rate_seconds = 2 if args.quick else 20

    load_at_start = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="tigerex-intake-") as tmp:
        work = Path(tmp)
        anvil, base, proc, makers = _setup(args.database_url, work)
        try:
            factory = OrderFactory(base, makers)
            print(f"signing {batch_orders + single_orders + int(args.rate * rate_seconds)} orders")
            batch_bodies = factory.bodies(batch_orders)
            batches = [
                json.dumps({"orders": batch_bodies[i : i + args.batch]}).encode()
                for i in range(0, len(batch_bodies), args.batch)
            ]
            singles = [json.dumps(b).encode() for b in factory.bodies(single_orders)]
            paced = [json.dumps(b).encode() for b in factory.bodies(int(args.rate * rate_seconds))]
            # The client holds web3, Ape and the signed orders: a full collection of that heap
            # stopped it for 100-200 ms, counted as the server's latency. Frozen, its
            # collector only walks what the phases allocate.
            gc.collect()
            gc.freeze()

            pids = {"relayer": proc.pid, "node": anvil.pid}  # type: ignore[attr-defined]
            meter = _CpuMeter(pids)
            elapsed, accepted = asyncio.run(_batch_phase(base, batches, clients=2))
            batch = {
                "orders": batch_orders,
                "accepted": accepted,
                "batch_size": args.batch,
                "seconds": round(elapsed, 3),
                "orders_per_s": round(accepted / elapsed),
                **meter.per_order(accepted),
            }
            print(
                f"batch endpoint:  {batch['orders_per_s']:>8,} orders/s ({accepted} accepted; "
                f"CPU ms/order: relayer {batch['relayer_cpu_ms_per_order']}, "
                f"node {batch['node_cpu_ms_per_order']})"
            )
            meter = _CpuMeter(pids)
            elapsed, accepted = asyncio.run(_single_phase(base, singles, args.connections))
            single = {
                "orders": single_orders,
                "accepted": accepted,
                "connections": args.connections,
                "seconds": round(elapsed, 3),
                "orders_per_s": round(accepted / elapsed),
                **meter.per_order(accepted),
            }
            print(
                f"single endpoint: {single['orders_per_s']:>8,} orders/s ({accepted} accepted; "
                f"CPU ms/order: relayer {single['relayer_cpu_ms_per_order']}, "
                f"node {single['node_cpu_ms_per_order']})"
            )
            meter = _CpuMeter(pids)
            fixed = asyncio.run(_fixed_rate_phase(base, paced, args.rate))
            fixed.update(meter.per_order(len(paced)))
            print(
                f"at {args.rate:.0f}/s: p50 {fixed['p50_ms']} ms, p99 {fixed['p99_ms']} ms, "
                f"max {fixed['max_ms']} ms, {fixed['failures']} failures; "
                f"CPU ms/order: relayer {fixed['relayer_cpu_ms_per_order']}, "
                f"node {fixed['node_cpu_ms_per_order']}"
            )
            resting = httpx.get(f"{base}/relayer/markets/1/book?levels=500").json()
        finally:
            from tigerex.process import stop

            stop(proc)
            anvil.stop()  # type: ignore[attr-defined]
    recovery = _recovery_cost(2_000 if args.quick else 20_000)
    print(
        f"signature recovery alone: {recovery['us_per_recovery']} us "
        f"({recovery['recoveries_per_s']:,}/s); EIP-712 hash {recovery['us_per_eip712_hash']} us"
    )
    result = {
        "benchmark": "relayer_intake",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "quick": args.quick,
        "database": "postgresql" if args.database_url else "sqlite",
        "batch_endpoint": batch,
        "single_endpoint": single,
        "fixed_rate_single_endpoint": fixed,
        "signature_recovery": recovery,
        "book_levels_at_end": {"bids": len(resting["bids"]), "asks": len(resting["asks"])},
        "goals": GOALS,
        "goals_met": {
            "batch_orders_per_s": batch["orders_per_s"] >= GOALS["batch_orders_per_s"],
            "p99_ack_ms_at_500_per_s": fixed["p99_ms"] <= GOALS["p99_ack_ms_at_500_per_s"],
        },
    }
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
