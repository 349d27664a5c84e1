"""What the relayer reads from the Exchange contract while accepting orders, in JSON-RPC batches.

Intake checks several views per order (``filled``, ``cancelled``, epochs, vault balances, and
``isValidSignature`` for contract wallets). Encoding the calls by hand and sending them as one
JSON-RPC batch per request keeps that to one round trip to the node, whatever the batch size.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

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
    """One ``eth_call`` (or ``eth_getCode`` when ``data`` is None) and its decoded result."""

    __slots__ = ("data", "result", "to")

    def __init__(self, to: str, data: bytes | None) -> None:
        self.to = to
        self.data = data
        self.result: bytes | None = None  # None: the call reverted

    def as_int(self, word: int = 0) -> int:
        if self.result is None or len(self.result) < 32 * (word + 1):
            return 0
        return int.from_bytes(self.result[32 * word : 32 * (word + 1)], "big")


class ExchangeReader:
    """Async JSON-RPC reads of one Exchange deployment."""

    def __init__(self, rpc_url: str, exchange: str, *, timeout: float = 10.0) -> None:
        self.rpc_url = rpc_url
        self.exchange = to_checksum_address(exchange)
        self._client = httpx.AsyncClient(timeout=timeout)
        self._ids = itertools.count(1)

    async def close(self) -> None:
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
    def is_valid_signature(wallet: str, digest: bytes, signature: bytes) -> Call:
        return Call(wallet, _is_valid_signature_data(digest, signature))

    # ------------------------------------------------------------------------------ transport

    async def run(self, calls: Sequence[Call]) -> None:
        """Execute ``calls`` in one JSON-RPC batch at the latest block; results set in place.

        Raises:
            RelayerUnavailable: the node does not answer or answers nonsense.
        """
        if not calls:
            return
        payload: list[dict[str, Any]] = []
        for call in calls:
            if call.data is None:
                params: list[Any] = [call.to, "latest"]
                method = "eth_getCode"
            else:
                params = [{"to": call.to, "data": "0x" + call.data.hex()}, "latest"]
                method = "eth_call"
            payload.append(
                {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
            )
        try:
            response = await self._client.post(self.rpc_url, json=payload)
            response.raise_for_status()
            answers = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise RelayerUnavailable(
                f"the node at {self.rpc_url} did not answer: {err}", details={}
            ) from err
        if not isinstance(answers, list):
            raise RelayerUnavailable(f"the node at {self.rpc_url} refused a batch: {answers}")
        by_id = {answer.get("id"): answer for answer in answers}
        for request, call in zip(payload, calls, strict=True):
            answer = by_id.get(request["id"], {})
            result = answer.get("result")
            call.result = bytes.fromhex(result[2:]) if isinstance(result, str) else None
