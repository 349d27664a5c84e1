"""The /relayer HTTP + WebSocket API through the kernel app (TestClient), on Anvil."""

from __future__ import annotations

import time

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from relayer.orders import Order, order_hash
from relayer.settings import RelayerSettings
from tests.relayer.conftest import LOT, PRICE, TICK, USDC, WETH, deposit, relayer_settings
from tigerex.api import create_app
from tigerex.settings import Settings

pytestmark = pytest.mark.anvil


@pytest.fixture
def seller(funded_accounts):
    return funded_accounts[1]


@pytest.fixture
def buyer(funded_accounts):
    return funded_accounts[2]


def _client(anvil, suite, database_url, tmp_path, settings: RelayerSettings) -> TestClient:
    folder = tmp_path / "deployments"
    suite.deployments.save(folder / "local.json")
    app = create_app(
        Settings(
            rpc_url=anvil.url,
            deployments_dir=folder,
            data_dir=tmp_path,
            database_url=database_url,
        )
    )
    app.state.relayer_settings = settings
    return TestClient(app)


def _wait_ready(client: TestClient) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = client.get("/relayer/markets")
        if response.status_code == 200:
            return
        assert response.json()["code"] == "relayer_unavailable"
        time.sleep(0.1)
    raise AssertionError("relayer did not start")


@pytest.fixture
def api(anvil, suite, w3, database_url, tmp_path, seller, buyer):
    deposit(suite, w3, seller.address, "tWETH", WETH)
    deposit(suite, w3, buyer.address, "tUSDC", 10_000 * USDC)
    with _client(anvil, suite, database_url, tmp_path, relayer_settings()) as client:
        _wait_ready(client)
        yield client


def _order(account, *, is_buy, quantity_lots=10, price_ticks=PRICE, **fields) -> Order:
    return Order(
        maker=account.address,
        market_id=fields.pop("market_id", 1),
        is_buy=is_buy,
        price_ticks=price_ticks,
        quantity_lots=quantity_lots,
        expiry=fields.pop("expiry", int(time.time()) + 3600),
        salt=fields.pop("salt", time.time_ns() % 2**63),
        **fields,
    )


def _sign(client: TestClient, account, order: Order) -> str:
    """Sign with eth-account's standard signer over what GET /relayer/domain publishes."""
    domain = client.get("/relayer/domain").json()["order"]
    typed = {
        "types": domain["types"],
        "primaryType": domain["primary_type"],
        "domain": domain["domain"],
        "message": order.as_message(),
    }
    return "0x" + bytes(Account.sign_typed_data(account.key, full_message=typed).signature).hex()


def _body(client, account, order: Order, **options) -> dict:
    return {
        "maker": order.maker,
        "market_id": order.market_id,
        "is_buy": order.is_buy,
        "price_ticks": order.price_ticks,
        "quantity_lots": order.quantity_lots,
        "expiry": order.expiry,
        "salt": order.salt,
        "epoch": order.epoch,
        "max_fee_bps": order.max_fee_bps,
        "signature": _sign(client, account, order),
        **options,
    }


def test_markets_and_domain_let_a_standard_signer_sign_an_accepted_order(api, suite, seller):
    markets = api.get("/relayer/markets").json()
    assert [m["market_id"] for m in markets] == [1, 2]  # tWETH/tUSDC and WETH/tUSDC
    assert markets[1]["base"] == suite.address("WETH")
    market = markets[0]
    assert market["base"] == suite.address("tWETH") and market["quote"] == suite.address("tUSDC")
    assert (market["lot_size"], market["tick_size"]) == (str(LOT), str(TICK))
    assert (market["maker_fee_bps"], market["taker_fee_bps"]) == (10, 20)
    domain = api.get("/relayer/domain").json()
    assert domain["order"]["domain"]["verifyingContract"] == suite.address("Exchange")
    assert [f["name"] for f in domain["cancel"]["types"]["CancelOrders"]] == [
        "maker",
        "orderHashes",
        "deadline",
    ]

    order = _order(seller, is_buy=False)
    response = api.post("/relayer/order", json=_body(api, seller, order))
    assert response.status_code == 201, response.text
    ack = response.json()
    assert ack["order_hash"] == "0x" + order_hash(order, 31337, suite.address("Exchange")).hex()
    assert ack["status"] == "open"
    stored = api.get(f"/relayer/orders/{ack['order_hash']}").json()
    assert stored["status"] == "open" and stored["remaining_lots"] == 10
    assert [
        o["order_hash"] for o in api.get(f"/relayer/makers/{seller.address}/orders").json()
    ] == [ack["order_hash"]]


