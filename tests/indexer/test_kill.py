"""Kill -9 mid-backfill, several times, then let it finish: equal to an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from indexer.models import Checkpoint
from tests.indexer.conftest import Activity, chain_config, dump, head, index_once
from tigerex.db import make_engine
from tigerex.deployments import ContractRegistry
from tigerex.paths import project_root

pytestmark = pytest.mark.anvil


def _checkpoint(url: str) -> int | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(Checkpoint.block_number)).scalar()
    except Exception:  # table not there yet (migrating) or locked: not started
        return None
    finally:
        engine.dispose()


def _start(url: str, rpc_url: str, deployments_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TIGEREX_DATABASE_URL": url,
        "TIGEREX_RPC_URL": rpc_url,
        "TIGEREX_DEPLOYMENTS_DIR": str(deployments_dir),
        "TIGEREX_NETWORK": "local",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tigerex.cli", "index", "--network", "local", "--no-follow",
         "--max-range", "2", "--confirmations", "1"],
        cwd=project_root(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_sigkill_mid_backfill_then_rerun_equals_uninterrupted(
    anvil,
    suite: ContractRegistry,
    activity: Activity,
    database_pair: tuple[str, str],
    tmp_path: Path,
) -> None:
    url, reference = database_pair
    activity.mixed(120)
    deployments_dir = tmp_path / "deployments"
    suite.deployments.save(deployments_dir / "local.json")
    config = chain_config(suite, anvil.url)
    target, _ = head(anvil.url)
    span = target - config.start_block

    kills = 0
    for fraction in (0.2, 0.45, 0.7):
        proc = _start(url, anvil.url, deployments_dir)
        deadline = time.monotonic() + 120
        aim = config.start_block + int(span * fraction)
        while time.monotonic() < deadline and proc.poll() is None:
            block = _checkpoint(url)
            if block is not None and block >= aim:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        proc.wait(30)
        if proc.returncode == -signal.SIGKILL:
            kills += 1
            assert (_checkpoint(url) or 0) < target, "killed before the end of the backfill"
    assert kills >= 2, "the kills should land mid-backfill"

    proc = _start(url, anvil.url, deployments_dir)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out.decode()
    assert b"indexed to block" in out

    index_once(reference, config)
    assert dump(url, config.chain_id) == dump(reference, config.chain_id)
