"""The indexer's exception root: every error it raises on purpose is an ``IndexerError``.

They extend the kernel's ``TigerexError``, so the CLI prints ``error[code]: message`` and the API
answers ``{code, message, details}`` without special cases.
"""

from __future__ import annotations

from typing import Any

from tigerex.errors import TigerexError


class IndexerError(TigerexError):
    """Root of the indexer's errors."""

    code = "indexer_error"


class RpcError(IndexerError):
    """A JSON-RPC request failed after every retry (node down, flaky proxy, bad answer)."""

    code = "rpc_unavailable"

    def __init__(self, method: str, reason: str, *, attempts: int, url: str) -> None:
        super().__init__(
            f"{method} failed at {url} after {attempts} attempt(s): {reason}; "
            "check the node or pass another --rpc-url",
            details={"method": method, "reason": reason, "attempts": attempts, "rpc_url": url},
        )
        self.method = method
        self.reason = reason
        self.attempts = attempts


class RangeTooLarge(IndexerError):
    """The node refused an ``eth_getLogs`` range (too many blocks/results, or it timed out)."""

    code = "rpc_range_too_large"

    def __init__(
        self, from_block: int, to_block: int, reason: str, *, timed_out: bool = False
    ) -> None:
        super().__init__(
            f"eth_getLogs {from_block}-{to_block} refused: {reason}",
            details={"from_block": from_block, "to_block": to_block, "reason": reason},
        )
        self.from_block = from_block
        self.to_block = to_block
        self.timed_out = timed_out


class ChainMoved(IndexerError):
    """The chain changed while a range was read (a reorg in flight): the range is read again."""

    code = "chain_moved"


class InvalidCursor(IndexerError):
    """A pagination cursor that this API did not issue."""

    code = "cursor_invalid"

    def __init__(self, cursor: str) -> None:
        super().__init__(
            "the cursor is not one this API returned: pass next_cursor unchanged",
            details={"cursor": cursor},
        )


class ChainNotIndexed(IndexerError):
    """The API was asked about a chain this database does not index."""

    code = "chain_not_indexed"

    def __init__(self, chain_id: int, indexed: list[int]) -> None:
        super().__init__(
            f"chain {chain_id} is not indexed here (indexed: {indexed or 'none'}): "
            f"run `tigerex index --network ...` for it",
            details={"chain_id": chain_id, "indexed": indexed},
        )


def details_of(err: BaseException) -> dict[str, Any]:
    """The error's details for logs: a TigerexError's own, else the exception type."""
    if isinstance(err, TigerexError):
        return err.details
    return {"type": type(err).__name__}
