"""``tigerex``: the command line for running and operating TigerEx locally.

Every command prints ``error[<code>]: <what to do>`` and exits 1 on a known failure instead of a
traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tigerex import __version__
from tigerex.devchain import DEV_CHAIN_ID, dev_accounts
from tigerex.errors import TigerexError, ToolchainMissing
from tigerex.paths import project_root

# Off a terminal rich assumes 80 columns and would truncate addresses in tables.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
app = typer.Typer(
    help="TigerEx: on-chain-first DEX and DeFi suite.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _register_service_commands() -> None:
    """Each service's command group, under its own name."""
    from offchain.custody.cli import app as multisig_app

    app.add_typer(multisig_app, name="multisig")
    from offchain.bridge.cli import app as bridge_app

    app.add_typer(bridge_app, name="bridge")

    from relayer.settlement_cli import app as settlement_app

    app.add_typer(settlement_app, name="settlement")

    from offchain.earn.cli import app as earn_app

    app.add_typer(earn_app, name="earn")


def _fail(code: str, message: str) -> typer.Exit:
    console.print(f"[red]error\\[{code}][/red]: {escape(message)}", soft_wrap=True)
    return typer.Exit(1)


def step(index: int, total: int, message: str) -> None:
    console.print(f"[bold cyan][{index}/{total}][/bold cyan] {message}")


@contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    console.print(f"      {label} in {time.monotonic() - started:.1f} s")


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops us like Ctrl-C does: children are stopped in order either way."""

    def _raise(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _port_or_free(preferred: int | None, default: int, host: str) -> int:
    from tigerex.node import free_port

    if preferred is not None:
        return preferred
    import socket

    with socket.socket() as sock:
        try:
            sock.bind((host, default))
            return default
        except OSError:
            return free_port(host)


def _print_dev_accounts(count: int = 10) -> None:
    table = Table(title="Dev accounts (public keys of the dev mnemonic: local use only)")
    table.add_column("#", justify="right")
    table.add_column("address")
    table.add_column("private key")
    for i, acct in enumerate(dev_accounts(count)):
        table.add_row(str(i), acct.address, "0x" + acct.key.hex().removeprefix("0x"))
    console.print(table)


def _print_deployments(path: Path) -> None:
    from tigerex.deployments import DeploymentsFile

    record = DeploymentsFile.load(path)
    table = Table(title=f"{path.name} (chain {record.chain_id})")
    for column in ("contract", "type", "address", "block", "tx"):
        table.add_column(column, no_wrap=column in ("address", "tx"))
    for name, entry in sorted(record.contracts.items()):
        table.add_row(
            name,
            entry.artifact.contract_type,
            entry.address,
            str(entry.block_number),
            entry.tx_hash[:18] + "…",
        )
    console.print(table)


def _ensure_toolchain() -> None:
    from tigerex.toolchain import ensure

    ensure()


# --------------------------------------------------------------------------------------- node


@app.command()
def node(
    port: Annotated[int | None, typer.Option(help="Port (default: a free one).")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    chain_id: Annotated[int, typer.Option(help="Chain id.")] = DEV_CHAIN_ID,
    block_time: Annotated[
        float | None, typer.Option(help="Seconds per block (default: mine on each tx).")
    ] = None,
) -> None:
    """Start a local Anvil node and print its URL and dev accounts; Ctrl-C stops it."""
    from tigerex.node import AnvilNode

    _ensure_toolchain()
    anvil = AnvilNode(host=host, port=port, chain_id=chain_id, block_time=block_time)
    with sigterm_as_interrupt():
        try:
            anvil.start()
            console.print(f"Anvil listening on [bold]{anvil.url}[/bold] (chain id {chain_id})")
            _print_dev_accounts()
            console.print("Ctrl-C to stop.")
            while anvil.is_running:
                time.sleep(0.2)
            raise _fail("node_exited", "Anvil exited unexpectedly")
        except KeyboardInterrupt:
            console.print("stopping Anvil")
        finally:
            anvil.stop()


# ------------------------------------------------------------------------------------- deploy


def _resolve_network(network: str, rpc_url: str | None) -> tuple[str, str | None]:
    """``local`` -> the settings' RPC URL; a URL stays; anything else is an Ape network choice.
    Returns (ape network choice, RPC URL to pre-check or None)."""
    from tigerex.settings import get_settings

    if network == "local":
        url = rpc_url or get_settings().rpc_url
        return url, url
    if "://" in network:
        return network, network
    return network, None


def run_deploy(
    network: str,
    *,
    rpc_url: str | None = None,
    deployment: str | None = None,
    deployments_dir: Path | None = None,
    force: bool = False,
    account: str | None = None,
    quiet_ape: bool = True,
) -> Path:
    """Run ``scripts/deploy.py`` through ``ape run`` and return the deployments file written."""
    from tigerex.node import rpc_call
    from tigerex.settings import get_settings

    choice, url = _resolve_network(network, rpc_url)
    if url is not None:
        chain_id = int(rpc_call(url, "eth_chainId"), 16)
        if deployment is None and network == "local":
            deployment = "local"
        elif deployment is None:
            deployment = "local" if chain_id in (31337, 1337) else f"chain-{chain_id}"
    deployments_dir = deployments_dir or get_settings().deployments_dir
    ape = Path(sys.executable).with_name("ape")
    if not ape.exists():
        raise ToolchainMissing("ape is not installed in this environment: run scripts/bootstrap.sh")
    args = [
        str(ape),
        "run",
        "deploy",
        "--network",
        choice,
        "--deployments-dir",
        str(deployments_dir),
    ]
    if deployment:
        args += ["--deployment", deployment]
    if force:
        args.append("--force")
    if account:
        args += ["--account", account]
    if quiet_ape:
        args += ["-v", "WARNING"]
    completed = subprocess.run(args, cwd=project_root(), check=False)
    if completed.returncode != 0:
        raise TigerexError(f"deploy script failed (exit {completed.returncode}); see output above")
    if deployment is None:
        # An Ape network choice: the script named the file after the network.
        deployment = choice.split(":")[1] if choice.count(":") >= 1 else choice
    return deployments_dir / f"{deployment}.json"


def _sync_database(network: str) -> dict[str, Any]:
    """Run the sync task here and now: the operator is waiting for it, and a configured broker
    may have no worker running yet. Workers run the same task when services queue it."""
    from tigerex.tasks import sync_deployments

    result: dict[str, Any] = sync_deployments.apply(args=(network,)).get()
    return result


@app.command()
def deploy(
    network: Annotated[
        str,
        typer.Option(
            help="'local' (TIGEREX_RPC_URL), a JSON-RPC URL, or an Ape network choice "
            "(e.g. ethereum:sepolia:node)."
        ),
    ] = "local",
    rpc_url: Annotated[str | None, typer.Option(help="Node URL for --network local.")] = None,
    deployment: Annotated[
        str | None, typer.Option(help="Name of deployments/<name>.json (default: from network).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Redeploy even what is already deployed.")] = False,
    account: Annotated[str | None, typer.Option(help="Ape keystore account alias.")] = None,
    sync_db: Annotated[bool, typer.Option(help="Mirror the result into the database.")] = True,
) -> None:
    """Compile and deploy the whole suite; prints the address table."""
    from tigerex.node import rpc_call
    from tigerex.toolchain import compile_contracts

    _choice, url = _resolve_network(network, rpc_url)
    if url is not None:
        rpc_call(url, "eth_chainId")  # an unreachable node fails here, before a compile
    compile_contracts()
    path = run_deploy(network, rpc_url=rpc_url, deployment=deployment, force=force, account=account)
    _print_deployments(path)
    if sync_db:
        os.environ.setdefault("TIGEREX_NETWORK", path.stem)
        result = _sync_database(path.stem)
        console.print(
            f"database: {result['contracts']} contracts recorded for chain {result['chain_id']}"
        )


# -------------------------------------------------------------------------------------- index


def _index_configs(
    networks: list[str],
    rpc_urls: list[str],
    *,
    from_block: int | None,
    confirmations: int | None,
    options: dict[str, Any],
) -> list[Any]:
    from indexer.config import chain_from_deployments
    from tigerex.errors import ConfigurationError
    from tigerex.settings import get_settings

    settings = get_settings()
    if len(rpc_urls) > len(networks):
        raise ConfigurationError(
            f"{len(rpc_urls)} --rpc-url for {len(networks)} --network: give one URL per network"
        )
    configs = []
    for n, name in enumerate(networks):
        url = rpc_urls[n] if n < len(rpc_urls) else settings.rpc_url
        configs.append(
            chain_from_deployments(
                settings.deployments_dir / f"{name}.json",
                rpc_url=url,
                confirmations=confirmations,
                from_block=from_block,
                rpc_timeout=settings.rpc_timeout,
                **options,
            )
        )
    if len({c.chain_id for c in configs}) != len(configs):
        raise ConfigurationError("two --network files are for the same chain id")
    return configs


@app.command()
def index(
    network: Annotated[
        list[str],
        typer.Option(help="deployments/<network>.json to follow; repeat for several chains."),
    ] = ["local"],  # noqa: B006  (typer reads the default; it is never mutated)
    rpc_url: Annotated[
        list[str] | None,
        typer.Option(help="Node URL per --network, in order (default: TIGEREX_RPC_URL)."),
    ] = None,
    from_block: Annotated[
        int | None, typer.Option(help="Start block when nothing is indexed (default: deploy).")
    ] = None,
    confirmations: Annotated[
        int | None,
        typer.Option(help="Depth after which blocks are final (default: per chain, 1 locally)."),
    ] = None,
    follow: Annotated[
        bool, typer.Option(help="Keep following the head after the backfill.")
    ] = True,
    max_range: Annotated[
        int, typer.Option(help="Largest eth_getLogs block range (it adapts below this).")
    ] = 20_000,
    poll_interval: Annotated[float, typer.Option(help="Seconds between head polls.")] = 0.5,
) -> None:
    """Index every event of the deployed contracts into the database: backfill, then follow.

    Safe to stop at any moment (Ctrl-C or kill) and to run again: it resumes at its checkpoint.
    """
    import logging
    import threading

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from indexer.engine import ChainStats, run_chains
    from tigerex.db import make_engine, migrate
    from tigerex.settings import get_settings

    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_settings()
    configs = _index_configs(
        network,
        rpc_url or [],
        from_block=from_block,
        confirmations=confirmations,
        options={
            "max_range": max_range,
            "initial_range": min(500, max_range),
            "poll_interval": poll_interval,
        },
    )
    migrate(settings.database)
    engine = make_engine(settings.database)
    for config in configs:
        console.print(
            f"indexing chain {config.chain_id} ({config.network}) from block "
            f"{config.start_block}: {', '.join(c.name for c in config.contracts)}; "
            f"{config.confirmations} confirmation(s); database {engine.url.render_as_string()}"
        )
    stop = threading.Event()
    interactive = console.is_terminal
    progress = Progress(
        TextColumn("chain {task.fields[chain]}"),
        BarColumn(),
        TextColumn("block {task.completed:,.0f}/{task.total:,.0f}"),
        TextColumn("{task.fields[events]:,} events  {task.fields[eps]:,.0f} ev/s"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not interactive,
    )
    tasks: dict[int, Any] = {}
    caught_up: set[int] = set()
    last_line = [0.0]

    def report(stats: ChainStats) -> None:
        done = stats.indexed_block - stats.start_block + 1
        total = max(stats.head_block - stats.start_block + 1, done, 1)
        if stats.chain_id not in tasks:
            tasks[stats.chain_id] = progress.add_task(
                "index", total=total, chain=stats.chain_id, events=0, eps=0.0
            )
        progress.update(
            tasks[stats.chain_id],
            completed=done,
            total=total,
            events=stats.events_total,
            eps=stats.events_per_second,
        )
        at_head = stats.lag == 0
        now = time.monotonic()
        if at_head and stats.chain_id not in caught_up:
            caught_up.add(stats.chain_id)
            console.print(
                f"chain {stats.chain_id}: caught up at block {stats.indexed_block:,} "
                f"({stats.events_total:,} events)" + ("; following the head" if follow else "")
            )
        elif not interactive and now - last_line[0] > 10:
            last_line[0] = now
            console.print(
                f"chain {stats.chain_id}: block {stats.indexed_block:,}/{stats.head_block:,}, "
                f"{stats.events_total:,} events, {stats.events_per_second:,.0f} ev/s"
            )

    with sigterm_as_interrupt():
        try:
            with progress:
                results = run_chains(configs, engine, follow=follow, stop=stop, progress=report)
            for stats in results:
                console.print(
                    f"chain {stats.chain_id}: indexed to block {stats.indexed_block:,} "
                    f"({stats.events_total:,} events, {stats.unknown_total:,} undecoded, "
                    f"{stats.reorgs_total} reorg(s))"
                )
        except KeyboardInterrupt:
            stop.set()
            console.print("indexer stopped; it resumes from its checkpoint on the next run")
        finally:
            engine.dispose()


# ----------------------------------------------------------------------------------------- up


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise TigerexError(f"service exited (code {proc.returncode}) before answering {url}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TigerexError(f"{url} did not answer within {timeout:.0f} s")


def _seed_relayer_demo_book(api_url: str, rpc_url: str) -> None:
    """A few signed orders on each empty market, so the relayer shows a live book."""
    from relayer.demo import seed_demo_book

    try:
        placed = seed_demo_book(api_url, rpc_url)
    except Exception as err:  # a demo nicety: report it, never stop `up` for it
        console.print(f"      relayer demo book not seeded: {escape(str(err))}")
        return
    console.print(f"      relayer: {placed} demo orders (dev accounts 8 and 9) on empty markets")


@app.command()
def up(
    rpc_port: Annotated[
        int | None, typer.Option(help="Anvil port (default 8545 or a free one).")
    ] = None,
    api_port: Annotated[
        int | None, typer.Option(help="API port (default 8000 or a free one).")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface for every service.")] = "127.0.0.1",
    block_time: Annotated[
        float | None, typer.Option(help="Seconds per block (default: mine on each tx).")
    ] = None,
    fresh: Annotated[
        bool, typer.Option(help="Discard the saved chain state and start over.")
    ] = False,
    data_dir: Annotated[
        Path | None, typer.Option(help="Chain state, database and logs (default: .data/).")
    ] = None,
    bridge: Annotated[
        bool,
        typer.Option(
            "--bridge",
            help="Also a second Anvil (chain id 31338), a bridge, 3 validators and a relayer.",
        ),
    ] = False,
) -> None:
    """The main job: a local chain with everything deployed and the services up.

    The chain state is saved in the data folder on exit and loaded on the next start, so
    deployments and balances survive a restart (--fresh starts over). Ctrl-C stops everything.
    """
    from tigerex.node import AnvilNode
    from tigerex.process import child_env, spawn, stop
    from tigerex.settings import get_settings

    settings = get_settings()
    data = (data_dir or settings.data_dir).resolve()
    state_file = data / "anvil" / "state.json"
    if fresh:
        state_file.unlink(missing_ok=True)
        (data / "tigerex.db").unlink(missing_ok=True)
    deployments_dir = data / "deployments" if data_dir else settings.deployments_dir
    total = 6
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    anvil: AnvilNode | None = None
    extra_nodes: list[AnvilNode] = []  # the bridge's second chain
    with sigterm_as_interrupt():
        try:
            step(1, total, "toolchain: solc (npm, WebAssembly) and Anvil (npm)")
            _ensure_toolchain()

            port = _port_or_free(rpc_port, 8545, host)
            state_file.parent.mkdir(parents=True, exist_ok=True)
            step(
                2,
                total,
                f"chain: Anvil on {host}:{port}"
                + (" (restoring saved state)" if state_file.exists() else ""),
            )
            anvil = AnvilNode(
                host=host,
                port=port,
                block_time=block_time,
                log_file=data / "logs" / "anvil.log",
                extra_args=["--state", str(state_file), "--state-interval", "10"],
            )
            with timed("Anvil ready"):
                anvil.start()

            step(3, total, "contracts: compile (only what changed)")
            from tigerex.toolchain import compile_contracts

            with timed("compiled"):
                compile_contracts()

            step(4, total, "contracts: deploy (reports what is already deployed)")
            with timed("deploy done"):
                path = run_deploy(anvil.url, deployment="local", deployments_dir=deployments_dir)
            _print_deployments(path)

            env = child_env(
                TIGEREX_NETWORK="local",
                TIGEREX_RPC_URL=anvil.url,
                TIGEREX_CHAIN_ID=str(anvil.chain_id),
                TIGEREX_DATA_DIR=str(data),
                TIGEREX_DEPLOYMENTS_DIR=str(deployments_dir),
            )
            os.environ.update({k: v for k, v in env.items() if k.startswith("TIGEREX_")})
            get_settings.cache_clear()

            step(5, total, f"database: migrate and record deployments ({get_settings().database})")
            with timed("database ready"):
                result = _sync_database("local")
            console.print(f"      {result['contracts']} contracts recorded")

            api = _port_or_free(api_port, get_settings().api_port, host)
            step(6, total, f"services: API on {host}:{api}")
            log_dir = data / "logs"
            api_log = (log_dir / "api.log").open("ab")
            api_proc = spawn(
                [
                    sys.executable, "-m", "uvicorn", "tigerex.api:create_app", "--factory",
                    "--host", host, "--port", str(api), "--log-level", "warning",
                ],
                env=env,
                stdout=api_log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            children.append(("api", api_proc))
            base = f"http://{host}:{api}"
            _wait_http(f"{base}/health", api_proc)
            _seed_relayer_demo_book(base, anvil.url)

            step(6, total, "indexer: every contract event into the database, following the head")
            indexer_log = (log_dir / "indexer.log").open("ab")
            indexer_proc = spawn(
                [sys.executable, "-m", "tigerex.cli", "index", "--network", "local", "--follow"],
                env={**env, "COLUMNS": "120"},
                stdout=indexer_log,
                stderr=subprocess.STDOUT,
            )
            children.append(("indexer", indexer_proc))

            step(
                6,
                total,
                "settlement: the relayer's fills to the Exchange (operator: dev account 0)",
            )
            settlement_log = (log_dir / "settlement.log").open("ab")
            settlement_proc = spawn(
                [sys.executable, "-m", "tigerex.cli", "settlement", "run"],
                # Anvil mining on each transaction makes no block until the next transaction, so
                # a deeper confirmation depth would wait for activity; 1 = mined.
                env=env if block_time else {"TIGEREX_SETTLEMENT_CONFIRMATIONS": "1", **env},
                stdout=settlement_log,
                stderr=subprocess.STDOUT,
            )
            children.append(("settlement", settlement_proc))

            bridge_lines: list[str] = []
            if bridge:
                from offchain.bridge.cli import start_local_bridge

                step(6, total, "bridge: second Anvil, Bridge on both chains, 2-of-3 validators")
                remote, bridge_children, network, bridge_config = start_local_bridge(
                    home_rpc_url=anvil.url,
                    host=host,
                    log_dir=log_dir,
                    deployments_dir=deployments_dir,
                    env=env,
                )
                extra_nodes.append(remote)
                children.extend(bridge_children)
                bridge_lines = [
                    f"  bridge chain  {remote.url}  (chain id {remote.chain_id})",
                    *(f"  Bridge        {c.bridge}  (chain {c.chain_id})" for c in network.chains),
                    f"  bridge config {bridge_config}",
                ]

            console.print()
            console.print("[bold green]TigerEx is up.[/bold green]")
            console.print(f"  chain RPC     {anvil.url}  (chain id {anvil.chain_id})")
            console.print(f"  API           {base}")
            console.print(f"  health        {base}/health")
            console.print(f"  API docs      {base}/docs")
            console.print(f"  indexer       {base}/indexer/status")
            console.print(f"  relayer       {base}/relayer/markets  (WebSocket {base}/relayer/ws)")
            console.print(
                f"  settlement    tigerex settlement status  (log {log_dir / 'settlement.log'})"
            )
            console.print(f"  deployments   {path}")
            for line in bridge_lines:
                console.print(line)
            console.print(f"  logs          {log_dir}")
            console.print("Ctrl-C stops everything.")
            while True:
                for name, proc in children:
                    if proc.poll() is not None:
                        log = log_dir / f"{name}.log"
                        raise _fail(
                            "service_exited", f"{name} exited ({proc.returncode}); see {log}"
                        )
                if not anvil.is_running or not all(n.is_running for n in extra_nodes):
                    raise _fail("node_exited", f"Anvil exited; see {log_dir / 'anvil.log'}")
                time.sleep(0.5)
        except KeyboardInterrupt:
            console.print("\nstopping services")
        finally:
            for _name, proc in reversed(children):
                stop(proc)
            for extra in extra_nodes:
                extra.stop()
            if anvil is not None:
                anvil.stop()
    console.print("stopped; chain state saved to " + str(state_file))


# ----------------------------------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from tigerex.db import current_revision, migrate
    from tigerex.settings import get_settings

    url = get_settings().database
    migrate(url, revision)
    console.print(f"{url}: at revision {current_revision(url)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. base.")],
) -> None:
    """Revert migrations down to REVISION."""
    from tigerex.db import current_revision, downgrade
    from tigerex.settings import get_settings

    url = get_settings().database
    downgrade(url, revision)
    console.print(f"{url}: at revision {current_revision(url)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's current revision."""
    from tigerex.db import current_revision
    from tigerex.settings import get_settings

    url = get_settings().database
    console.print(f"{url}: at revision {current_revision(url)}")


