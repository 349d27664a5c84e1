"""ERC-20 tokens (TUSD, tWETH, tUSDC and any contract of that shape): transfers and balances."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, delete, select, tuple_

from indexer.handlers import Batch, Event, on, registry
from indexer.models import BALANCES, TokenBalance, TokenTransfer
from indexer.store import upsert

ZERO_ADDRESS = "0x" + "0" * 40
_CHUNK = 400  # keys per IN (...) query: well under SQLite's variable limit

registry.event_table(TokenTransfer)
registry.state_table(TokenBalance)


@on("ERC20:Transfer")
def transfer(event: Event, out: Batch) -> None:
    """Every ERC-20 ``Transfer`` (mints and burns are transfers from/to 0x0)."""
    args = event.args
    out.add(
        TokenTransfer,
        {
            "chain_id": event.chain_id,
            "tx_hash": event.tx_hash,
            "log_index": event.log_index,
            "block_number": event.block_number,
            "block_hash": event.block_hash,
            "token": event.address,
            "contract": event.contract.name,
            "from_address": args["from"],
            "to_address": args["to"],
            "amount": args["value"],
        },
    )


@registry.reducer(TokenTransfer)
def balances(conn: Connection, chain_id: int, rows: list[dict[str, Any]], sign: int) -> None:
    """Apply transfers to ``token_balances`` (``sign=-1`` undoes them on a reorg).

    Balances are read, changed in Python and written back, because SQLite stores ``Uint256`` as
    text and cannot add in SQL; a zero balance has no row, so a rolled-back index and a fresh
    one hold exactly the same rows.
    """
    deltas: dict[tuple[str, str], int] = defaultdict(int)
    names: dict[str, str] = {}
    for row in rows:
        token, amount = row["token"], row["amount"] * sign
        names[token] = row["contract"]
        if row["from_address"] != ZERO_ADDRESS:
            deltas[(token, row["from_address"])] -= amount
        if row["to_address"] != ZERO_ADDRESS:
            deltas[(token, row["to_address"])] += amount
    keys = [k for k, v in deltas.items() if v]
    if not keys:
        return
    table = BALANCES
    current: dict[tuple[str, str], int] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        query = select(table.c.token, table.c.account, table.c.balance).where(
            table.c.chain_id == chain_id, tuple_(table.c.token, table.c.account).in_(chunk)
        )
        for token, account, balance in conn.execute(query):
            current[(token, account)] = balance
    writes: list[dict[str, Any]] = []
    zeros: list[tuple[str, str]] = []
    for key in keys:
        value = current.get(key, 0) + deltas[key]
        if value > 0:
            writes.append(
                {
                    "chain_id": chain_id,
                    "token": key[0],
                    "account": key[1],
                    "contract": names[key[0]],
                    "balance": value,
                }
            )
        else:
            # Negative only if a token's history is incomplete (indexing started after it was
            # deployed): such an account is shown without a balance rather than a wrong one.
            zeros.append(key)
    upsert(conn, table, writes, ["chain_id", "token", "account"], ["balance", "contract"])
    for start in range(0, len(zeros), _CHUNK):
        conn.execute(
            delete(table).where(
                table.c.chain_id == chain_id,
                tuple_(table.c.token, table.c.account).in_(zeros[start : start + _CHUNK]),
            )
        )


@on("WrappedEther:Deposit")
def weth_deposit(event: Event, out: Batch) -> None:
    """WETH minted for ETH: WETH9 emits ``Deposit`` and no ``Transfer``, so the mint is recorded
    as a transfer from 0x0 (keyed by the Deposit log) to keep balances right."""
    out.add(TokenTransfer, _movement(event, ZERO_ADDRESS, event.args["account"]))


@on("WrappedEther:Withdrawal")
def weth_withdrawal(event: Event, out: Batch) -> None:
    """WETH burnt for ETH: recorded as a transfer to 0x0 (no ``Transfer`` is emitted)."""
    out.add(TokenTransfer, _movement(event, event.args["account"], ZERO_ADDRESS))


def _movement(event: Event, sender: str, receiver: str) -> dict[str, Any]:
    return {
        "chain_id": event.chain_id,
        "tx_hash": event.tx_hash,
        "log_index": event.log_index,
        "block_number": event.block_number,
        "block_hash": event.block_hash,
        "token": event.address,
        "contract": event.contract.name,
        "from_address": sender,
        "to_address": receiver,
        "amount": event.args["amount"],
    }
