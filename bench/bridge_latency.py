"""Lock-to-claim latency of the bridge on two Anvil chains with 1 s blocks, the default
confirmation depth, three validator processes (2-of-3) and the relayer, all started through the
real ``tigerex bridge`` commands with their default poll intervals.

    .venv/bin/python bench/bridge_latency.py   # 10 transfers -> bench/results/bridge_latency.json
    .venv/bin/python bench/bridge_latency.py --transfers 3

Latency of one transfer = from the moment the lock transaction's receipt is seen on chain A to
the moment the recipient's bridged balance has grown on chain B (polled every 50 ms). A timing
benchmark: run it on an idle machine and say so when quoting it.
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
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "bridge_latency.json"
BLOCK_TIME = 1


def measure(transfers: int) -> dict[str, object]:
    from eth_account import Account
    from eth_utils import keccak

    from offchain.bridge.config import DEFAULT_CONFIRMATIONS
    from offchain.bridge.contracts import abi, bridge_contract
    from offchain.bridge.deploy import deploy_bridge_network
    from tigerex.chain import connect
    from tigerex.db import migrate
    from tigerex.devchain import dev_accounts
    from tigerex.node import AnvilNode
    from tigerex.process import child_env, spawn, stop

    keys = sorted(
        (Account.from_key(keccak(text=f"bench validator {i}")) for i in range(3)),
        key=lambda k: int(k.address, 16),
    )
    work = Path(tempfile.mkdtemp(prefix="bridge-latency-"))
    a = AnvilNode(chain_id=31337, block_time=BLOCK_TIME, log_file=work / "anvil-a.log").start()
    b = AnvilNode(chain_id=31338, block_time=BLOCK_TIME, log_file=work / "anvil-b.log").start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        network = deploy_bridge_network(
            rpc_urls=[a.url, b.url],
            deployer=dev_accounts()[0],
            validators=[k.address for k in keys],
            threshold=2,
            mint_to=[dev_accounts()[1].address],
        )
        config = work / "bridge-local.json"
        network.save(config)
        database = f"sqlite:///{work / 'bridge.db'}"
        migrate(database)
        env = child_env(TIGEREX_DATABASE_URL=database, TIGEREX_NETWORK="local")
        base = [sys.executable, "-m", "tigerex.cli", "bridge"]
        for n, key in enumerate(keys):
            processes.append(
                spawn(
                    [*base, "validator", "--key-env", "KEY", "--config", str(config)],
                    env={**env, "KEY": "0x" + key.key.hex().removeprefix("0x")},
                    stdout=(work / f"validator-{n}.log").open("ab"),
                    stderr=subprocess.STDOUT,
                )
            )
        processes.append(
            spawn(
                [*base, "relayer", "--dev-account", "5", "--config", str(config)],
                env=env,
                stdout=(work / "relayer.log").open("ab"),
                stderr=subprocess.STDOUT,
            )
        )
        w3_a, w3_b = connect(a.url), connect(b.url)
        route = network.tokens[0]
        token = w3_a.eth.contract(address=route.origin_token, abi=abi("TestToken"))
        wrapped = w3_b.eth.contract(address=route.bridged_token, abi=abi("BridgedToken"))
        bridge = bridge_contract(w3_a, network.chains[0].bridge)
        user = dev_accounts()[1].address
        recipient = dev_accounts()[2].address
        w3_a.eth.wait_for_transaction_receipt(
            token.functions.approve(bridge.address, 2**256 - 1).transact({"from": user})
        )
        latencies: list[float] = []
        for i in range(transfers):
            before = wrapped.functions.balanceOf(recipient).call()
            tx = bridge.functions.lock(token.address, 10**18 + i, 31338, recipient).transact(
                {"from": user}
            )
            w3_a.eth.wait_for_transaction_receipt(tx, poll_latency=0.05)
            locked_at = time.monotonic()
            deadline = locked_at + 120
            while wrapped.functions.balanceOf(recipient).call() == before:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"transfer {i} not claimed within 120 s; logs in {work}")
                time.sleep(0.05)
            latencies.append(time.monotonic() - locked_at)
            print(f"transfer {i + 1}/{transfers}: {latencies[-1]:.2f} s")
        return {
            "transfers": transfers,
            "block_time_seconds": BLOCK_TIME,
            "confirmations": DEFAULT_CONFIRMATIONS,
            "validators": "2-of-3 processes, poll 0.5 s; relayer poll 0.5 s; SQLite store",
            "latency_seconds": {
                "median": round(statistics.median(latencies), 2),
                "min": round(min(latencies), 2),
                "max": round(max(latencies), 2),
                "all": [round(x, 2) for x in latencies],
            },
        }
    finally:
        for proc in processes:
            stop(proc)
        b.stop()
        a.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transfers", type=int, default=10)
    parser.add_argument(
        "--note", default="", help="conditions to record, e.g. 'shared machine, load 2'"
    )
    args = parser.parse_args()
    figures = measure(args.transfers)
    load = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                f"{platform.python_version()}",
                "load_average_after": [round(x, 2) for x in load],
                "note": args.note,
                **figures,
            },
            indent=2,
        )
        + "\n"
    )
    print(json.dumps(figures["latency_seconds"]))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
