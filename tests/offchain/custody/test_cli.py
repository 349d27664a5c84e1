"""`tigerex multisig`, end to end as an operator runs it."""

import os
import re
import subprocess
import sys

from tigerex.devchain import dev_accounts
from tigerex.paths import project_root

RECIPIENT = "0x000000000000000000000000000000000000bEEF"


def test_create_propose_sign_execute_from_the_command_line(anvil, suite, w3, tmp_path):
    folder = tmp_path / "deployments"
    suite.deployments.save(folder / "local.json")
    env = {
        **os.environ,
        "TIGEREX_RPC_URL": anvil.url,
        "TIGEREX_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "TIGEREX_DEPLOYMENTS_DIR": str(folder),
        "TIGEREX_NETWORK": "local",
        "OWNER_TWO_KEY": dev_accounts()[2].key.hex(),
        "COLUMNS": "200",
    }

    def cli(*args):
        result = subprocess.run(
            [sys.executable, "-m", "tigerex.cli", "multisig", *args],
            cwd=project_root(),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return result.returncode, result.stdout + result.stderr

    owners = [a.address for a in dev_accounts()[1:4]]
    code, out = cli(
        "create",
        *[arg for o in owners for arg in ("--owner", o)],
        "--threshold",
        "2",
        "--dev-account",
        "0",
    )
    assert code == 0, out
    wallet = re.search(r"wallet (0x[0-9a-fA-F]{40})", out).group(1)
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": owners[0], "to": wallet, "value": 10**18})
    )

    code, out = cli("propose", wallet, "--to", RECIPIENT, "--value", "4242", "--description", "t")
    assert code == 0, out
    proposal_id = re.search(r"proposal (\d+)", out).group(1)

    code, out = cli("execute", proposal_id, "--dev-account", "0")
    assert code == 1 and "error[threshold_not_met]" in out and "Traceback" not in out

    code, out = cli("sign", proposal_id, "--dev-account", "1")
    assert code == 0 and "signed 1 of 2" in out, out
    code, out = cli("sign", proposal_id, "--key-env", "OWNER_TWO_KEY")
    assert code == 0 and "ready to execute" in out, out

    code, out = cli("sign", proposal_id, "--key-env", "NOT_SET_ANYWHERE")
    assert code == 1 and "error[configuration_invalid]" in out

    before = w3.eth.get_balance(RECIPIENT)
    code, out = cli("execute", proposal_id, "--dev-account", "0")
    assert code == 0, out
    assert w3.eth.get_balance(RECIPIENT) == before + 4242
    code, out = cli("status", proposal_id)
    assert "status executed" in out