def test_a_rejection_is_a_stable_error_body_and_changes_nothing(api, seller):
    order = _order(seller, is_buy=False, market_id=77)
    response = api.post("/relayer/order", json=_body(api, seller, order))
    assert response.status_code == 404
    assert response.json()["code"] == "market_unknown"
    assert set(response.json()) == {"code", "message", "details"}
    bad_sig = {**_body(api, seller, _order(seller, is_buy=False)), "signature": "0x" + "00" * 65}
    response = api.post("/relayer/order", json=bad_sig)
    assert response.status_code == 400 and response.json()["code"] == "signature_invalid"
    assert api.get(f"/relayer/makers/{seller.address}/orders?status=all").json() == []
    assert api.get("/relayer/markets/1/book").json()["asks"] == []


def test_batch_has_one_result_per_order_and_matches_in_order(api, seller, buyer):
    orders = [
        _body(api, seller, _order(seller, is_buy=False, quantity_lots=5)),
        _body(api, seller, _order(seller, is_buy=False, quantity_lots=5, market_id=9)),
        _body(api, buyer, _order(buyer, is_buy=True, quantity_lots=3)),
    ]
    response = api.post("/relayer/orders", json={"orders": orders})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["accepted"] for r in results] == [True, False, True]
    assert results[1]["error"]["code"] == "market_unknown"
    [fill] = results[2]["order"]["fills"]
    assert (fill["quantity_lots"], fill["price_ticks"], fill["status"]) == (3, PRICE, "pending")

    book = api.get("/relayer/markets/1/book?levels=5").json()
    assert book["asks"] == [{"price_ticks": PRICE, "quantity_lots": 2, "orders": 1}]
    trades = api.get("/relayer/markets/1/trades").json()
    assert trades["includes_unsettled"] is True
    assert [(t["quantity_lots"], t["status"], t["taker_side"]) for t in trades["trades"]] == [
        (3, "pending", "buy")
    ]
    ticker = api.get("/relayer/markets/1/ticker").json()["last_24h"]
    assert (ticker["open"], ticker["close"], ticker["volume_lots"]) == (PRICE, PRICE, 3)
    assert ticker["volume_quote"] == str(3 * PRICE * TICK) and ticker["settled_trades"] == 0
    for interval in ("1m", "5m", "15m", "1h", "4h", "1d"):
        [candle] = api.get(f"/relayer/markets/1/candles?interval={interval}").json()["candles"]
        assert (candle["high"], candle["volume_lots"], candle["trades"]) == (PRICE, 3, 1)
    balances = {b["token"]: b for b in api.get(f"/relayer/makers/{buyer.address}/balances").json()}
    usdc = balances[api.get("/relayer/markets").json()[0]["quote"]]
    assert usdc["reserved_unsettled_fills"] == str(3 * PRICE * TICK)
    assert int(usdc["available"]) == 10_000 * USDC - 3 * PRICE * TICK


def test_gasless_cancel_endpoint(api, seller, buyer):
    ack = api.post("/relayer/order", json=_body(api, seller, _order(seller, is_buy=False))).json()
    domain = api.get("/relayer/domain").json()["cancel"]
    deadline = int(time.time()) + 60
    message = {"maker": seller.address, "orderHashes": [ack["order_hash"]], "deadline": deadline}
    typed = {
        "types": domain["types"],
        "primaryType": domain["primary_type"],
        "domain": domain["domain"],
        "message": message,
    }

    def post(account):
        signature = Account.sign_typed_data(account.key, full_message=typed).signature
        return api.post(
            "/relayer/cancel",
            json={
                "maker": seller.address,
                "order_hashes": [ack["order_hash"]],
                "deadline": deadline,
                "signature": "0x" + bytes(signature).hex(),
            },
        )

    assert post(buyer).json()["code"] == "cancel_invalid"
    [result] = post(seller).json()["results"]
    assert result == {
        "order_hash": ack["order_hash"],
        "cancelled": True,
        "status": "cancelled",
        "error": None,
    }
    assert api.get(f"/relayer/orders/{ack['order_hash']}").json()["status"] == "cancelled"
    history = api.get(f"/relayer/makers/{seller.address}/orders?status=history").json()
    assert [o["status"] for o in history] == ["cancelled"]


