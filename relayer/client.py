"""Python client of the relayer API: build and sign orders, submit, cancel, query, stream.

    from eth_account import Account
    from relayer.client import RelayerClient

    client = RelayerClient("http://127.0.0.1:8000")
    maker = Account.from_key(KEY)
    ack = client.place(maker, market_id=1, is_buy=False, price_ticks=200_000, quantity_lots=10)
    client.cancel(maker, [ack["order_hash"]])
    stop = client.place_stop(maker, market_id=1, is_buy=False, trigger_price=190_000,
                             price_ticks=185_000, quantity_lots=10)  # status pending_trigger

Orders are signed with eth-account's standard ``sign_typed_data`` over the domain and types the
relayer publishes (``GET /relayer/domain``), exactly what a browser wallet would sign. Errors
from the API raise :class:`RelayerApiError` with the stable ``code``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount

from relayer.errors import PriceInvalid, QuantityInvalid
from relayer.orders import MAX_FEE_BPS, Order, order_hash

#: Submission options besides the signed fields (see relayer/conditional.py).
OPTION_FIELDS = (
    "time_in_force",
    "order_type",
    "trigger_price",
    "trailing_delta",
    "trailing_bps",
    "display_lots",
    "oco_with",
)


class RelayerApiError(Exception):
    """An error answer of the relayer (``{code, message, details}``) with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        super().__init__(f"{status} {code}: {message}")


def price_ticks(quote_units_per_lot: int, tick_size: int) -> int:
    """The tick count of a price given as quote base units per lot.

    Raises:
        PriceInvalid: the price is not on the market's tick grid (or not positive).
    """
    if quote_units_per_lot <= 0 or quote_units_per_lot % tick_size:
        raise PriceInvalid(
            f"{quote_units_per_lot} quote units per lot is off the grid of tick {tick_size}",
            price=str(quote_units_per_lot),
            tick_size=str(tick_size),
        )
    return quote_units_per_lot // tick_size


def quantity_lots(base_units: int, lot_size: int) -> int:
    """The lot count of an amount of base units.

    Raises:
        QuantityInvalid: not a positive multiple of the lot size.
    """
    if base_units <= 0 or base_units % lot_size:
        raise QuantityInvalid(
            f"{base_units} base units is not a multiple of the lot {lot_size}",
            quantity=str(base_units),
            lot_size=str(lot_size),
        )
    return base_units // lot_size


