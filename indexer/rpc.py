"""A small JSON-RPC client for the indexer: raw JSON (no web3 formatting), batches, retries.

Failures are sorted into three kinds, because each needs a different answer:

- the node refused an ``eth_getLogs`` range ("range too large", too many results, a timeout):
  ``RangeTooLarge``, and the engine halves the range and asks again at once;
- transient transport or server errors (dropped connection, 5xx, 429, garbage body): retried
  here with exponential backoff and jitter, ``RpcError`` once the attempts are used up;
- a JSON-RPC error answer: retried the same way (some public nodes answer errors under load).
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from typing import Any

import httpx

from indexer.errors import RangeTooLarge, RpcError

log = logging.getLogger(__name__)

# What nodes and providers say when a range is too wide: geth ("query returned more than 10000
# results"), Alchemy/Infura ("block range", "exceed"), Erigon/Nethermind ("limit"), -32005.
_RANGE_ERROR = re.compile(
    r"range|too many|too large|more than|limit|exceed|response size|timeout|timed out", re.I
)
_RANGE_ERROR_CODES = {-32005}  # EIP-1474 "limit exceeded"


def is_range_error(error: dict[str, Any]) -> bool:
    """Whether a JSON-RPC error answer to ``eth_getLogs`` means "ask for a smaller range".

    Args:
        error: The ``error`` member of the answer.

    Returns:
        True for range/size/timeout refusals.
    """
    return error.get("code") in _RANGE_ERROR_CODES or bool(
        _RANGE_ERROR.search(str(error.get("message", "")))
    )


class RpcClient:
    """JSON-RPC over HTTP with retries.

    Args:
        url: The node's URL.
        timeout: Seconds per request.
        max_attempts: Attempts per call before ``RpcError`` (0: retry forever).
        backoff: First retry delay in seconds; doubles per attempt up to ``max_backoff``.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        max_attempts: int = 8,
        backoff: float = 0.05,
        max_backoff: float = 5.0,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._client = httpx.Client(timeout=timeout, headers={"content-type": "application/json"})
        self._id = 0
        self.requests = 0
        self.retries = 0

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _post(self, payload: Any, timeout: float | None) -> Any:
        self.requests += 1
        response = self._client.post(
            self.url, content=json.dumps(payload), timeout=timeout or self.timeout
        )
        if response.status_code == 413:
            raise _Refused("HTTP 413 request/response too large")
        if response.status_code >= 400 and not response.content.startswith(b"{"):
            raise _Transient(f"HTTP {response.status_code}")
        try:
            return json.loads(response.content)
        except ValueError as err:
            raise _Transient(f"invalid JSON answer ({err})") from err

    def _with_retries(self, method: str, fn: Any, *, range_refusal: bool = False) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except _Refused as err:
                if range_refusal:
                    raise
                reason = str(err)
            except httpx.TimeoutException as err:
                if range_refusal:
                    raise _Refused(f"timeout after {self.timeout:.1f} s", timed_out=True) from err
                reason = f"timeout ({type(err).__name__})"
            except httpx.TransportError as err:
                reason = f"{type(err).__name__}: {err}"
            except _Transient as err:
                reason = str(err)
            if self.max_attempts and attempt >= self.max_attempts:
                raise RpcError(method, reason, attempts=attempt, url=self.url)
            self.retries += 1
            delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
            delay *= 0.5 + random.random()  # jitter: many indexers must not retry in lockstep
            log.warning("%s failed (%s); retry %d in %.2f s", method, reason, attempt, delay)
            time.sleep(delay)

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        """One call, retried on transient failures.

        Args:
            method: JSON-RPC method.
            params: Its parameters.

        Returns:
            The ``result``.

        Raises:
            RpcError: Every attempt failed.
        """

        def once() -> Any:
            self._id += 1
            body = self._post(
                {"jsonrpc": "2.0", "id": self._id, "method": method, "params": params or []},
                None,
            )
            if not isinstance(body, dict):
                raise _Transient("answer is not a JSON object")
            if "error" in body:
                raise _Transient(f"error {body['error']}")
            if "result" not in body:
                raise _Transient("answer without result")
            return body["result"]

        return self._with_retries(method, once)

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Several calls in one HTTP request (JSON-RPC batch), results in call order.

        Args:
            calls: ``(method, params)`` pairs.

        Returns:
            The results, in the same order.

        Raises:
            RpcError: Every attempt failed (any member's error fails the whole batch).
        """
        if not calls:
            return []

        def once() -> list[Any]:
            base = self._id
            self._id += len(calls)
            payload = [
                {"jsonrpc": "2.0", "id": base + n, "method": m, "params": p}
                for n, (m, p) in enumerate(calls)
            ]
            body = self._post(payload, None)
            if not isinstance(body, list) or len(body) != len(calls):
                raise _Transient("batch answer has the wrong shape")
            by_id = {item.get("id"): item for item in body if isinstance(item, dict)}
            results = []
            for n in range(len(calls)):
                item = by_id.get(base + n)
                if item is None or "error" in item or "result" not in item:
                    raise _Transient(f"batch member failed: {item}")
                results.append(item["result"])
            return results

        return self._with_retries(f"batch[{calls[0][0]} x{len(calls)}]", once)

    def get_logs(self, addresses: list[str], from_block: int, to_block: int) -> list[Any]:
        """``eth_getLogs`` for ``addresses`` over ``[from_block, to_block]``.

        Args:
            addresses: Contract addresses.
            from_block: First block.
            to_block: Last block (inclusive).

        Returns:
            The logs, as the node returns them (hex strings).

        Raises:
            RangeTooLarge: The node refused the range or timed out: ask for a smaller one.
            RpcError: Every attempt failed for another reason.
        """
        params = [{"address": addresses, "fromBlock": hex(from_block), "toBlock": hex(to_block)}]

        def once() -> list[Any]:
            self._id += 1
            body = self._post(
                {"jsonrpc": "2.0", "id": self._id, "method": "eth_getLogs", "params": params},
                None,
            )
            if not isinstance(body, dict):
                raise _Transient("answer is not a JSON object")
            if "error" in body:
                if is_range_error(body["error"]):
                    raise _Refused(str(body["error"].get("message")))
                raise _Transient(f"error {body['error']}")
            if not isinstance(body.get("result"), list):
                raise _Transient("answer without a list result")
            return list(body["result"])

        try:
            return list(self._with_retries("eth_getLogs", once, range_refusal=True))
        except _Refused as err:
            raise RangeTooLarge(from_block, to_block, str(err), timed_out=err.timed_out) from None

    def block_number(self) -> int:
        """The head block number.

        Returns:
            ``eth_blockNumber``.
        """
        return int(self.call("eth_blockNumber"), 16)

    def chain_id(self) -> int:
        """The node's chain id.

        Returns:
            ``eth_chainId``.
        """
        return int(self.call("eth_chainId"), 16)

    def headers(self, numbers: list[int]) -> list[dict[str, Any] | None]:
        """Block headers (without transactions) by number; None where the block does not exist.

        Args:
            numbers: Block numbers.

        Returns:
            The headers in the same order.
        """
        out: list[dict[str, Any] | None] = []
        for start in range(0, len(numbers), 100):
            chunk = numbers[start : start + 100]
            out.extend(self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk]))
        return out


class _Transient(Exception):
    """Worth retrying."""


class _Refused(Exception):
    """The node refused the size of the request (or took too long over it)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out
