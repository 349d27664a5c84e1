"""The committed gas snapshot (bench/gas/bridge.json) matches the contracts as they are."""

import json
import subprocess
import sys

from tigerex.paths import project_root


def test_bridge_gas_snapshot_is_current():
    result = subprocess.run(
        [sys.executable, "bench/bridge_gas.py", "--check"],
        cwd=project_root(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gas snapshot up to date" in result.stdout


def test_claim_with_three_of_five_signatures_meets_the_gas_goal():
    snapshot = json.loads((project_root() / "bench" / "gas" / "bridge.json").read_text())
    assert snapshot["bridge_claim_mint_3of5"] <= 100_000
