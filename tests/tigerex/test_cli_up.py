"""`tigerex up`, the main job, as a user runs it: start, health, Ctrl-C, restart."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tigerex.node import free_port
from tigerex.paths import project_root

pytestmark = pytest.mark.slow


def _processes_mentioning(needle: str) -> list[int]:
    """PIDs whose command line or environment mentions ``needle`` (our children carry the data
    folder in one or the other)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            blob = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
            state = (proc / "stat").read_text().split()[2]
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        if needle.encode() in blob and state != "Z":
            found.append(int(proc.name))
    return found


_running: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _stop_what_the_test_started():
    """A failed assertion must not leave `tigerex up` (and its chain and services) running."""
    yield
    while _running:
        proc = _running.pop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _start_up(
    data_dir: Path, rpc_port: int, api_port: int
) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "tigerex.cli", "up", "--data-dir", str(data_dir),
            "--rpc-port", str(rpc_port), "--api-port", str(api_port),
        ],
        cwd=project_root(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    _running.append(proc)
    lines: list[str] = []
    deadline = time.monotonic() + 180
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError("tigerex up exited early:\n" + "".join(lines))
        lines.append(line)
        if "Ctrl-C stops everything" in line:
            return proc, lines
    proc.kill()
    raise AssertionError("tigerex up did not come up in time:\n" + "".join(lines))


def _wait_indexed(api_port: int, block: int, timeout: float = 60.0) -> dict:
    """Wait until the indexer (a child of `up`) reports the chain indexed up to ``block``."""
    deadline = time.monotonic() + timeout
    status: dict = {}
    while time.monotonic() < deadline:
        chains = httpx.get(f"http://127.0.0.1:{api_port}/indexer/status", timeout=10).json()
        status = (chains.get("chains") or [{}])[0]
        if status.get("indexed_block", -1) >= block:
            assert status["chain_id"] == 31337 and status["events_total"] > 0, status
            return status
        time.sleep(0.2)
    raise AssertionError(f"the indexer did not catch up to block {block}: {status}")


def _interrupt(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    return rest


def test_up_serves_health_stops_cleanly_and_restores_state(tmp_path):
    data_dir = tmp_path / "data"
    rpc_port, api_port = free_port(), free_port()

    proc, lines = _start_up(data_dir, rpc_port, api_port)
    output = "".join(lines)
    assert f"http://127.0.0.1:{rpc_port}" in output
    assert f"http://127.0.0.1:{api_port}/health" in output
    health = httpx.get(f"http://127.0.0.1:{api_port}/health", timeout=10).json()
    assert health["status"] == "ok", health
    recorded = json.loads((data_dir / "deployments" / "local.json").read_text())["contracts"]
    assert set(health["contracts"]) == set(recorded)
    assert {"TUSD", "tWETH", "tUSDC"} <= set(recorded)
    assert health["chain"]["chain_id"] == 31337
    first_addresses = {n: c["address"] for n, c in health["contracts"].items()}
    assert f"http://127.0.0.1:{api_port}/indexer/status" in output
    _wait_indexed(api_port, health["chain"]["block_number"])
    assert _processes_mentioning(str(data_dir)), "children should be running"
    _trade_against_the_demo_book_until_settled(api_port, rpc_port, recorded)

    rest = _interrupt(proc)
    assert proc.returncode == 0, output + rest
    assert "stopped" in rest
    time.sleep(0.5)
    assert _processes_mentioning(str(data_dir)) == [], "Ctrl-C must leave no process behind"
    assert (data_dir / "anvil" / "state.json").is_file()

    # Second start: the chain state is restored, so nothing is deployed again.
    proc, lines = _start_up(data_dir, rpc_port, api_port)
    output = "".join(lines)
    assert output.count("): already deployed at 0x") == len(recorded), output
    health = httpx.get(f"http://127.0.0.1:{api_port}/health", timeout=10).json()
    assert health["status"] == "ok"
    assert {n: c["address"] for n, c in health["contracts"].items()} == first_addresses
    _wait_indexed(api_port, health["chain"]["block_number"])
    _interrupt(proc)
    assert proc.returncode == 0
    time.sleep(0.5)
    assert _processes_mentioning(str(data_dir)) == []


def test_up_fails_cleanly_when_the_rpc_port_is_taken(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable, "-m", "tigerex.cli", "up", "--data-dir", str(tmp_path),
                "--rpc-port", str(port),
            ],
            cwd=project_root(), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert result.returncode == 1
    assert "error[chain_unreachable]: Anvil did not start" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert _processes_mentioning(str(tmp_path)) == []


def _trade_against_the_demo_book_until_settled(api_port: int, rpc_port: int, recorded) -> None:
    """What a newcomer does after `up`: deposit, take the best demo ask from the SDK, and see the
    settlement worker (a child of `up`) put the fill on chain."""
    from web3 import Web3

    from relayer.client import RelayerClient
    from relayer.demo import _ensure_vault
    from relayer.orders import fee
    from tigerex.devchain import dev_accounts

    taker = dev_accounts()[1]
    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{rpc_port}"))
    exchange = recorded["Exchange"]["address"]
    with RelayerClient(f"http://127.0.0.1:{api_port}") as client:
        market = next(m for m in client.markets() if m["market_id"] == 1)
        best_ask = client.book(1, levels=1)["asks"][0]
        assert best_ask["quantity_lots"] > 0, "the demo book is seeded by `up`"
        price = best_ask["price_ticks"]
        _ensure_vault(
            w3, exchange, market["quote"], taker.address, 10 * price * int(market["tick_size"])
        )
        ack = client.place(
            taker, market_id=1, is_buy=True, price_ticks=price, quantity_lots=1,
            max_fee_bps=market["taker_fee_bps"], time_in_force="ioc",
        )  # fmt: skip
        assert ack["matched_lots"] == 1 and len(ack["fills"]) == 1, ack
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            fills = client.order(ack["order_hash"])["fills"]
            if fills[0]["status"] == "settled":
                break
            time.sleep(0.5)
        assert fills[0]["status"] == "settled", fills
    vault = w3.eth.contract(
        address=exchange,
        abi=[{
            "name": "balanceOf", "type": "function", "stateMutability": "view",
            "inputs": [{"name": "t", "type": "address"}, {"name": "a", "type": "address"}],
            "outputs": [{"name": "", "type": "uint256"}],
        }],
    )  # fmt: skip
    # One lot of base, less the taker fee, arrived in the taker's vault, on chain.
    lot = int(market["lot_size"])
    received = lot - fee(lot, market["taker_fee_bps"])
    assert vault.functions.balanceOf(market["base"], taker.address).call() == received