# --------------------------------------------------------------------------------------- test


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def test(
    ctx: typer.Context,
    lint: Annotated[bool, typer.Option(help="Run ruff and mypy first.")] = True,
    anvil_phase: Annotated[
        bool, typer.Option("--anvil/--no-anvil", help="Run the contract tests on Anvil too.")
    ] = True,
) -> None:
    """Run the whole test suite: lint, every test (contracts on the in-process chain, but for
    the Hypothesis state machines), then the contract tests again on Anvil, state machines
    included. Extra arguments go to pytest."""
    root = project_root()
    bin_dir = Path(sys.executable).parent
    phases: list[tuple[str, list[str]]] = [("compile contracts", [str(bin_dir / "ape"), "compile"])]
    if lint:
        phases.append(("ruff", [str(bin_dir / "ruff"), "check", "."]))
        phases.append(("mypy", [str(bin_dir / "mypy")]))
    # The contract state machines take minutes on the in-process chain and prove nothing
    # there that the Anvil phase does not: they run once, on the real node.
    in_process = ["-m", "not stateful"] if anvil_phase else []
    phases.append(("pytest (all tests)", [sys.executable, "-m", "pytest", *in_process, *ctx.args]))
    if anvil_phase:
        phases.append(
            (
                "pytest (contract tests on Anvil)",
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "tests/contracts",
                    "--network",
                    "ethereum:local:foundry",
                    *ctx.args,
                ],
            )
        )
    failed: list[str] = []
    for index, (label, args) in enumerate(phases, start=1):
        step(index, len(phases), label)
        started = time.monotonic()
        code = subprocess.run(args, cwd=root, check=False).returncode
        # pytest exit 5 = no tests collected: a phase that ran nothing is a failure here.
        if code != 0:
            failed.append(f"{label} (exit {code})")
        verdict = "ok" if code == 0 else "FAILED"
        console.print(f"      {label}: {verdict} in {time.monotonic() - started:.0f} s")
    if failed:
        console.print(f"[red]failed:[/red] {', '.join(failed)}")
        raise typer.Exit(1)
    console.print("[green]all phases passed[/green]")


@app.command()
def version() -> None:
    """Print the TigerEx version."""
    console.print(__version__)


def main() -> None:
    """Entry point. Kernel errors from any command group (services' too) print as one line."""
    try:
        app()
    except TigerexError as err:
        _fail(err.code, err.message)
        raise SystemExit(1) from None


_register_service_commands()

if __name__ == "__main__":
    main()
