"""`tigerex earn`, end to end as an admin runs it against the deployed suite on Anvil."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak

from tests.indexer.earn_activity import TUSD, WETH, EarnActivity
from tigerex.devchain import dev_accounts
from tigerex.paths import project_root

pytestmark = pytest.mark.anvil


@pytest.fixture
def cli(anvil, suite, tmp_path: Path):
    folder = tmp_path / "deployments"
    suite.deployments.save(folder / "local.json")
    env = {
        **os.environ,
        "TIGEREX_RPC_URL": anvil.url,
        "TIGEREX_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "TIGEREX_DEPLOYMENTS_DIR": str(folder),
        "TIGEREX_DATA_DIR": str(tmp_path / "data"),
        "TIGEREX_NETWORK": "local",
        "ADMIN_KEY": dev_accounts()[0].key.hex(),
        "NOT_AN_ATTESTER_KEY": dev_accounts()[6].key.hex(),
        "COLUMNS": "200",
    }

    def run(*args: str) -> tuple[int, str]:
        result = subprocess.run(
            [sys.executable, "-m", "tigerex.cli", "earn", *args],
            cwd=project_root(),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return result.returncode, result.stdout + result.stderr

    return run


def _nonce(activity: EarnActivity) -> int:
    return activity.w3.eth.get_transaction_count(activity.admin)


def test_create_pool_add_reward_token_and_fund_rewards(cli: Any, activity: EarnActivity) -> None:
    staking, usdc = activity.staking, activity.usdc
    code, out = cli(
        "create-pool", "--staking-token", "TUSD", "--lock", "1h:15000", "--lock", "30d:20000",
        "--exit-policy", "treasury", "--penalty-bps", "500", "--key-env", "ADMIN_KEY",
    )  # fmt: skip
    assert code == 0, out
    pool_id = int(re.search(r"pool (\d+) created", out).group(1))  # type: ignore[union-attr]
    info = staking.functions.poolInfo(pool_id).call()
    assert info[0] == activity.tusd.address and (info[1], info[2]) == (1, 500)
    assert [tuple(o) for o in info[5]] == [(0, 10_000), (3600, 15_000), (30 * 86400, 20_000)]

    code, out = cli("add-reward-token", str(pool_id), "--token", "tUSDC", "--dev-account", "0")
    assert code == 0, out
    reserve = staking.functions.rewardReserveOf(usdc.address).call()
    code, out = cli(
        "fund-rewards", str(pool_id), "--token", usdc.address, "--amount", "1000.5",
        "--duration", "7d", "--dev-account", "0",
    )  # fmt: skip
    assert code == 0, out
    assert "funded with 1000.5 tUSDC" in out
    assert staking.functions.rewardReserveOf(usdc.address).call() == reserve + 1_000_500_000
    stream = staking.functions.rewardInfo(pool_id, usdc.address).call()
    assert stream[1] - stream[2] == 7 * 86400  # periodFinish - lastUpdate

    # Bad input: refused before anything is sent.
    before = _nonce(activity)
    code, out = cli(
        "fund-rewards", str(pool_id), "--token", "tUSDC", "--amount", "1.0000001",
        "--duration", "7d", "--dev-account", "0",
    )  # fmt: skip
    assert code == 1 and "error[amount_invalid]" in out and "has 7 decimals" in out, out
    code, out = cli(
        "fund-rewards", "99", "--token", "tUSDC", "--amount", "1", "--duration", "7d",
        "--dev-account", "0",
    )  # fmt: skip
    assert code == 1 and "error[transaction_reverted]" in out, out
    assert "StakingUnknownPool(99)" in out
    code, out = cli(
        "fund-rewards", "0", "--token", "tUSDC", "--amount", "1", "--duration", "7d",
        "--dev-account", "0",
    )  # fmt: skip
    assert code == 1 and "error[token_unknown]" in out and "add-reward-token 0" in out, out
    code, out = cli("add-reward-token", "0", "--token", "NOPE", "--dev-account", "0")
    assert code == 1 and "error[token_unknown]" in out
    code, out = cli("create-pool", "--staking-token", "TUSD", "--key-env", "UNSET_VARIABLE")
    assert code == 1 and "error[configuration_invalid]" in out
    assert "Traceback" not in out
    assert _nonce(activity) == before  # nothing was sent, not even an approval


def test_sale_with_lottery_seed_from_create_to_finalize(
    cli: Any, activity: EarnActivity, tmp_path: Path
) -> None:
    launchpad = activity.launchpad
    activity.send(activity.weth.functions.mint(activity.admin, 5_000 * WETH))
    code, out = cli(
        "create-sale", "--sale-token", "tWETH", "--payment-token", "TUSD", "--price", "0.5",
        "--hard-cap", "1000", "--soft-cap", "100", "--min-buy", "1", "--max-buy", "600",
        "--start", "+1h", "--end", "+2h", "--lottery", "--cliff", "0", "--vesting-duration", "30d",
        "--tge-bps", "2000", "--staking-pool", "0", "--tier", "100:300", "--tier", "250.5:450",
        "--dev-account", "0",
    )  # fmt: skip
    assert code == 0, out
    sale_id = int(re.search(r"sale (\d+) created", out).group(1))  # type: ignore[union-attr]
    assert "deposit at least 2000 sale tokens" in out
    config = launchpad.functions.saleConfig(sale_id).call()
    assert config[11] == TUSD // 2  # price: 0.5 TUSD per 1e18 tWETH base units
    assert (config[12], config[13], config[15]) == (1_000 * TUSD, 100 * TUSD, 600 * TUSD)
    assert launchpad.functions.tiersOf(sale_id).call() == [
        [100 * TUSD, 250_500_000],
        [300 * TUSD, 450 * TUSD],
    ]
    assert config[9] == activity.staking.address and config[10] == 0
    # Tier weights are read the second before the start, a snapshot scheduled on StakingPools.
    assert config[8] == config[1] - 1
    assert activity.staking.functions.isSnapshot(0, config[8]).call()
    assert config[3] is True and tuple(config[16]) == (config[6], 0, 30 * 86400, 2000, False)

    code, out = cli("deposit-sale-tokens", str(sale_id), "--amount", "2000", "--dev-account", "0")
    assert code == 0 and "2000 tWETH deposited" in out, out

    seeds = tmp_path / "data" / "launchpad-seeds"
    code, out = cli("commit-seed", "99", "--dev-account", "0")
    assert code == 1 and "LaunchpadUnknownSale(99)" in out, out
    assert not seeds.exists() or not list(seeds.iterdir())  # a refused commit keeps no seed
    code, out = cli("commit-seed", str(sale_id), "--dev-account", "0")
    assert code == 0, out
    path = Path(re.search(r"the seed is in (\S+) ", out).group(1))  # type: ignore[union-attr]
    record = json.loads(path.read_text())
    seed = bytes.fromhex(record["seed"][2:])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.is_relative_to(tmp_path / "data")
    assert record["seed"][2:] not in out  # never printed when committed
    state = launchpad.functions.saleState(sale_id).call()
    assert state[14] == keccak(seed)

    sale = type("S", (), {"sale_id": sale_id, "start": config[1], "end": config[6]})()
    activity.buy(sale, activity.accounts[3], 500 * TUSD)  # type: ignore[arg-type]
    activity.buy(sale, activity.accounts[4], 600 * TUSD)  # type: ignore[arg-type]
    activity.end(sale)  # type: ignore[arg-type]

    # A seed file of another sale is refused; so is finalizing while the seed may be revealed.
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**record, "sale_id": sale_id + 1}))
    code, out = cli("reveal-seed", str(sale_id), "--seed-file", str(other), "--dev-account", "0")
    assert code == 1 and "error[seed_file_invalid]" in out
    code, out = cli("finalize", str(sale_id), "--dev-account", "0")
    assert code == 1 and "LaunchpadAwaitingReveal" in out, out

    code, out = cli("reveal-seed", str(sale_id), "--show-seed", "--dev-account", "0")
    assert code == 0 and "seed revealed" in out and f"seed {record['seed']}" in out, out
    assert launchpad.functions.saleState(sale_id).call()[3] is True  # seedRevealed
    code, out = cli("finalize", str(sale_id), "--dev-account", "0")
    assert code == 0 and f"sale {sale_id} succeeded" in out, out
    assert launchpad.functions.saleState(sale_id).call()[0] == 2

    # A second reveal is refused on chain (and prints nothing secret).
    code, out = cli("reveal-seed", str(sale_id), "--dev-account", "0")
    assert code == 1 and "error[transaction_reverted]" in out and record["seed"][2:] not in out
    code, out = cli("deposit-sale-tokens", "99", "--amount", "1", "--dev-account", "0")
    assert code == 1 and "LaunchpadUnknownSale(99)" in out, out


def test_attest_kyc_directly_and_by_signed_attestation(
    cli: Any, activity: EarnActivity, tmp_path: Path
) -> None:
    kyc = activity.kyc
    direct, signed = activity.accounts[7], activity.accounts[8]
    code, out = cli(
        "attest-kyc", direct, "--level", "2", "--expires", "+365d", "--dev-account", "0"
    )
    assert code == 0, out
    assert kyc.functions.levelOf(direct).call() == 2

    attestation = tmp_path / "attestation.json"
    code, out = cli(
        "sign-kyc", signed, "--level", "1", "--expires", "+30d", "--deadline", "+1h",
        "--out", str(attestation), "--key-env", "ADMIN_KEY",
    )  # fmt: skip
    assert code == 0, out
    payload = json.loads(attestation.read_text())
    assert payload["typed_data"]["domain"]["verifyingContract"] == kyc.address
    assert payload["attestation"]["nonce"] == kyc.functions.nonces(signed).call()
    assert kyc.functions.levelOf(signed).call() == 0  # signing sends nothing

    # Anyone submits it (dev account 5 pays); it is usable once.
    code, out = cli("submit-kyc", str(attestation), "--dev-account", "5")
    assert code == 0, out
    assert kyc.functions.attestationOf(signed).call()[0] == 1
    code, out = cli("submit-kyc", str(attestation), "--dev-account", "5")
    assert code == 1 and "KYCInvalidNonce" in out, out

    # A key without ATTESTER_ROLE is refused before it signs anything.
    code, out = cli(
        "sign-kyc", signed, "--level", "2", "--expires", "+30d", "--key-env",
        "NOT_AN_ATTESTER_KEY",
    )  # fmt: skip
    assert code == 1 and "error[attester_role_missing]" in out, out
    # A signed attestation altered after signing recovers another signer: refused on chain.
    code, out = cli(
        "sign-kyc", signed, "--level", "1", "--expires", "+30d", "--out", str(attestation),
        "--dev-account", "0",
    )  # fmt: skip
    assert code == 0, out
    payload = json.loads(attestation.read_text())
    payload["attestation"]["level"] = 3
    attestation.write_text(json.dumps(payload))
    code, out = cli("submit-kyc", str(attestation), "--dev-account", "5")
    assert code == 1 and "KYCUnauthorizedSigner" in out, out
    assert kyc.functions.levelOf(signed).call() == 1
