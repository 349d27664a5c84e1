"""`tigerex node` and `--help`, as a user runs them."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tigerex.devchain import dev_accounts
from tigerex.node import rpc_call
from tigerex.paths import project_root


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tigerex.cli", *args],
        cwd=project_root(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def test_node_prints_url_and_dev_accounts_and_stops_on_ctrl_c():
    proc = _cli("node", "--chain-id", "4321")
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any("Ctrl-C to stop" in x for x in lines):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
    output = "".join(lines)
    match = re.search(r"Anvil listening on (http://127\.0\.0\.1:(\d+))", output)
    assert match, output
    url = match.group(1)
    assert int(rpc_call(url, "eth_chainId"), 16) == 4321
    for account in dev_accounts(3):
        assert account.address in output

    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    with pytest.raises(Exception, match="cannot reach the node"):
        rpc_call(url, "eth_chainId", timeout=1)


@pytest.mark.parametrize("command", [[], ["node"], ["deploy"], ["up"], ["db"], ["test"]])
def test_every_command_has_help(command):
    result = subprocess.run(
        [sys.executable, "-m", "tigerex.cli", *command, "--help"],
        cwd=project_root(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
