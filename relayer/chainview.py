"""What the relayer reads from the Exchange contract while accepting orders, in JSON-RPC batches.

Intake checks several views per order (``filled``, ``cancelled``, epochs, vault balances, and
``isValidSignature`` for contract wallets). Encoding the calls by hand and sending them as one
JSON-RPC batch per request keeps that to one round trip to the node, whatever the batch size.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from relayer.errors import RelayerUnavailable

_FILLED = function_signature_to_4byte_selector("filled(bytes32)")
_CANCELLED = function_signature_to_4byte_selector("cancelled(bytes32)")
_BALANCE_OF = function_signature_to_4byte_selector("balanceOf(address,address)")
_PENDING_WITHDRAWAL = function_signature_to_4byte_selector("pendingWithdrawal(address,address)")
_EPOCH = function_signature_to_4byte_selector("epoch(address)")
_MARKET_EPOCH = function_signature_to_4byte_selector("marketEpoch(address,uint32)")
_IS_VALID_SIGNATURE = function_signature_to_4byte_selector("isValidSignature(bytes32,bytes)")
#: EIP-1271 magic value (the selector of isValidSignature).
EIP1271_MAGIC = _IS_VALID_SIGNATURE


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address_word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def _is_valid_signature_data(digest: bytes, signature: bytes) -> bytes:
    padded = signature + bytes(-len(signature) % 32)
    return _IS_VALID_SIGNATURE + digest + _word(64) + _word(len(signature)) + padded


class Call:
    """One ``eth_call`` (or ``eth_getCode`` when ``data`` is None, or the parameterless
    ``method`` returning a quantity, stored as a 32-byte word) and its decoded result."""

    __slots__ = ("data", "method", "result", "to")

    def __init__(self, to: str, data: bytes | None, method: str | None = None) -> None:
        self.to = to
        self.data = data
        self.method = method
        self.result: bytes | None = None  # None: the call reverted

    def as_int(self, word: int = 0) -> int:
        if self.result is None or len(self.result) < 32 * (word + 1):
            return 0
        return int.from_bytes(self.result[32 * word : 32 * (word + 1)], "big")


class _KeepAliveHttp:
    """A single persistent HTTP/1.1 connection for JSON-RPC POSTs to a plain ``http://`` node.

    httpx costs about a millisecond of CPU per request in connection-pool bookkeeping; intake
    sends one batch per event-loop turn, so one lean connection is both enough and faster.
    """

    def __init__(self, url: str, timeout: float) -> None:
        parsed = urlsplit(url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> bytes:
        for attempt in range(2):
            try:
                return await asyncio.wait_for(self._post(body), self.timeout)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _post(self, body: bytes) -> bytes:
        if self._writer is None or self._reader is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._reader, self._writer
        writer.write(
            (
                f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                "Content-Type: application/json\r\nConnection: keep-alive\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
        await writer.drain()
        status = await reader.readline()
        if not status.startswith(b"HTTP/1.1 200"):
            raise ValueError(f"node answered {status!r}")
        length: int | None = None
        chunked = False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
            elif name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if length is not None:
            return await reader.readexactly(length)
        if not chunked:
            raise ValueError("node answer without length")
        parts: list[bytes] = []
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readline()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
        self._reader = self._writer = None


class ExchangeReader:
    """Async JSON-RPC reads of one Exchange deployment.

    Concurrent :meth:`run` calls are coalesced: while one JSON-RPC batch is in flight, the calls
    of every request that arrives wait and leave together in the next batch, so under load the
    node sees a few large batches instead of many small ones.
    """

    def __init__(self, rpc_url: str, exchange: str, *, timeout: float = 10.0) -> None:
        self.rpc_url = rpc_url
        self.exchange = to_checksum_address(exchange)
        self.timeout = timeout
        self._raw = _KeepAliveHttp(rpc_url, timeout) if rpc_url.startswith("http://") else None
        self._client = httpx.AsyncClient(timeout=timeout) if self._raw is None else None
        self._ids = itertools.count(1)
        self._waiting: list[tuple[Sequence[Call], asyncio.Future[None]]] = []
        self._flushing = False

    async def close(self) -> None:
        if self._raw is not None:
            await self._raw.close()
        if self._client is not None:
            await self._client.aclose()

    # ------------------------------------------------------------------------- call builders

    def filled(self, digest: bytes) -> Call:
        return Call(self.exchange, _FILLED + digest)

    def cancelled(self, digest: bytes) -> Call:
        return Call(self.exchange, _CANCELLED + digest)

    def balance_of(self, token: str, account: str) -> Call:
        return Call(self.exchange, _BALANCE_OF + _address_word(token) + _address_word(account))

    def pending_withdrawal(self, token: str, account: str) -> Call:
        data = _PENDING_WITHDRAWAL + _address_word(token) + _address_word(account)
        return Call(self.exchange, data)

    def epoch(self, maker: str) -> Call:
        return Call(self.exchange, _EPOCH + _address_word(maker))

    def market_epoch(self, maker: str, market_id: int) -> Call:
        return Call(self.exchange, _MARKET_EPOCH + _address_word(maker) + _word(market_id))

    @staticmethod
    def code(address: str) -> Call:
        return Call(address, None)

    @staticmethod
    def block_number() -> Call:
        """``eth_blockNumber`` (``as_int()``): lets the sweep skip the log query when no block
        came, without a web3 round trip in a thread."""
        return Call("", None, method="eth_blockNumber")

    @staticmethod
    def is_valid_signature(wallet: str, digest: bytes, signature: bytes) -> Call:
        return Call(wallet, _is_valid_signature_data(digest, signature))

    # ------------------------------------------------------------------------------ transport

    async def run(self, calls: Sequence[Call]) -> None:
        """Execute ``calls`` at the latest block (batched with concurrent callers); results
        are set on the calls in place.

        Raises:
            RelayerUnavailable: the node does not answer or answers nonsense.
        """
        if not calls:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((calls, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    await self._send([call for calls, _f in group for call in calls])
                except BaseException as err:
                    for _calls, future in group:
                        if not future.done():
                            future.set_exception(err)
                    if not isinstance(err, Exception):
                        raise
                    continue
                for _calls, future in group:
                    if not future.done():
                        future.set_result(None)
        finally:
            self._flushing = False

    async def _send(self, calls: Sequence[Call]) -> None:
        payload: list[dict[str, Any]] = []
        for call in calls:
            if call.method is not None:
                params: list[Any] = []
                method = call.method
            elif call.data is None:
                params = [call.to, "latest"]
                method = "eth_getCode"
            else:
                params = [{"to": call.to, "data": "0x" + call.data.hex()}, "latest"]
                method = "eth_call"
            payload.append(
                {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
            )
        try:
            if self._raw is not None:
                answers = json.loads(await self._raw.post(json.dumps(payload).encode()))
            else:
                assert self._client is not None
                response = await self._client.post(self.rpc_url, json=payload)
                response.raise_for_status()
                answers = response.json()
        except (httpx.HTTPError, OSError, asyncio.IncompleteReadError, ValueError) as err:
            raise RelayerUnavailable(
                f"the node at {self.rpc_url} did not answer: {err!r}", details={}
            ) from err
        except TimeoutError as err:
            raise RelayerUnavailable(f"the node at {self.rpc_url} timed out") from err
        if not isinstance(answers, list):
            raise RelayerUnavailable(f"the node at {self.rpc_url} refused a batch: {answers}")
        by_id = {answer.get("id"): answer for answer in answers}
        for request, call in zip(payload, calls, strict=True):
            answer = by_id.get(request["id"], {})
            result = answer.get("result")
            if not isinstance(result, str):
                call.result = None
            elif call.method is not None:
                call.result = int(result, 16).to_bytes(32, "big")
            else:
                call.result = bytes.fromhex(result[2:])
