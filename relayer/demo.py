"""A small market maker for local chains: gives every empty market a visible book.

``tigerex up`` runs :func:`seed_demo_book` once the API answers, so a newcomer sees a live
book and can trade against it from the SDK. Anvil's dev accounts 8 (asks) and 9 (bids) deposit
what they need into the exchange vault and post a ladder of signed orders around a demo mid
price (2,000 quote tokens per base token) through the relayer's public API, like any maker.
A market whose book already has orders is left alone, so rerunning is harmless.
"""

from __future__ import annotations

import time
from typing import Any

from web3 import Web3
from web3.types import TxParams, Wei

from relayer.client import RelayerApiError, RelayerClient
from tigerex.devchain import dev_accounts

DEMO_MID_PRICE = 2_000  # whole quote tokens per whole base token
SELLER, BUYER = 8, 9
_ERC20_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": name,
        "stateMutability": mutability,
        "inputs": [{"name": f"a{i}", "type": t} for i, t in enumerate(inputs)],
        "outputs": [{"name": "", "type": out} for out in outputs],
    }
    for name, mutability, inputs, outputs in (
        ("decimals", "view", [], ["uint8"]),
        ("approve", "nonpayable", ["address", "uint256"], ["bool"]),
    )
]
_VAULT_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "deposit",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "token", "type": "address"}, {"name": "amount", "type": "uint256"}],
        "outputs": [],
    },
    {
        "type": "function",
        "name": "balanceOf",
        "stateMutability": "view",
        "inputs": [{"name": "token", "type": "address"}, {"name": "account", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    },
    {
        "type": "function",
        "name": "weth",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "address"}],
    },
    {
        "type": "function",
        "name": "depositETH",
        "stateMutability": "payable",
        "inputs": [],
        "outputs": [],
    },
]


def _wait_for_relayer(client: RelayerClient, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.markets()
        except RelayerApiError as err:
            if err.code != "relayer_unavailable" or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def _ensure_vault(w3: Web3, exchange: str, token: str, account: str, amount: int) -> None:
    vault = w3.eth.contract(address=Web3.to_checksum_address(exchange), abi=_VAULT_ABI)
    missing = amount - vault.functions.balanceOf(token, account).call()
    if missing <= 0:
        return
    if Web3.to_checksum_address(token) == vault.functions.weth().call():
        # The vault's WETH is funded with ETH itself (dev accounts hold ETH, not WETH).
        steps: list[tuple[Any, TxParams]] = [
            (vault.functions.depositETH(), {"from": account, "value": Wei(missing)})
        ]
    else:
        erc20 = w3.eth.contract(address=Web3.to_checksum_address(token), abi=_ERC20_ABI)
        steps = [
            (erc20.functions.approve(vault.address, missing), {"from": account}),
            (vault.functions.deposit(token, missing), {"from": account}),
        ]
    for call, tx in steps:
        receipt = w3.eth.wait_for_transaction_receipt(call.transact(tx))
        if receipt["status"] != 1:
            raise RuntimeError(f"demo deposit of {token} by {account} reverted")


def seed_demo_book(
    api_url: str, rpc_url: str, *, levels: int = 5, lots_per_level: int = 10, timeout: float = 30
) -> int:
    """Post a ladder of ``levels`` asks and bids on every empty market; returns how many.

    Raises:
        RelayerApiError: the relayer did not start within ``timeout`` or refused an order.
    """
    client = RelayerClient(api_url)
    w3 = Web3(Web3.HTTPProvider(rpc_url))
    seller, buyer = dev_accounts()[SELLER], dev_accounts()[BUYER]
    placed = 0
    needed: dict[tuple[str, str], int] = {}  # vault amount per (token, account) for the ladders
    try:
        markets = _wait_for_relayer(client, timeout)
        exchange = client.domain()["exchange"]
        for market in markets:
            book = client.book(market["market_id"], levels=1)
            if book["bids"] or book["asks"] or not market["active"]:
                continue
            base_decimals = (
                w3.eth.contract(address=market["base"], abi=_ERC20_ABI).functions.decimals().call()
            )
            quote_decimals = (
                w3.eth.contract(address=market["quote"], abi=_ERC20_ABI).functions.decimals().call()
            )
            lot, tick = int(market["lot_size"]), int(market["tick_size"])
            # the mid price in ticks (quote units per lot / tick size), rounded to the grid
            mid = DEMO_MID_PRICE * 10**quote_decimals * lot // (10**base_decimals * tick)
            if mid < 1_000:
                continue  # the grid is too coarse for a demo ladder
            step = mid // 1_000  # 0.1%
            lots = levels * lots_per_level
            # Markets share tokens (tUSDC quotes both): each ladder adds to what the vault holds.
            for token, holder, amount in (
                (market["base"], seller.address, lots * lot),
                (market["quote"], buyer.address, lots * (mid + step * levels) * tick),
            ):
                needed[(token, holder)] = needed.get((token, holder), 0) + amount
                _ensure_vault(w3, exchange, token, holder, needed[(token, holder)])
            fee = max(market["maker_fee_bps"], market["taker_fee_bps"])
            orders = []
            for level in range(1, levels + 1):
                for account, is_buy, price in (
                    (seller, False, mid + step * level),
                    (buyer, True, mid - step * level),
                ):
                    order = client.build_order(
                        account.address,
                        market_id=market["market_id"],
                        is_buy=is_buy,
                        price_ticks=price,
                        quantity_lots=lots_per_level,
                        expires_in=7 * 86_400,
                        max_fee_bps=max(fee, 1),
                    )
                    orders.append((order, client.sign_order(order, account)))
            results = client.submit_batch(orders)
            refused = [r["error"] for r in results if not r["accepted"]]
            if refused:
                raise RelayerApiError(400, refused[0]["code"], refused[0]["message"], {})
            placed += len(results)
    finally:
        client.close()
    return placed
