"""web3.py connections that fail with a clear error instead of a traceback."""

from __future__ import annotations

from web3 import HTTPProvider, Web3

from tigerex.errors import ChainIdMismatch, ChainUnreachable
from tigerex.node import rpc_call


def connect(rpc_url: str, *, expected_chain_id: int | None = None, timeout: float = 10.0) -> Web3:
    """Connect to ``rpc_url`` and check the chain id.

    Args:
        rpc_url: HTTP JSON-RPC endpoint.
        expected_chain_id: When given, the node must report this chain id.
        timeout: Per-request timeout in seconds.

    Raises:
        ChainUnreachable: The node does not answer.
        ChainIdMismatch: The node serves another chain.
    """
    chain_id = int(rpc_call(rpc_url, "eth_chainId", timeout=min(timeout, 5.0)), 16)
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise ChainIdMismatch(expected=expected_chain_id, actual=chain_id, source="settings")
    w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    if not w3.is_connected():
        raise ChainUnreachable(f"cannot reach the node at {rpc_url}")
    return w3
