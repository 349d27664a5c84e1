"""The committed gas snapshot (bench/gas/launchpad.json) matches the contracts as they are."""

import subprocess
import sys

from tigerex.paths import project_root


def test_launchpad_gas_snapshot_is_current():
    result = subprocess.run(
        [sys.executable, "bench/launchpad_gas.py", "--check"],
        cwd=project_root(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gas snapshot up to date" in result.stdout