def test_websocket_book_snapshot_then_contiguous_deltas_trades_and_maker_updates(
    api, seller, buyer
):
    api.post(
        "/relayer/order", json=_body(api, seller, _order(seller, is_buy=False, quantity_lots=4))
    )
    with api.websocket_connect("/relayer/ws") as ws:
        ws.send_json({"op": "subscribe", "channel": "book", "market_id": 1})
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot" and snapshot["asks"] == [[PRICE, 4]]
        ws.send_json({"op": "subscribe", "channel": "trades", "market_id": 1})
        assert ws.receive_json()["type"] == "subscribed"
        ws.send_json({"op": "subscribe", "channel": "orders", "maker": buyer.address})
        assert ws.receive_json()["type"] == "subscribed"

        api.post(
            "/relayer/order",
            json=_body(api, seller, _order(seller, is_buy=False, price_ticks=PRICE + 5)),
        )
        api.post(
            "/relayer/order",
            json=_body(
                api, buyer, _order(buyer, is_buy=True, quantity_lots=6, price_ticks=PRICE + 5)
            ),
        )
        messages = [ws.receive_json() for _ in range(6)]
    deltas = [m for m in messages if m["channel"] == "book"]
    # Every delta carries the next seq after the snapshot: no gap, no repeat.
    assert [d["seq"] for d in deltas] == list(
        range(snapshot["seq"] + 1, snapshot["seq"] + 1 + len(deltas))
    )
    assert (deltas[0]["price_ticks"], deltas[0]["quantity_lots"]) == (PRICE + 5, 10)
    trades = [m for m in messages if m["channel"] == "trades"]
    assert [(t["price_ticks"], t["quantity_lots"]) for t in trades] == [(PRICE, 4), (PRICE + 5, 2)]
    assert any(m["channel"] == "fills" for m in messages)


def test_rate_limit_per_maker_answers_429_with_a_stable_code(
    anvil, suite, w3, database_url, tmp_path, seller
):
    deposit(suite, w3, seller.address, "tWETH", WETH)
    settings = relayer_settings(rate_limit_enabled=True, maker_rate=0.001, maker_burst=2)
    with _client(anvil, suite, database_url, tmp_path, settings) as client:
        _wait_ready(client)
        codes = [
            client.post("/relayer/order", json=_body(client, seller, _order(seller, is_buy=False)))
            for _ in range(3)
        ]
    assert [c.status_code for c in codes] == [201, 201, 429]
    body = codes[2].json()
    assert body["code"] == "rate_limited" and body["details"]["scope"] == "maker"


def test_rate_limit_per_ip(anvil, suite, database_url, tmp_path):
    settings = relayer_settings(rate_limit_enabled=True, ip_rate=0.001, ip_burst=1)
    with _client(anvil, suite, database_url, tmp_path, settings) as client:
        _wait_ready(client)
        first = client.post("/relayer/orders", json={"orders": []})
        second = client.post("/relayer/orders", json={"orders": []})
    assert first.status_code == 422  # schema: at least one order (after the IP check passed)
    assert second.status_code == 429 and second.json()["details"]["scope"] == "ip"


def test_websocket_ticker_and_candles_after_trades(api, seller, buyer):
    with api.websocket_connect("/relayer/ws") as ws:
        ws.send_json({"op": "subscribe", "channel": "ticker", "market_id": 1})
        assert ws.receive_json()["type"] == "subscribed"
        ws.send_json({"op": "subscribe", "channel": "candles", "market_id": 1, "interval": "5m"})
        assert ws.receive_json()["type"] == "subscribed"
        ws.send_json({"op": "subscribe", "channel": "nonsense", "market_id": 1})
        assert ws.receive_json()["code"] == "request_invalid"
        api.post("/relayer/order", json=_body(api, seller, _order(seller, is_buy=False)))
        api.post(
            "/relayer/order", json=_body(api, buyer, _order(buyer, is_buy=True, quantity_lots=4))
        )
        service = api.app.state.relayer.service  # type: ignore[attr-defined]
        api.portal.call(service.sweep)  # type: ignore[union-attr]
        ticker, candle = ws.receive_json(), ws.receive_json()
    assert ticker["channel"] == "ticker" and ticker["last_24h"]["volume_lots"] == 4
    assert ticker["includes_unsettled"] is True
    assert candle["channel"] == "candles" and candle["interval"] == "5m"
    assert (candle["candle"]["close"], candle["candle"]["trades"]) == (PRICE, 1)


# ---------------------------------------------------------------------- conditional orders


