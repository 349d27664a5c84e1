"""``tigerex bridge``: deploy a bridge between chains, run a validator, run the relayer.

Keys never appear on the command line: ``--key-env NAME`` reads a private key from the
environment variable NAME; ``--dev-account N`` uses Anvil's dev account N (local only). The
shared store is the database of ``TIGEREX_DATABASE_URL`` (SQLite by default).
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_account import Account
from eth_account.signers.local import LocalAccount
from rich.console import Console

from offchain.bridge.config import DEFAULT_CONFIRMATIONS, BridgeNetwork, default_config_path
from tigerex.db import make_engine, migrate, session_factory
from tigerex.devchain import dev_accounts
from tigerex.errors import ConfigurationError
from tigerex.settings import get_settings

console = Console(highlight=False, soft_wrap=True)
app = typer.Typer(help="Cross-chain bridge: deploy, validators, relayer.", no_args_is_help=True)

KeyEnv = Annotated[
    str | None, typer.Option("--key-env", help="Environment variable holding the private key.")
]
DevAccount = Annotated[
    int | None, typer.Option("--dev-account", help="Anvil dev account index (local only).")
]
ConfigPath = Annotated[
    Path | None,
    typer.Option("--config", help="Bridge config (default: <deployments>/bridge-local.json)."),
]
PollInterval = Annotated[float, typer.Option(help="Seconds between rounds.")]
NodeOverride = Annotated[
    list[str] | None,
    typer.Option(
        "--rpc-url",
        help="CHAIN_ID=URL: this process's own node for a chain (default: the config's); repeat.",
    ),
]
Once = Annotated[bool, typer.Option(help="One round, then exit.")]


def _account(key_env: str | None, dev_account: int | None) -> LocalAccount:
    if key_env:
        key = os.environ.get(key_env)
        if not key:
            raise ConfigurationError(f"environment variable {key_env} is not set")
        account: LocalAccount = Account.from_key(key)
        return account
    if dev_account is not None:
        if not get_settings().is_local:
            raise ConfigurationError("--dev-account is only for the local network")
        return dev_accounts()[dev_account]
    raise ConfigurationError("give --key-env NAME (or --dev-account N on the local network)")


def _migrate(url: str) -> None:
    """Processes started together may race to create the schema: the loser retries once."""
    from sqlalchemy.exc import DBAPIError

    try:
        migrate(url)
    except DBAPIError:
        time.sleep(1.0)
        migrate(url)


def _config_path(config: Path | None) -> Path:
    return config or default_config_path(get_settings().deployments_dir)


def _load_network(config: Path | None, overrides: list[str] | None) -> BridgeNetwork:
    """The config, with this process's own node URLs: each validator should read the chains
    through nodes it trusts, not through a shared one."""
    network = BridgeNetwork.load(_config_path(config))
    for item in overrides or []:
        chain_id, sep, url = item.partition("=")
        if not sep or not chain_id.strip().isdigit():
            raise ConfigurationError(f"--rpc-url takes CHAIN_ID=URL, got {item!r}")
        network.chain(int(chain_id)).rpc_url = url
    return network


def _run_loop(worker: object, poll_interval: float, once: bool) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if once:
        worker.run_once()  # type: ignore[attr-defined]
        return
    stop = threading.Event()
    try:
        worker.run(stop, poll_interval)  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        stop.set()


@app.command()
def deploy(
    rpc_url: Annotated[
        list[str], typer.Option(help="Node URL of each chain; the first holds the native token.")
    ],
    validator: Annotated[list[str], typer.Option(help="A validator address; repeat.")],
    threshold: Annotated[int, typer.Option(help="Signatures needed (a strict majority).")],
    token: Annotated[
        str | None, typer.Option(help="ERC-20 on the first chain (default: deploy tBRG).")
    ] = None,
    confirmations: Annotated[
        int, typer.Option(help="Blocks on top of a deposit before validators sign it.")
    ] = DEFAULT_CONFIRMATIONS,
    config: ConfigPath = None,
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
) -> None:
    """Deploy a Bridge on every chain, wire them together, list a token; writes the config."""
    from offchain.bridge.deploy import deploy_bridge_network

    deployer = _account(key_env, 0 if key_env is None and dev_account is None else dev_account)
    holders = [str(a.address) for a in dev_accounts()] if get_settings().is_local else []
    network = deploy_bridge_network(
        rpc_urls=rpc_url,
        deployer=deployer,
        validators=validator,
        threshold=threshold,
        token=token,
        mint_to=holders,
        confirmations=confirmations,
    )
    path = _config_path(config)
    network.save(path)
    for chain in network.chains:
        console.print(f"chain {chain.chain_id}: Bridge {chain.bridge} (block {chain.deploy_block})")
    for route in network.tokens:
        console.print(
            f"token {route.origin_token} (chain {route.origin_chain_id}) -> "
            f"{route.bridged_token} (chain {route.remote_chain_id})"
        )
    console.print(f"{network.threshold}-of-{len(network.validators)} validators; config {path}")


@app.command()
def validator(
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
    config: ConfigPath = None,
    confirmations: Annotated[
        int | None, typer.Option(help="Override every chain's confirmation depth.")
    ] = None,
    poll_interval: PollInterval = 0.5,
    once: Once = False,
    rpc_url: NodeOverride = None,
) -> None:
    """Run one validator: sign every final deposit and burn, publish to the shared store."""
    from offchain.bridge.validator import Validator

    account = _account(key_env, dev_account)
    network = _load_network(config, rpc_url)
    url = get_settings().database
    _migrate(url)
    engine = make_engine(url)
    worker = Validator(network, account, session_factory(engine), confirmations=confirmations)
    console.print(f"validator {account.address}: {len(network.chains)} chains, store {url}")
    try:
        _run_loop(worker, poll_interval, once)
    finally:
        engine.dispose()


@app.command()
def relayer(
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
    config: ConfigPath = None,
    poll_interval: PollInterval = 0.5,
    once: Once = False,
    rpc_url: NodeOverride = None,
) -> None:
    """Run the relayer: claim every message with a quorum of signatures (pays the gas)."""
    from offchain.bridge.relayer import Relayer

    account = _account(key_env, dev_account)
    network = _load_network(config, rpc_url)
    url = get_settings().database
    _migrate(url)
    engine = make_engine(url)
    worker = Relayer(network, account, session_factory(engine))
    console.print(f"relayer {account.address}: {len(network.chains)} chains, store {url}")
    try:
        _run_loop(worker, poll_interval, once)
    finally:
        engine.dispose()


# ------------------------------------------------------------------------ tigerex up --bridge

#: The second local chain of `tigerex up --bridge`.
LOCAL_REMOTE_CHAIN_ID = 31338
#: Dev accounts 7-9 are the local validators (2-of-3); dev account 6 relays.
LOCAL_VALIDATOR_ACCOUNTS = (7, 8, 9)
LOCAL_RELAYER_ACCOUNT = 6


def start_local_bridge(
    *, home_rpc_url: str, host: str, log_dir: Path, deployments_dir: Path, env: dict[str, str]
) -> tuple[Any, list[tuple[str, subprocess.Popen[bytes]]], BridgeNetwork, Path]:
    """For ``tigerex up --bridge``: a second Anvil (chain id 31338), a fresh bridge between it
    and the home chain, three validator processes (2-of-3) and the relayer.

    Returns the second node, the started processes (name, process), the network and its config
    path. The caller stops them (processes first, then the node).
    """
    import sys

    from offchain.bridge.deploy import deploy_bridge_network
    from tigerex.node import AnvilNode
    from tigerex.process import spawn

    remote = AnvilNode(
        host=host, chain_id=LOCAL_REMOTE_CHAIN_ID, log_file=log_dir / "anvil-bridge.log"
    )
    remote.start()
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        keys = [dev_accounts()[i] for i in LOCAL_VALIDATOR_ACCOUNTS]
        network = deploy_bridge_network(
            rpc_urls=[home_rpc_url, remote.url],
            deployer=dev_accounts()[0],
            validators=[str(k.address) for k in keys],
            threshold=2,
            mint_to=[str(a.address) for a in dev_accounts()],
        )
        path = default_config_path(deployments_dir)
        network.save(path)
        base = [sys.executable, "-m", "tigerex.cli", "bridge"]
        for n, key in enumerate(keys, start=1):
            log = (log_dir / f"bridge-validator-{n}.log").open("ab")
            args = [*base, "validator", "--key-env", "TIGEREX_BRIDGE_VALIDATOR_KEY"]
            proc = spawn(
                [*args, "--config", str(path)],
                env={
                    **env,
                    "TIGEREX_BRIDGE_VALIDATOR_KEY": "0x" + key.key.hex().removeprefix("0x"),
                },
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            children.append((f"bridge-validator-{n}", proc))
        log = (log_dir / "bridge-relayer.log").open("ab")
        relayer_args = [*base, "relayer", "--dev-account", str(LOCAL_RELAYER_ACCOUNT)]
        proc = spawn(
            [*relayer_args, "--config", str(path)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        children.append(("bridge-relayer", proc))
    except BaseException:
        from tigerex.process import stop

        for _name, child in children:
            stop(child)
        remote.stop()
        raise
    return remote, children, network, path
