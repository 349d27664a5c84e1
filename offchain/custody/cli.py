"""``tigerex multisig``: create wallets, propose, sign, inspect and execute transactions.

Keys never appear on the command line: ``--key-env NAME`` reads a private key from the environment
variable NAME, and ``--dev-account N`` uses Anvil's dev account N (local network only). A
signature made elsewhere (ethers, viem, a hardware wallet, from the typed data `status --json`
prints) is added with ``sign ID --signature 0x...``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from offchain.custody.multisig import Operation, sign_typed_data
from offchain.custody.service import MultisigService
from tigerex.chain import connect
from tigerex.db import make_engine, migrate, session_factory, session_scope
from tigerex.deployments import ContractRegistry, DeploymentsFile
from tigerex.devchain import dev_accounts
from tigerex.errors import ConfigurationError
from tigerex.settings import get_settings

console = Console(highlight=False, soft_wrap=True)
app = typer.Typer(help="Multisig custody: propose, sign, collect, execute.", no_args_is_help=True)

KeyEnv = Annotated[
    str | None, typer.Option("--key-env", help="Environment variable holding the private key.")
]
DevAccount = Annotated[
    int | None, typer.Option("--dev-account", help="Anvil dev account index (local only).")
]


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


def _service() -> MultisigService:
    settings = get_settings()
    return MultisigService(connect(settings.rpc_url, expected_chain_id=settings.chain_id))


@contextmanager
def _session() -> Iterator[Session]:
    url = get_settings().database
    migrate(url)
    engine = make_engine(url)
    try:
        with session_scope(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _print_view(service: MultisigService, session: Session, proposal_id: int) -> None:
    view = service.view(session=session, proposal_id=proposal_id)
    p = view.proposal
    console.print(f"proposal {p.id} status {p.status} wallet {p.wallet} nonce {p.nonce}")
    console.print(
        f"  to {p.to} value {p.value} wei data {p.data[:66]}{'…' if len(p.data) > 66 else ''}"
    )
    console.print(f"  digest {p.tx_hash}")
    console.print(
        f"  signed {len(view.signers)} of {view.threshold}: {', '.join(view.signers) or '-'}"
    )
    if p.executed_tx:
        console.print(f"  executed in {p.executed_tx}")
    elif view.ready:
        console.print("  ready to execute")


@app.command()
def create(
    owner: Annotated[list[str], typer.Option("--owner", help="Owner address (repeat).")],
    threshold: Annotated[int, typer.Option(help="Signatures required.")],
    salt: Annotated[int, typer.Option(help="Salt nonce for the CREATE2 address.")] = 0,
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
) -> None:
    """Deploy a wallet through the deployed MultisigFactory."""
    settings = get_settings()
    sender = _account(key_env, dev_account)
    w3 = connect(settings.rpc_url, expected_chain_id=settings.chain_id)
    factory = ContractRegistry(w3, DeploymentsFile.load(settings.deployments_file)).contract(
        "MultisigFactory"
    )
    predicted = factory.functions.predictWallet(owner, threshold, salt).call()
    call = factory.functions.createWallet(owner, threshold, salt)
    tx = call.build_transaction(
        {
            "from": sender.address,
            "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
            "chainId": w3.eth.chain_id,
        }
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(sender.sign_transaction(dict(tx)).raw_transaction)  # type: ignore[arg-type]
    )
    if receipt["status"] != 1:
        raise ConfigurationError(
            "createWallet reverted: check owners (no duplicates) and threshold"
        )
    console.print(f"wallet {predicted} ({threshold} of {len(owner)})")


@app.command()
def wallet(address: str) -> None:
    """Show a wallet's owners, threshold and nonce (from the chain)."""
    state = _service().state(address)
    console.print(
        f"wallet {state.address}: {state.threshold} of {len(state.owners)}, nonce {state.nonce}"
    )
    for o in state.owners:
        console.print(f"  owner {o}")


@app.command()
def propose(
    wallet: str,
    to: Annotated[str, typer.Option(help="Target address.")],
    value: Annotated[int, typer.Option(help="Wei to send.", min=0)] = 0,
    data: Annotated[str, typer.Option(help="Calldata, 0x-hex.")] = "0x",
    nonce: Annotated[int | None, typer.Option(help="Nonce (default: next free).")] = None,
    description: Annotated[str, typer.Option(help="What it is for.")] = "",
) -> None:
    """Record a transaction for the owners to sign."""
    service = _service()
    with _session() as session:
        proposal = service.propose(
            session=session,
            wallet=wallet,
            to=to,
            value=value,
            data=bytes(HexBytes(data)),
            operation=Operation.CALL,
            nonce=nonce,
            description=description,
        )
        _print_view(service, session, proposal.id)


@app.command()
def sign(
    proposal_id: int,
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
    signature: Annotated[
        str | None, typer.Option(help="A signature made by another signer, 0x-hex.")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Owner contract, for EIP-1271 bytes.")] = None,
) -> None:
    """Sign a proposal with a local key, or add a signature made elsewhere."""
    service = _service()
    with _session() as session:
        if signature is None:
            view = service.view(session=session, proposal_id=proposal_id)
            raw = sign_typed_data(view.typed_data, _account(key_env, dev_account).key)
        else:
            raw = bytes(HexBytes(signature))
        record = service.add_signature(
            session=session, proposal_id=proposal_id, signature=raw, owner=owner
        )
        console.print(f"signature of {record.owner} added")
        _print_view(service, session, proposal_id)


@app.command()
def status(
    proposal_id: int,
    as_json: Annotated[bool, typer.Option("--json", help="Print the EIP-712 typed data.")] = False,
) -> None:
    """Who has signed, and what remains."""
    service = _service()
    with _session() as session:
        if as_json:
            print(json.dumps(service.view(session=session, proposal_id=proposal_id).typed_data))
        else:
            _print_view(service, session, proposal_id)


@app.command("list")
def list_proposals(
    wallet: str,
    state: Annotated[
        str | None, typer.Option("--status", help="pending|executed|superseded")
    ] = None,
) -> None:
    """A wallet's proposals."""
    service = _service()
    with _session() as session:
        table = Table()
        for column in ("id", "nonce", "status", "to", "value (wei)", "signed", "description"):
            table.add_column(column)
        for p in service.list(session=session, wallet=wallet, status=state):
            table.add_row(
                str(p.id),
                str(p.nonce),
                p.status,
                p.to,
                str(p.value),
                str(len(p.signatures)),
                p.description,
            )
        console.print(table)


@app.command()
def execute(proposal_id: int, key_env: KeyEnv = None, dev_account: DevAccount = None) -> None:
    """Submit a proposal that has enough signatures (the key only pays the gas)."""
    service = _service()
    with _session() as session:
        tx_hash = service.execute(
            session=session, proposal_id=proposal_id, sender=_account(key_env, dev_account)
        )
        console.print(f"executed in {tx_hash}")
