"""``tigerex settlement``: run the settlement worker, or see where the journal's fills are.

tigerex settlement run [--once]   # the worker (SIGTERM/Ctrl-C stops it)
tigerex settlement status         # fills and settlement attempts by status, what is in flight
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from relayer.models import SETTLEMENT_MINED, SETTLEMENT_SENT, RelayerFill, RelayerSettlement
from relayer.settlement import build_worker, require_journal
from tigerex.db import make_engine, session_factory
from tigerex.settings import get_settings

console = Console(highlight=False, soft_wrap=True)
app = typer.Typer(help="Settlement of journaled fills to the exchange.", no_args_is_help=True)


@app.command()
def run(
    once: Annotated[
        bool, typer.Option("--once", help="One step (flushing a partial batch), then exit.")
    ] = False,
) -> None:
    """Settle pending fills until stopped (configuration: TIGEREX_SETTLEMENT_*)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    worker = build_worker(get_settings())
    if once:
        report = worker.step(flush=True)
        console.print({k: v for k, v in vars(report).items() if v} or "idle")
        return
    worker.run()


@app.command()
def status() -> None:
    """Fills and settlement attempts by status, and the attempts in flight."""
    engine = make_engine(get_settings().database)
    try:
        require_journal(engine)
        with session_factory(engine)() as session:
            fills = session.execute(
                select(RelayerFill.status, RelayerFill.skip_reason, func.count())
                .group_by(RelayerFill.status, RelayerFill.skip_reason)
                .order_by(RelayerFill.status)
            ).all()
            attempts = session.execute(
                select(RelayerSettlement.status, func.count()).group_by(RelayerSettlement.status)
            ).all()
            live = session.scalars(
                select(RelayerSettlement)
                .where(RelayerSettlement.status.in_((SETTLEMENT_SENT, SETTLEMENT_MINED)))
                .order_by(RelayerSettlement.nonce)
            ).all()
    finally:
        engine.dispose()
    table = Table("fills", "skip reason", "count")
    for fill_status, reason, count in fills:
        table.add_row(fill_status, "" if reason is None else str(reason), str(count))
    console.print(table)
    table = Table("settlements", "count")
    for attempt_status, count in attempts:
        table.add_row(attempt_status, str(count))
    console.print(table)
    if live:
        table = Table("id", "nonce", "status", "tx", "block", "sent at")
        for row in live:
            table.add_row(
                str(row.id),
                str(row.nonce),
                row.status,
                row.tx_hash or "",
                "" if row.block_number is None else str(row.block_number),
                str(row.sent_at),
            )
        console.print(table)
