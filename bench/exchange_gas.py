"""Exchange gas benchmark on Anvil: one command, figures to bench/results/exchange_gas.json.

    .venv/bin/python bench/exchange_gas.py          # ~30 s: fresh Anvil, deploy, measure
    .venv/bin/python bench/exchange_gas.py --write  # ...and update bench/gas/exchange.json
    .venv/bin/python bench/exchange_gas.py --check  # exit 1 if the snapshot is out of date

The snapshot is committed, so a change in gas shows up in review (as v4-core's snapshots/ do);
tests/bench/test_exchange_gas_snapshot.py runs the check. Gas is deterministic: fixed orders,
salts and expiries give the same calldata on every run.

Starts its own Anvil (the `@foundry-rs/anvil` binary), deploys the suite with scripts/deploy.py
and measures receipts' gasUsed (everything included: 21,000 base, calldata, execution):

* the single-fill transaction: `fillOrder` of a fresh maker order by a funded taker;
* `settle` batches of 1, 2, 4, 8, 16, 32 matches in three shapes:
  - ``sweep``: one taker order fills N fresh orders of one market maker (a taker sweeping
    the book; the market maker's account is warm after the first fill);
  - ``fan_in``: N distinct takers, each with a fresh order, fill one market maker's order;
  - ``pairs``: N independent pairs of fresh orders of 2N distinct accounts (worst case: every
    account and order slot cold).
  Every account already holds both tokens and fees have accrued before (steady state), and
  every batch starts from the same chain snapshot. A batch whose matches do not all settle is
  an error. Reported per batch: total gas, average per fill (total / N) and marginal per fill
  ((total(N) - total(1)) / (N - 1)).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gas_snapshot

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SNAPSHOT = ROOT / "bench" / "gas" / "exchange.json"
RESULTS = ROOT / "bench" / "results" / "exchange_gas.json"

from eth_account import Account  # noqa: E402
from eth_account.signers.local import LocalAccount  # noqa: E402
from eth_utils import keccak  # noqa: E402
from web3 import Web3  # noqa: E402
from web3.logs import DISCARD  # noqa: E402

from relayer.orders import Order, sign_order  # noqa: E402
from tigerex.chain import connect  # noqa: E402
from tigerex.cli import run_deploy  # noqa: E402
from tigerex.deployments import ContractRegistry, DeploymentsFile  # noqa: E402
from tigerex.devchain import dev_accounts  # noqa: E402
from tigerex.node import AnvilNode, rpc_call  # noqa: E402

BATCHES = (1, 2, 4, 8, 16, 32)
PROFILED_BATCH = 16
SSTORE_KINDS = {20_000: "SSTORE zero to non-zero", 2_900: "SSTORE first change of a slot"}
SHAPES = ("sweep", "fan_in", "pairs")
PRICE = 300_000
FAR = 2**40
# The taker fee bound a direct filler passes to fillOrder (the market charges 20 bps).
TAKER_FEE_BOUND = 100
GOAL_PER_FILL_AT_16 = 45_000
GOAL_SINGLE_FILL = 90_000
ANCHORS = {
    "1inch Limit Order Protocol v4 fill": 99_228,
    "0x RFQ fill (range low)": 78_553,
    "0x RFQ fill (range high)": 111_684,
    "CoW Protocol per trade, 10-trade settlement": 74_000,
    "Uniswap v4 swap": 123_144,
}


class Bench:
    def __init__(self, w3: Web3, registry: ContractRegistry, url: str) -> None:
        self.w3 = w3
        self.url = url
        self.chain_id = w3.eth.chain_id
        self.exchange = registry.contract("Exchange")
        self.base = registry.contract("tWETH")
        self.quote = registry.contract("tUSDC")
        self.dev = dev_accounts()
        self.operator = self.dev[0]
        self.salt = 0
        self.ops: dict[str, int] = {}
        self.last_tx: Any = None

    def send(self, call: Any, account: LocalAccount, value: int = 0) -> Any:
        tx = call.build_transaction(
            {
                "from": account.address,
                "nonce": self.w3.eth.get_transaction_count(account.address),
                "value": value,
                "gas": 15_000_000,
            }
        )
        signed = account.sign_transaction(tx)
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_raw_transaction(signed.raw_transaction)
        )
        if receipt["status"] != 1:
            raise RuntimeError(f"transaction reverted: {call.fn_name}")
        self.last_tx = receipt.transactionHash
        return receipt

    def fund(self, account: LocalAccount) -> None:
        rpc_call(self.url, "anvil_setBalance", [account.address, hex(10**20)])
        for token, amount in ((self.base, 10**21), (self.quote, 10**12)):
            self.send(token.functions.mint(account.address, amount), self.operator)
            self.send(token.functions.approve(self.exchange.address, 2**256 - 1), account)
            receipt = self.send(
                self.exchange.functions.deposit(token.address, amount // 2), account
            )
            self.ops.setdefault("deposit (ERC-20, new vault balance)", receipt.gasUsed)

    def order(self, account: LocalAccount, is_buy: bool, quantity: int) -> tuple[Order, bytes]:
        self.salt += 1
        order = Order(account.address, 1, is_buy, PRICE, quantity, FAR, self.salt, 0, 100)
        return order, sign_order(order, account.key, self.chain_id, self.exchange.address)

    @staticmethod
    def match(maker: tuple[Order, bytes], taker: tuple[Order, bytes], quantity: int) -> tuple:
        return (maker[0].as_tuple(), maker[1], taker[0].as_tuple(), taker[1], quantity)

    def settle(self, matches: list[tuple]) -> int:
        receipt = self.send(self.exchange.functions.settle(matches), self.operator)
        fills = self.exchange.events.OrderFilled().process_receipt(receipt, errors=DISCARD)
        skipped = self.exchange.events.MatchSkipped().process_receipt(receipt, errors=DISCARD)
        if len(fills) != len(matches) or skipped:
            raise RuntimeError(f"{len(skipped)} of {len(matches)} matches skipped: {skipped}")
        return int(receipt.gasUsed)

    def batch(self, shape: str, n: int, mm: LocalAccount, taker: LocalAccount, pool: list) -> list:
        if shape == "sweep":
            big = self.order(taker, True, 2 * n)
            return [self.match(self.order(mm, False, 2), big, 2) for _ in range(n)]
        if shape == "fan_in":
            big = self.order(mm, False, 2 * n)
            return [self.match(big, self.order(pool[i], True, 2), 2) for i in range(n)]
        return [
            self.match(self.order(pool[2 * i], False, 2), self.order(pool[2 * i + 1], True, 2), 2)
            for i in range(n)
        ]


def profile_tx(w3: Web3, url: str, tx_hash: Any) -> dict[str, int]:
    """Where the gas of one transaction went, by category (needs Anvil --steps-tracing).

    Each top-level step is charged what it really cost (gas before it minus gas at the next
    step of the same call depth), so a call's cost includes everything it ran.
    """
    trace = rpc_call(
        url,
        "debug_traceTransaction",
        [tx_hash.to_0x_hex(), {"disableMemory": True, "disableStorage": True}],
        timeout=120,
    )
    steps = trace["structLogs"]
    cost: dict[str, int] = {}
    top = [i for i, s in enumerate(steps) if s["depth"] == 1]
    for k, i in enumerate(top):
        step = steps[i]
        used = step["gas"] - steps[top[k + 1]]["gas"] if k + 1 < len(top) else step["gasCost"]
        op = step["op"]
        if op in ("STATICCALL", "CALL"):
            target = "ecrecover" if int(step["stack"][-2], 16) == 1 else "calls to contracts"
            category = target
        elif op.startswith("LOG"):
            category = "events (LOG)"
        elif op == "SLOAD":
            category = "SLOAD cold" if used >= 2_100 else "SLOAD warm"
        elif op == "SSTORE":
            category = SSTORE_KINDS.get(used, "SSTORE again in the tx (dirty slot)")
        elif op in ("KECCAK256", "TLOAD", "TSTORE"):
            category = "keccak256" if op == "KECCAK256" else "transient (reentrancy guard)"
        else:
            category = "other execution (ABI decoding, checks, arithmetic, memory, jumps)"
        cost[str(category)] = cost.get(str(category), 0) + used
    data = bytes(w3.eth.get_transaction(tx_hash)["input"])
    cost["transaction base"] = 21_000
    cost["calldata"] = sum(16 if b else 4 for b in data)
    return dict(sorted(cost.items(), key=lambda kv: -kv[1]))


def measure(quick: bool, profile: bool = False) -> dict[str, Any]:
    batches = BATCHES[:4] if quick else BATCHES
    profiles: dict[str, dict[str, int]] = {}
    anvil = AnvilNode(extra_args=["--steps-tracing"] if profile else [])
    with tempfile.TemporaryDirectory() as tmp, anvil as node:
        started = time.monotonic()
        path = run_deploy(node.url, deployment="local", deployments_dir=Path(tmp))
        w3 = connect(node.url)
        bench = Bench(w3, ContractRegistry(w3, DeploymentsFile.load(path)), node.url)
        mm, taker = bench.dev[1], bench.dev[2]
        pool = [
            Account.from_key(keccak(text=f"tigerex-bench-{i}")) for i in range(2 * max(batches))
        ]
        for account in (mm, taker, *pool):
            bench.fund(account)
        # Steady state: fees have accrued and every account has traded before.
        bench.settle([bench.match(bench.order(mm, False, 1), bench.order(taker, True, 1), 1)])

        ex = bench.exchange
        snap = rpc_call(node.url, "evm_snapshot")
        maker = bench.order(mm, False, 2)
        single = bench.send(
            ex.functions.fillOrder(maker[0].as_tuple(), maker[1], 2, TAKER_FEE_BOUND), taker
        ).gasUsed
        if profile:
            profiles["fillOrder"] = profile_tx(w3, node.url, bench.last_tx)
        rpc_call(node.url, "evm_revert", [snap])

        ops = dict(bench.ops)
        ops["fillOrder (single-fill transaction, fresh maker order)"] = int(single)
        snap = rpc_call(node.url, "evm_snapshot")
        ops["cancelOrder"] = int(
            bench.send(
                ex.functions.cancelOrder(bench.order(mm, False, 1)[0].as_tuple()), mm
            ).gasUsed
        )
        ops["advanceEpoch"] = int(bench.send(ex.functions.advanceEpoch(1), mm).gasUsed)
        ops["advanceMarketEpoch"] = int(
            bench.send(ex.functions.advanceMarketEpoch(1, 1), mm).gasUsed
        )
        ops["depositETH"] = int(bench.send(ex.functions.depositETH(), mm, value=10**18).gasUsed)
        ops["requestWithdrawal"] = int(
            bench.send(ex.functions.requestWithdrawal(bench.base.address, 10**18), mm).gasUsed
        )
        rpc_call(node.url, "evm_increaseTime", [3600])
        ops["withdraw"] = int(bench.send(ex.functions.withdraw(bench.base.address), mm).gasUsed)
        ops["collectFees"] = int(bench.send(ex.functions.collectFees(1), mm).gasUsed)
        rpc_call(node.url, "evm_revert", [snap])

        results: dict[str, list[dict[str, Any]]] = {}
        for shape in SHAPES:
            rows: list[dict[str, Any]] = []
            for n in batches:
                snap = rpc_call(node.url, "evm_snapshot")
                gas = bench.settle(bench.batch(shape, n, mm, taker, pool))
                if profile and shape == "sweep" and n == min(PROFILED_BATCH, max(batches)):
                    profiles[f"settle sweep x{n}"] = profile_tx(w3, node.url, bench.last_tx)
                rpc_call(node.url, "evm_revert", [snap])
                rows.append({"batch": n, "gas_used": gas, "per_fill": gas // n})
            first = rows[0]["gas_used"]
            for row in rows:
                n = row["batch"]
                row["marginal_per_fill"] = (row["gas_used"] - first) // (n - 1) if n > 1 else None
            results[shape] = rows
            for row in rows:
                ops[f"settle {shape} x{row['batch']} (per fill)"] = row["per_fill"]
                if row["marginal_per_fill"] is not None:
                    ops[f"settle {shape} x{row['batch']} (marginal per fill)"] = row[
                        "marginal_per_fill"
                    ]

        anvil_version = subprocess.run(
            [str(node.command()[0]), "--version"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[:1]
        return {
            "benchmark": "exchange_gas",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"platform": platform.platform(), "python": platform.python_version()},
            "chain": {
                "node": anvil_version[0] if anvil_version else "anvil",
                "chain_id": bench.chain_id,
            },
            "compiler": {"solc": "0.8.30", "evm_version": "cancun", "optimizer_runs": 10_000},
            "goals": {
                "per_fill_at_batch_16": GOAL_PER_FILL_AT_16,
                "single_fill_tx": GOAL_SINGLE_FILL,
            },
            "anchors": ANCHORS,
            "single_fill_tx": int(single),
            "settle": results,
            "operations": ops,
            "seconds": round(time.monotonic() - started, 1),
            **({"profile": profiles} if profile else {}),
        }


def print_table(data: dict[str, Any]) -> None:
    print(
        f"single-fill transaction (fillOrder): {data['single_fill_tx']:,} gas "
        f"(goal <= {GOAL_SINGLE_FILL:,})"
    )
    print(f"{'shape':8} {'batch':>5} {'total gas':>11} {'per fill':>9} {'marginal':>9}")
    for shape, rows in data["settle"].items():
        for row in rows:
            marginal = f"{row['marginal_per_fill']:,}" if row["marginal_per_fill"] else "-"
            gas, per_fill = row["gas_used"], row["per_fill"]
            print(f"{shape:8} {row['batch']:>5} {gas:>11,} {per_fill:>9,} {marginal:>9}")
    for name, costs in data.get("profile", {}).items():
        print(f"where the gas of {name} goes: {sum(costs.values()):,}")
        for category, used in costs.items():
            print(f"  {category:68} {used:>9,}")
    print(
        "goal: <= 45,000 per fill at batch 16; anchors: "
        + "; ".join(f"{k} {v:,}" for k, v in ANCHORS.items())
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="batches up to 8 only")
    gas_snapshot.add_arguments(parser)
    parser.add_argument(
        "--profile", action="store_true", help="also break down the single fill and sweep x16"
    )
    args = parser.parse_args()
    if args.quick and (args.write or args.check):
        parser.error("--quick measures only part of the snapshot: not with --write / --check")
    data = measure(args.quick, args.profile)
    print_table(data)
    gas = dict(sorted(data["operations"].items()))
    return gas_snapshot.finish(
        args, gas, script=Path(__file__), snapshot=SNAPSHOT, results=RESULTS, results_data=data
    )


if __name__ == "__main__":
    sys.exit(main())