def _trade_at(api, seller, buyer, price: int) -> None:
    """One lot traded at ``price``: the market's last trade price becomes ``price``."""
    ask = _order(seller, is_buy=False, quantity_lots=1, price_ticks=price)
    assert api.post("/relayer/order", json=_body(api, seller, ask)).status_code == 201
    bid = _order(buyer, is_buy=True, quantity_lots=1, price_ticks=price)
    ack = api.post("/relayer/order", json=_body(api, buyer, bid, time_in_force="ioc")).json()
    assert ack["matched_lots"] == 1


def test_markets_and_domain_list_the_conditional_order_types(api):
    types = [
        "limit",
        "market",
        "stop_market",
        "stop_limit",
        "take_profit_market",
        "take_profit_limit",
        "trailing_stop_market",
    ]
    market = api.get("/relayer/markets").json()[0]
    assert market["order_types"] == types
    assert market["time_in_force"] == ["gtc", "ioc", "fok", "post_only"]
    assert market["iceberg"] is True and market["oco"] is True
    assert api.get("/relayer/domain").json()["order_types"] == types


def test_an_oco_pair_with_a_stop_through_the_api_hides_the_stops_signature_until_it_fires(
    api, suite, seller, buyer
):
    _trade_at(api, seller, buyer, PRICE)
    bid = _order(buyer, is_buy=True, quantity_lots=5, price_ticks=192_000)
    assert api.post("/relayer/order", json=_body(api, buyer, bid)).status_code == 201
    limit = _order(seller, is_buy=False, quantity_lots=5, price_ticks=210_000)
    limit_hash = "0x" + order_hash(limit, 31337, suite.address("Exchange")).hex()
    stop = _order(seller, is_buy=False, quantity_lots=5, price_ticks=190_000)
    stop_body = _body(
        api,
        seller,
        stop,
        order_type="stop_market",  # time in force left out: ioc for a market-style type
        trigger_price=195_000,
        oco_with=limit_hash.upper().replace("0X", "0x"),
    )
    results = api.post(
        "/relayer/orders", json={"orders": [_body(api, seller, limit), stop_body]}
    ).json()["results"]
    assert [(r["accepted"], r["order"]["status"]) for r in results] == [
        (True, "open"),
        (True, "pending_trigger"),
    ]
    stop_hash = results[1]["order"]["order_hash"]

    pending = api.get(f"/relayer/orders/{stop_hash}").json()
    assert pending["signature"] is None  # a valid order on chain: not published yet
    assert (pending["status"], pending["remaining_lots"], pending["time_in_force"]) == (
        "pending_trigger",
        5,
        "ioc",
    )
    assert (pending["trigger_price"], pending["oco_with"]) == (195_000, limit_hash)
    assert pending["triggered_at"] is None
    listed = {
        o["order_hash"]: o for o in api.get(f"/relayer/makers/{seller.address}/orders").json()
    }
    assert listed[stop_hash]["signature"] is None
    assert listed[limit_hash]["signature"] == _sign(api, seller, limit)  # resting: public
    assert listed[limit_hash]["oco_with"] == stop_hash

    with api.websocket_connect("/relayer/ws") as ws:
        ws.send_json({"op": "subscribe", "channel": "orders", "maker": seller.address})
        assert ws.receive_json()["type"] == "subscribed"
        _trade_at(api, seller, buyer, 195_000)
        messages = []
        while not any(
            m.get("status") == "filled" and m.get("order_hash") == stop_hash for m in messages
        ):
            messages.append(ws.receive_json())
    assert not any("signature" in m for m in messages)
    by_stop = [m for m in messages if m.get("order_hash") == stop_hash and m["type"] == "order"]
    assert [(m["status"], m.get("trigger_last_price")) for m in by_stop] == [
        ("triggered", 195_000),
        ("filled", None),
    ]
    assert any(m.get("order_hash") == limit_hash and m.get("reason") == "oco" for m in messages)

    fired = api.get(f"/relayer/orders/{stop_hash}").json()
    assert fired["signature"] == stop_body["signature"]  # traded: now it may be public
    assert (fired["status"], fired["matched_lots"], fired["trigger_last_price"]) == (
        "filled",
        5,
        195_000,
    )
    assert fired["triggered_at"] is not None
    assert [(f["price_ticks"], f["quantity_lots"]) for f in fired["fills"]] == [(192_000, 5)]
    assert api.get(f"/relayer/orders/{limit_hash}").json()["status"] == "cancelled"


