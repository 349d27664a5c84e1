"""Deploy the TigerEx suite to any network Ape knows or any JSON-RPC URL.

    ape run deploy --network ethereum:local:foundry
    ape run deploy --network http://127.0.0.1:8545 --deployment local
    tigerex deploy --network local            (the same, through the CLI)

Writes ``deployments/<deployment>.json`` after every contract, so an interrupted run resumes where
it stopped. Re-running is safe: a contract already recorded with code on chain is reported, not
deployed again (``--force`` redeploys). A recorded contract whose code is gone (Anvil restarted)
is deployed again, with a notice.

Deployer key, first match wins: ``--account ALIAS`` (an Ape keystore account; for a
non-interactive run set ``APE_ACCOUNTS_<alias>_PASSPHRASE``), ``TIGEREX_DEPLOYER_PRIVATE_KEY``, or
on a local dev chain (chain id 31337/1337) Anvil's first dev account. Dev keys are refused on any
other chain.

Later features add their contracts to ``SUITE`` (in dependency order) and their idempotent
set-up steps to the spec's ``setup``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand

from tigerex.deployments import ArtifactRef, DeployedContract, DeploymentsFile
from tigerex.devchain import is_dev_key
from tigerex.paths import project_root

LOCAL_CHAIN_IDS = (31337, 1337)
# Dev accounts funded with test tokens on a fresh local deploy, in whole tokens.
LOCAL_FUNDING = {"tWETH": 1_000, "tUSDC": 1_000_000}
LOCAL_FUNDED_ACCOUNTS = 10
# Exchange: the local demo markets, 0.001-unit lots and ticks of 0.01 quote per whole base unit:
# 1 = tWETH/tUSDC, 2 = WETH/tUSDC (WETH is wrapped ETH: dev accounts deposit ETH straight into the
# vault with depositETH).
EXCHANGE_WITHDRAWAL_DELAY = 600
LOCAL_MARKETS: tuple[dict[str, int | str], ...] = tuple(
    {
        "market_id": market_id,
        "base": base,
        "quote": "tUSDC",
        "lot_size": 10**15,
        "tick_size": 10,
        "min_quantity_lots": 1,
        "maker_fee_bps": 10,
        "taker_fee_bps": 20,
    }
    for market_id, base in ((1, "tWETH"), (2, "WETH"))
)


class DeployContext:
    """What the specs can see: the deployer, the chain, what is deployed so far."""

    # A plain class, not a dataclass: Ape loads scripts outside sys.modules, which
    # dataclasses need.
    def __init__(self, deployer: Any, chain_id: int, is_local_chain: bool) -> None:
        self.deployer = deployer
        self.chain_id = chain_id
        self.is_local_chain = is_local_chain
        self.instances: dict[str, Any] = {}

    def address(self, name: str) -> str:
        return str(self.instances[name].address)

    def log(self, message: str) -> None:
        click.echo(f"    {message}")


class ContractSpec(NamedTuple):
    """One contract instance of the suite.

    Args:
        name: Key in the deployments file (several instances may share a contract type).
        contract_type: Ape contract type (the Solidity contract name).
        args: Constructor arguments, computed from the context (earlier instances, deployer).
        setup: Idempotent post-deploy step(s); runs on every deploy run. ``fresh`` is True when
            the instance was just deployed.
        test_only: Deployed only on local dev chains (or with ``--test-tokens``).
    """

    name: str
    contract_type: str
    args: Callable[[DeployContext], list[Any]]
    setup: Callable[[DeployContext, Any, bool], None] | None = None
    test_only: bool = False


def _grant_tusd_minter(ctx: DeployContext, tusd: Any, fresh: bool) -> None:
    minter = os.environ.get("TIGEREX_TUSD_MINTER") or (
        str(ctx.deployer.address) if ctx.is_local_chain else None
    )
    if minter is None:
        ctx.log("TUSD minter not granted: set TIGEREX_TUSD_MINTER to the fiat gateway's address")
        return
    role = tusd.MINTER_ROLE()
    if tusd.hasRole(role, minter):
        return
    tusd.grantRole(role, minter, sender=ctx.deployer)
    ctx.log(f"granted TUSD MINTER_ROLE to {minter}")


def _fund_dev_accounts(ctx: DeployContext, token: Any, fresh: bool) -> None:
    if not (fresh and ctx.is_local_chain):
        return
    whole = LOCAL_FUNDING[token.symbol()]
    amount = whole * 10 ** token.decimals()
    for account in accounts.test_accounts[:LOCAL_FUNDED_ACCOUNTS]:
        token.mint(account.address, amount, sender=ctx.deployer)
    ctx.log(f"minted {whole:,} {token.symbol()} to each of {LOCAL_FUNDED_ACCOUNTS} dev accounts")


# Escrow timing and fee: the seller's time to confirm the fiat before a dispute may be opened,
# the arbiter's time to rule before the fallback (refund to the seller) applies.
ESCROW_FEE_BPS = 50
ESCROW_DISPUTE_DELAY = 60 * 60
ESCROW_ARBITRATION_PERIOD = 7 * 24 * 60 * 60


def _grant_local_role(role_getter: str, env_var: str, purpose: str) -> Callable[..., None]:
    """A setup step granting a role: to the address in ``env_var``, or to the deployer on a local
    dev chain; elsewhere it says which variable to set."""

    def setup(ctx: DeployContext, contract: Any, fresh: bool) -> None:
        holder = os.environ.get(env_var) or (
            str(ctx.deployer.address) if ctx.is_local_chain else None
        )
        if holder is None:
            ctx.log(f"{purpose} not granted: set {env_var}")
            return
        role = getattr(contract, role_getter)()
        if not contract.hasRole(role, holder):
            contract.grantRole(role, holder, sender=ctx.deployer)
            ctx.log(f"granted {role_getter} to {holder}")

    return setup


def _exchange_args(ctx: DeployContext) -> list[Any]:
    fee_recipient = os.environ.get("TIGEREX_FEE_RECIPIENT") or str(ctx.deployer.address)
    return [ctx.deployer.address, ctx.address("WETH"), fee_recipient, EXCHANGE_WITHDRAWAL_DELAY]


def _setup_exchange(ctx: DeployContext, exchange: Any, fresh: bool) -> None:
    _grant_local_role(
        "OPERATOR_ROLE", "TIGEREX_OPERATOR_ADDRESS", "Exchange OPERATOR_ROLE (the relayer's key)"
    )(ctx, exchange, fresh)
    if not ctx.is_local_chain:
        return
    for spec in LOCAL_MARKETS:
        if spec["base"] not in ctx.instances or spec["quote"] not in ctx.instances:
            continue
        market_id = spec["market_id"]
        if exchange.market(market_id).base != "0x0000000000000000000000000000000000000000":
            continue
        exchange.createMarket(
            market_id,
            ctx.address(str(spec["base"])),
            ctx.address(str(spec["quote"])),
            spec["lot_size"],
            spec["tick_size"],
            spec["min_quantity_lots"],
            spec["maker_fee_bps"],
            spec["taker_fee_bps"],
            sender=ctx.deployer,
        )
        ctx.log(f"created market {market_id} = {spec['base']}/{spec['quote']}")


# Staking: the local demo pool (TUSD staked, TUSD rewards, locks of 30/90/180 days boosting
# rewards 1.25x/1.5x/2x, early exit charged 10% streamed to the remaining stakers), funded with
# 100,000 TUSD over 90 days.
STAKING_DEMO_LOCKS = [30 * 24 * 60 * 60, 90 * 24 * 60 * 60, 180 * 24 * 60 * 60]
STAKING_DEMO_BOOSTS_BPS = [12_500, 15_000, 20_000]
STAKING_DEMO_EXIT_POLICY = 2  # IStakingPools.ExitPolicy.PenaltyToStakers
STAKING_DEMO_PENALTY_BPS = 1_000
STAKING_DEMO_REWARD_TUSD = 100_000
STAKING_DEMO_REWARD_DURATION = 90 * 24 * 60 * 60


def _staking_args(ctx: DeployContext) -> list[Any]:
    treasury = (
        os.environ.get("TIGEREX_STAKING_TREASURY")
        or os.environ.get("TIGEREX_FEE_RECIPIENT")
        or str(ctx.deployer.address)
    )
    return [ctx.deployer.address, treasury]


def _setup_staking(ctx: DeployContext, staking: Any, fresh: bool) -> None:
    _grant_local_role(
        "REWARD_DISTRIBUTOR_ROLE",
        "TIGEREX_STAKING_REWARD_DISTRIBUTOR",
        "staking REWARD_DISTRIBUTOR_ROLE",
    )(ctx, staking, fresh)
    _grant_local_role("PAUSER_ROLE", "TIGEREX_STAKING_PAUSER", "staking PAUSER_ROLE")(
        ctx, staking, fresh
    )
    if not ctx.is_local_chain or staking.poolCount() != 0:
        return
    tusd = ctx.instances["TUSD"]
    if not tusd.hasRole(tusd.MINTER_ROLE(), ctx.deployer.address):
        ctx.log("staking demo pool skipped: the deployer cannot mint TUSD")
        return
    staking.createPool(
        tusd.address,
        STAKING_DEMO_LOCKS,
        STAKING_DEMO_BOOSTS_BPS,
        STAKING_DEMO_EXIT_POLICY,
        STAKING_DEMO_PENALTY_BPS,
        sender=ctx.deployer,
    )
    reward = STAKING_DEMO_REWARD_TUSD * 10 ** tusd.decimals()
    tusd.mint(
        ctx.deployer.address, reward, b"staking demo rewards".ljust(32, b"\0"), sender=ctx.deployer
    )
    tusd.approve(staking.address, reward, sender=ctx.deployer)
    staking.notifyRewardAmount(
        0, tusd.address, reward, STAKING_DEMO_REWARD_DURATION, sender=ctx.deployer
    )
    ctx.log(
        f"created staking pool 0 (TUSD, locks 30/90/180 days) funded with "
        f"{STAKING_DEMO_REWARD_TUSD:,} TUSD over 90 days"
    )


# Launchpad: the platform fee on sale proceeds (bps) and how long after a sale's end its lottery
# seed may be revealed. Each sale names its own staking-weights source (SaleParams.staking); the
# suite's StakingPools lets the launchpad schedule the snapshots of tiered sales (SNAPSHOT_ROLE).
LAUNCHPAD_FEE_BPS = 250
LAUNCHPAD_REVEAL_WINDOW = 2 * 24 * 60 * 60


def _setup_vesting_vault(ctx: DeployContext, vault: Any, fresh: bool) -> None:
    _grant_local_role(
        "SCHEDULER_ROLE", "TIGEREX_VESTING_SCHEDULER", "VestingVault SCHEDULER_ROLE (team grants)"
    )(ctx, vault, fresh)
    revoker = _grant_local_role(
        "REVOKER_ROLE", "TIGEREX_VESTING_REVOKER", "VestingVault REVOKER_ROLE"
    )
    revoker(ctx, vault, fresh)


def _launchpad_args(ctx: DeployContext) -> list[Any]:
    fee_recipient = os.environ.get("TIGEREX_FEE_RECIPIENT") or str(ctx.deployer.address)
    return [
        ctx.deployer.address,
        ctx.address("KYCRegistry"),
        ctx.address("VestingVault"),
        fee_recipient,
        LAUNCHPAD_FEE_BPS,
        LAUNCHPAD_REVEAL_WINDOW,
    ]


def _setup_launchpad(ctx: DeployContext, launchpad: Any, fresh: bool) -> None:
    # The launchpad creates each buyer's vesting schedule in the vault.
    vault = ctx.instances["VestingVault"]
    role = vault.SCHEDULER_ROLE()
    if not vault.hasRole(role, launchpad.address):
        vault.grantRole(role, launchpad.address, sender=ctx.deployer)
        ctx.log(f"granted VestingVault SCHEDULER_ROLE to the Launchpad {launchpad.address}")
    # A tiered sale schedules its snapshot on the staking contract when it is created.
    staking = ctx.instances.get("StakingPools")
    if staking is not None:
        role = staking.SNAPSHOT_ROLE()
        if not staking.hasRole(role, launchpad.address):
            staking.grantRole(role, launchpad.address, sender=ctx.deployer)
            ctx.log(f"granted StakingPools SNAPSHOT_ROLE to the Launchpad {launchpad.address}")
    _grant_local_role(
        "SALE_MANAGER_ROLE", "TIGEREX_LAUNCHPAD_MANAGER", "Launchpad SALE_MANAGER_ROLE"
    )(ctx, launchpad, fresh)


SUITE: list[ContractSpec] = [
    ContractSpec(
        name="TUSD",
        contract_type="TigerUSD",
        args=lambda ctx: [ctx.deployer.address],
        setup=_grant_tusd_minter,
    ),
    ContractSpec(
        name="tWETH",
        contract_type="TestToken",
        args=lambda ctx: ["Test Wrapped Ether", "tWETH", 18, ctx.deployer.address],
        setup=_fund_dev_accounts,
        test_only=True,
    ),
    ContractSpec(
        name="tUSDC",
        contract_type="TestToken",
        args=lambda ctx: ["Test USD Coin", "tUSDC", 6, ctx.deployer.address],
        setup=_fund_dev_accounts,
        test_only=True,
    ),
    ContractSpec(
        name="KYCRegistry",
        contract_type="KYCRegistry",
        args=lambda ctx: [ctx.deployer.address],
        setup=_grant_local_role("ATTESTER_ROLE", "TIGEREX_KYC_ATTESTER", "KYC ATTESTER_ROLE"),
    ),
    ContractSpec(
        name="Escrow",
        contract_type="Escrow",
        args=lambda ctx: [
            ctx.deployer.address,
            ctx.address("KYCRegistry"),
            ESCROW_FEE_BPS,
            ESCROW_DISPUTE_DELAY,
            ESCROW_ARBITRATION_PERIOD,
        ],
        setup=_grant_local_role("ARBITER_ROLE", "TIGEREX_ESCROW_ARBITER", "escrow ARBITER_ROLE"),
    ),
    ContractSpec(
        name="MultisigFactory",
        contract_type="MultisigFactory",
        args=lambda ctx: [],
    ),
    ContractSpec(name="WETH", contract_type="WrappedEther", args=lambda ctx: []),
    ContractSpec(
        name="Exchange",
        contract_type="Exchange",
        args=_exchange_args,
        setup=_setup_exchange,
    ),
    ContractSpec(
        name="StakingPools",
        contract_type="StakingPools",
        args=_staking_args,
        setup=_setup_staking,
    ),
    ContractSpec(
        name="VestingVault",
        contract_type="VestingVault",
        args=lambda ctx: [ctx.deployer.address],
        setup=_setup_vesting_vault,
    ),
    ContractSpec(
        name="Launchpad",
        contract_type="Launchpad",
        args=_launchpad_args,
        setup=_setup_launchpad,
    ),
]


def fail(message: str) -> None:
    click.echo(f"error[deploy_failed]: {message}", err=True)
    sys.exit(1)


def _deployment_name(network: Any, chain_id: int) -> str:
    if network.name in ("custom", "local"):
        return "local" if chain_id in LOCAL_CHAIN_IDS else f"chain-{chain_id}"
    return str(network.name)


def _load_deployer(account_alias: str | None, is_local_chain: bool) -> Any:
    if account_alias:
        return accounts.load(account_alias)
    key = os.environ.get("TIGEREX_DEPLOYER_PRIVATE_KEY")
    if key:
        if is_dev_key(key) and not is_local_chain:
            fail("TIGEREX_DEPLOYER_PRIVATE_KEY is a public dev key; refused on a non-local chain")
        from ape_accounts.accounts import ApeSigner

        return ApeSigner(private_key=key)
    if is_local_chain:
        return accounts.test_accounts[0]
    fail("no deployer: pass --account ALIAS (Ape keystore) or set TIGEREX_DEPLOYER_PRIVATE_KEY")


def _has_code(provider: Any, address: str) -> bool:
    return bool(provider.get_code(address))


def deploy_suite(
    provider: Any,
    *,
    deployment: str,
    deployments_dir: Path,
    force: bool,
    account_alias: str | None,
    test_tokens: bool | None,
) -> DeploymentsFile:
    chain_id = provider.chain_id
    is_local_chain = chain_id in LOCAL_CHAIN_IDS
    path = deployments_dir / f"{deployment}.json"
    deployer = _load_deployer(account_alias, is_local_chain)

    if path.is_file():
        record = DeploymentsFile.load(path)
        if record.chain_id != chain_id:
            if not force:
                fail(
                    f"{path} is for chain {record.chain_id} but the node is chain {chain_id}: "
                    "use another --deployment name, or --force to replace it"
                )
            record = DeploymentsFile(network=deployment, chain_id=chain_id)
    else:
        record = DeploymentsFile(network=deployment, chain_id=chain_id)
    record.deployer = deployer.address

    ctx = DeployContext(deployer=deployer, chain_id=chain_id, is_local_chain=is_local_chain)
    click.echo(
        f"Deploying the TigerEx suite to '{deployment}' (chain {chain_id}) as {deployer.address}"
    )
    include_test_only = is_local_chain if test_tokens is None else test_tokens
    specs = [s for s in SUITE if include_test_only or not s.test_only]
    for index, spec in enumerate(specs, start=1):
        container = project.get_contract(spec.contract_type)
        existing = record.contracts.get(spec.name)
        prefix = f"[{index}/{len(specs)}] {spec.name} ({spec.contract_type})"
        fresh = True
        if existing and not force and _has_code(provider, existing.address):
            instance = container.at(existing.address)
            click.echo(f"{prefix}: already deployed at {existing.address}")
            fresh = False
        else:
            if existing and not force:
                click.echo(f"{prefix}: recorded {existing.address} has no code (chain reset?)")
            started = time.monotonic()
            args = spec.args(ctx)
            instance = deployer.deploy(container, *args)
            receipt = provider.get_receipt(instance.txn_hash)
            record.contracts[spec.name] = DeployedContract(
                address=instance.address,
                tx_hash=str(instance.txn_hash),
                block_number=receipt.block_number,
                artifact=ArtifactRef(
                    contract_type=spec.contract_type,
                    source_id=container.contract_type.source_id,
                ),
                constructor_args=[str(a) if isinstance(a, bytes) else a for a in args],
                deployed_at=datetime.now(UTC),
            )
            record.save(path)
            click.echo(
                f"{prefix}: deployed at {instance.address} in block {receipt.block_number} "
                f"({time.monotonic() - started:.1f} s)"
            )
        ctx.instances[spec.name] = instance
        if spec.setup:
            spec.setup(ctx, instance, fresh)
    record.save(path)
    click.echo(f"Wrote {path}")
    return record


@click.command(cls=ConnectedProviderCommand)
@click.option("--deployment", help="Deployments file name (default: from the network).")
@click.option(
    "--deployments-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("TIGEREX_DEPLOYMENTS_DIR") or project_root() / "deployments",
    show_default="deployments/",
)
@click.option("--force", is_flag=True, help="Redeploy everything even if already deployed.")
@click.option("--account", "account_alias", help="Ape keystore account alias of the deployer.")
@click.option(
    "--test-tokens/--no-test-tokens",
    default=None,
    help="Deploy the mintable test tokens (default: only on a local dev chain).",
)
def cli(
    provider: Any,
    network: Any,
    deployment: str | None,
    deployments_dir: Path,
    force: bool,
    account_alias: str | None,
    test_tokens: bool | None,
) -> None:
    """Deploy the TigerEx suite and record it in deployments/<deployment>.json."""
    deploy_suite(
        provider,
        deployment=deployment or _deployment_name(network, provider.chain_id),
        deployments_dir=deployments_dir,
        force=force,
        account_alias=account_alias,
        test_tokens=test_tokens,
    )