def _typed_data(domain: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    return {
        "types": domain["types"],
        "primaryType": domain["primary_type"],
        "domain": domain["domain"],
        "message": message,
    }


class RelayerClient:
    """Synchronous HTTP client plus an async WebSocket stream.

    Args:
        base_url: the API root (``http://host:port``); the relayer lives under ``/relayer``.
        timeout: seconds per request.
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url + "/relayer", timeout=timeout)
        self._domain: dict[str, Any] | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RelayerClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------------- transport

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"code": "http_error", "message": response.text}
            raise RelayerApiError(
                response.status_code,
                body.get("code", "http_error"),
                body.get("message", ""),
                body.get("details", {}),
            )
        return response.json()

    # ------------------------------------------------------------------------------- signing

    def domain(self) -> dict[str, Any]:
        """``GET /relayer/domain`` (cached): EIP-712 domains and types of orders and cancels."""
        if self._domain is None:
            self._domain = self._call("GET", "/domain")
        return self._domain

    def build_order(
        self,
        maker: str,
        *,
        market_id: int,
        is_buy: bool,
        price_ticks: int,
        quantity_lots: int,
        expires_in: int = 3600,
        salt: int | None = None,
        epoch: int = 0,
        max_fee_bps: int = MAX_FEE_BPS,
    ) -> Order:
        return Order(
            maker=maker,
            market_id=market_id,
            is_buy=is_buy,
            price_ticks=price_ticks,
            quantity_lots=quantity_lots,
            expiry=int(time.time()) + expires_in,
            salt=salt if salt is not None else secrets.randbits(63),
            epoch=epoch,
            max_fee_bps=max_fee_bps,
        )

    def sign_order(self, order: Order, account: LocalAccount) -> bytes:
        """Sign with eth-account's standard EIP-712 signer over the published domain."""
        typed = _typed_data(self.domain()["order"], order.as_message())
        return bytes(Account.sign_typed_data(account.key, full_message=typed).signature)

    # -------------------------------------------------------------------------------- orders

    @staticmethod
    def order_body(order: Order, signature: bytes, **options: Any) -> dict[str, Any]:
        """The JSON body of ``POST /relayer/order``: the signed fields, the signature and the
        options (``time_in_force``, ``order_type``, ``trigger_price``, ``trailing_delta``,
        ``trailing_bps``, ``display_lots``, ``oco_with``; None ones are left out)."""
        unknown = set(options) - set(OPTION_FIELDS)
        if unknown:
            raise TypeError(f"unknown order options {sorted(unknown)}")
        body = {
            "maker": order.maker,
            "market_id": order.market_id,
            "is_buy": order.is_buy,
            "price_ticks": order.price_ticks,
            "quantity_lots": order.quantity_lots,
            "expiry": order.expiry,
            "salt": order.salt,
            "epoch": order.epoch,
            "max_fee_bps": order.max_fee_bps,
            "signature": "0x" + signature.hex(),
        }
        body.update({k: v for k, v in options.items() if v is not None})
        return body

    def order_hash(self, order: Order) -> str:
        """The order's EIP-712 hash in the relayer's domain (what ``oco_with`` names)."""
        domain = self.domain()
        digest = order_hash(order, int(domain["chain_id"]), str(domain["exchange"]))
        return "0x" + digest.hex()

    def submit(self, order: Order, signature: bytes, **options: Any) -> dict[str, Any]:
        """``POST /relayer/order``: the acknowledgement (journaled) with any fills.

        Raises:
            RelayerApiError: the rejection (``code`` is stable).
        """
        result: dict[str, Any] = self._call(
            "POST", "/order", json=self.order_body(order, signature, **options)
        )
        return result

    def submit_batch(
        self,
        orders: Sequence[tuple[Order, bytes] | tuple[Order, bytes, dict[str, Any]]],
        **options: Any,
    ) -> list[dict[str, Any]]:
        """``POST /relayer/orders``: one ``{accepted, order | error}`` per order. Each item is
        ``(order, signature)`` or ``(order, signature, its own options)``; ``options`` apply to
        all."""
        bodies = []
        for item in orders:
            own: dict[str, Any] = item[2] if len(item) == 3 else {}
            bodies.append(self.order_body(item[0], item[1], **{**options, **own}))
        results: list[dict[str, Any]] = self._call("POST", "/orders", json={"orders": bodies})[
            "results"
        ]
        return results

    def place(self, account: LocalAccount, **fields: Any) -> dict[str, Any]:
        """Build, sign and submit in one call (fields of :meth:`build_order`, plus the options
        of :meth:`order_body`)."""
        options = {k: fields.pop(k) for k in OPTION_FIELDS if k in fields}
        order = self.build_order(account.address, **fields)
        return self.submit(order, self.sign_order(order, account), **options)

    # --------------------------------------------------------------------- conditional orders

    def place_stop(
        self, account: LocalAccount, *, trigger_price: int, limit: bool = False, **fields: Any
    ) -> dict[str, Any]:
        """A stop held by the relayer until the last trade price reaches ``trigger_price``
        (buy: at or above, sell: at or below). ``price_ticks`` is the signed worst price of
        the market order it becomes (``limit=False``), or the price of the limit order it
        becomes (``limit=True``; ``time_in_force`` gtc / ioc / fok)."""
        order_type = "stop_limit" if limit else "stop_market"
        return self.place(account, order_type=order_type, trigger_price=trigger_price, **fields)

    def place_take_profit(
        self, account: LocalAccount, *, trigger_price: int, limit: bool = False, **fields: Any
    ) -> dict[str, Any]:
        """Like :meth:`place_stop` with the opposite trigger (buy: last price at or below,
        sell: at or above)."""
        order_type = "take_profit_limit" if limit else "take_profit_market"
        return self.place(account, order_type=order_type, trigger_price=trigger_price, **fields)

    def place_trailing_stop(
        self,
        account: LocalAccount,
        *,
        trailing_delta: int | None = None,
        trailing_bps: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A trailing stop (market once triggered, ``price_ticks`` the signed worst price):
        a sell fires when the last price falls ``trailing_delta`` ticks (or ``trailing_bps``)
        below its highest since placement, a buy when it rises as much above its lowest."""
        return self.place(
            account,
            order_type="trailing_stop_market",
            trailing_delta=trailing_delta,
            trailing_bps=trailing_bps,
            **fields,
        )

    def place_iceberg(
        self, account: LocalAccount, *, display_lots: int, **fields: Any
    ) -> dict[str, Any]:
        """A GTC limit order of which the book shows at most ``display_lots`` at a time."""
        return self.place(account, display_lots=display_lots, **fields)

    def place_oco(
        self, account: LocalAccount, first: dict[str, Any], second: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Two orders of one maker, market and side as an OCO pair (e.g. a take-profit limit
        and a stop), in one batch: when either fills, triggers or leaves the book, the relayer
        cancels the other. ``first`` / ``second``: fields of :meth:`place`.

        Returns:
            The two acknowledgements.

        Raises:
            RelayerApiError: a leg was refused; if only the second was, the first has been
                cancelled again (gasless) so no unpaired leg is left behind.
        """
        legs = []
        for fields in (dict(first), dict(second)):
            options = {k: fields.pop(k) for k in OPTION_FIELDS if k in fields}
            order = self.build_order(account.address, **fields)
            legs.append((order, self.sign_order(order, account), options))
        legs[1][2]["oco_with"] = self.order_hash(legs[0][0])
        results = self.submit_batch(legs)
        errors = [r["error"] for r in results if not r["accepted"]]
        if errors:
            if results[0]["accepted"]:
                self.cancel(account, [results[0]["order"]["order_hash"]])
            error = errors[0]
            raise RelayerApiError(400, error["code"], error["message"], error.get("details", {}))
        return results[0]["order"], results[1]["order"]

    def cancel(
        self, account: LocalAccount, order_hashes: Sequence[str], *, deadline_in: int = 60
    ) -> list[dict[str, Any]]:
        """Gasless cancel: sign ``CancelOrders`` and post it; one result per order."""
        message = {
            "maker": account.address,
            "orderHashes": list(order_hashes),
            "deadline": int(time.time()) + deadline_in,
        }
        typed = _typed_data(self.domain()["cancel"], message)
        signature = bytes(Account.sign_typed_data(account.key, full_message=typed).signature)
        body = {
            "maker": account.address,
            "order_hashes": list(order_hashes),
            "deadline": message["deadline"],
            "signature": "0x" + signature.hex(),
        }
        results: list[dict[str, Any]] = self._call("POST", "/cancel", json=body)["results"]
        return results

    # ------------------------------------------------------------------------------- queries

    def markets(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/markets")
        return result

    def order(self, order_hash: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/orders/{order_hash}")
        return result

    def orders(self, maker: str, *, status: str = "open", **params: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(
            "GET", f"/makers/{maker}/orders", params={"status": status, **params}
        )
        return result

    def balances(self, maker: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", f"/makers/{maker}/balances")
        return result

    def book(self, market_id: int, levels: int = 20) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "GET", f"/markets/{market_id}/book", params={"levels": levels}
        )
        return result

    def trades(self, market_id: int, limit: int = 100) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "GET", f"/markets/{market_id}/trades", params={"limit": limit}
        )
        return result

    def ticker(self, market_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/markets/{market_id}/ticker")
        return result

    def candles(self, market_id: int, interval: str = "1m", limit: int = 100) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "GET", f"/markets/{market_id}/candles", params={"interval": interval, "limit": limit}
        )
        return result

    # -------------------------------------------------------------------------------- stream

    async def stream(
        self, subscriptions: Sequence[dict[str, Any]]
    ) -> AsyncIterator[dict[str, Any]]:
        """Subscribe (e.g. ``{"channel": "book", "market_id": 1}``) and yield every message.

        Book messages are checked for continuity: a delta whose ``seq`` is not the previous
        one + 1 raises :class:`RelayerApiError` (``book_gap``); resubscribe to recover.
        """
        from websockets.asyncio.client import connect

        url = "ws" + self.base_url[len("http") :] + "/relayer/ws"
        async with connect(url) as ws:
            for subscription in subscriptions:
                await ws.send(json.dumps({"op": "subscribe", **subscription}))
            last_seq: dict[int, int] = {}
            async for raw in ws:
                message: dict[str, Any] = json.loads(raw)
                if message.get("channel") == "book":
                    market_id = message["market_id"]
                    if message["type"] == "delta":
                        expected = last_seq.get(market_id, 0) + 1
                        if message["seq"] != expected:
                            raise RelayerApiError(
                                0,
                                "book_gap",
                                f"book {market_id}: seq {message['seq']} after {expected - 1}",
                                {"market_id": market_id},
                            )
                    last_seq[market_id] = message["seq"]
                yield message