def test_bad_conditional_options_are_400_with_the_field(api, seller):
    order = _order(seller, is_buy=False)
    response = api.post(
        "/relayer/order",
        json=_body(api, seller, order, order_type="trailing_stop_market", trailing_bps=10_000),
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["details"]["field"]) == ("order_option_invalid", "trailing_bps")
    response = api.post(
        "/relayer/order",
        json=_body(api, seller, order, order_type="stop_market", time_in_force="gtc",
                   trigger_price=1),
    )  # fmt: skip
    assert response.json()["details"]["field"] == "time_in_force"
    response = api.post("/relayer/order", json=_body(api, seller, order, order_type="iceberg"))
    assert response.status_code == 422  # not an order type at all: the schema refuses it
    assert api.get(f"/relayer/makers/{seller.address}/orders?status=all").json() == []


def test_a_waiting_trailing_stop_shows_its_watermark_and_the_price_that_fires_it(
    api, seller, buyer
):
    """The watermark follows the trades; the published trigger price is exactly where the
    engine fires (bps bounds round toward the watermark's side: a sell's down, a buy's up)."""
    _trade_at(api, seller, buyer, PRICE)
    sell = _order(seller, is_buy=False, quantity_lots=2, price_ticks=190_000)
    body = _body(api, seller, sell, order_type="trailing_stop_market", trailing_bps=100)
    sell_hash = api.post("/relayer/order", json=body).json()["order_hash"]
    shown = api.get(f"/relayer/orders/{sell_hash}").json()
    assert (shown["trailing_watermark"], shown["trailing_trigger_price"]) == (PRICE, 198_000)

    _trade_at(api, seller, buyer, 201_003)  # a new peak: 201,003 x 0.99 = 198,992.97
    listed = api.get(f"/relayer/makers/{seller.address}/orders").json()
    [shown] = [o for o in listed if o["order_hash"] == sell_hash]
    assert (shown["trailing_watermark"], shown["trailing_trigger_price"]) == (201_003, 198_992)

    buy = _order(buyer, is_buy=True, quantity_lots=2, price_ticks=205_000)
    body = _body(api, buyer, buy, order_type="trailing_stop_market", trailing_bps=100)
    buy_hash = api.post("/relayer/order", json=body).json()["order_hash"]
    _trade_at(api, seller, buyer, 200_001)  # a new trough: 200,001 x 1.01 = 202,001.01
    shown = api.get(f"/relayer/orders/{buy_hash}").json()
    assert (shown["trailing_watermark"], shown["trailing_trigger_price"]) == (200_001, 202_002)
    assert api.get(f"/relayer/orders/{sell_hash}").json()["trailing_watermark"] == 201_003

    _trade_at(api, seller, buyer, 202_001)  # one tick short: still waiting
    assert api.get(f"/relayer/orders/{buy_hash}").json()["status"] == "pending_trigger"
    _trade_at(api, seller, buyer, 202_002)
    fired = api.get(f"/relayer/orders/{buy_hash}").json()
    assert (fired["status"], fired["trigger_last_price"]) != ("pending_trigger", None)
    assert fired["trigger_last_price"] == 202_002
    assert fired["trailing_watermark"] is None and fired["trailing_trigger_price"] is None


def test_an_iceberg_shows_only_its_display_in_the_public_book(api, seller, buyer):
    order = _order(seller, is_buy=False, quantity_lots=10)
    ack = api.post("/relayer/order", json=_body(api, seller, order, display_lots=3)).json()
    assert api.get("/relayer/markets/1/book").json()["asks"] == [
        {"price_ticks": PRICE, "quantity_lots": 3, "orders": 1}
    ]
    with api.websocket_connect("/relayer/ws") as ws:
        ws.send_json({"op": "subscribe", "channel": "book", "market_id": 1})
        assert ws.receive_json()["asks"] == [[PRICE, 3]]
        take = _order(buyer, is_buy=True, quantity_lots=4)
        api.post("/relayer/order", json=_body(api, buyer, take, time_in_force="ioc"))
        deltas = [ws.receive_json() for _ in range(2)]
    # 3 shown are taken, 3 more are shown, 1 of them is taken.
    assert [d["quantity_lots"] for d in deltas] == [3, 2]
    assert api.get("/relayer/markets/1/book").json()["asks"][0]["quantity_lots"] == 2
    mine = api.get(f"/relayer/orders/{ack['order_hash']}").json()  # the maker's view: all of it
    assert (mine["quantity_lots"], mine["display_lots"], mine["remaining_lots"]) == (10, 3, 6)
