"""Deploy a bridge network with web3.py: one Bridge per chain, each registered as the other's
remote, a token on the first chain listed with its BridgedToken on the others, caps set. Writes
the config file the validators and the relayer read.

Ape's deploy script works on one network at a time; a bridge spans several, so this module
deploys from the build artifacts directly (the same bytecode Ape compiled).
"""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract.contract import ContractFunction

from offchain.bridge.config import DEFAULT_CONFIRMATIONS, BridgeNetwork, ChainConfig, TokenRoute
from offchain.bridge.contracts import abi, bridge_contract, bytecode
from offchain.bridge.errors import BridgeConfigInvalid
from offchain.bridge.messages import sorted_validators
from tigerex.chain import connect
from tigerex.errors import TigerexError

WINDOW = 86_400
GRACE_PERIOD = 3_600
DEFAULT_CAP = 10**6 * 10**18  # one million whole 18-decimals tokens per day


def _send(w3: Web3, account: LocalAccount, tx: dict[str, Any]) -> Any:
    tx.setdefault("from", account.address)
    tx["nonce"] = w3.eth.get_transaction_count(account.address, "pending")
    tx["chainId"] = int(w3.eth.chain_id)
    if "gas" not in tx:
        tx["gas"] = int(w3.eth.estimate_gas(tx) * 12 // 10)  # type: ignore[arg-type]
    if "gasPrice" not in tx and "maxFeePerGas" not in tx:
        tx["gasPrice"] = w3.eth.gas_price
    signed = account.sign_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction)
    )
    if receipt["status"] != 1:
        raise TigerexError(f"transaction {signed.hash.hex()} reverted on chain {tx['chainId']}")
    return receipt


def transact(w3: Web3, account: LocalAccount, call: ContractFunction) -> Any:
    """Sign and send a contract call from ``account``; waits for a successful receipt."""
    tx = call.build_transaction({"from": account.address})
    return _send(w3, account, dict(tx))


def deploy_contract(w3: Web3, account: LocalAccount, contract_type: str, *args: Any) -> Any:
    """Deploy ``contract_type`` from the build; returns the receipt (``contractAddress``)."""
    factory = w3.eth.contract(abi=abi(contract_type), bytecode=bytecode(contract_type))
    tx = factory.constructor(*args).build_transaction({"from": account.address})
    return _send(w3, account, dict(tx))


def deploy_bridge_network(
    *,
    rpc_urls: list[str],
    deployer: LocalAccount,
    validators: list[str],
    threshold: int,
    token: str | None = None,
    mint_to: list[str] | None = None,
    cap: int = DEFAULT_CAP,
    confirmations: int = DEFAULT_CONFIRMATIONS,
    name: str = "local",
) -> BridgeNetwork:
    """Deploy and wire a bridge over ``rpc_urls`` (two or more chains, distinct chain ids).

    Args:
        token: An ERC-20 on the first chain to list; None deploys a TestToken ("tBRG",
            18 decimals) there and mints 1,000,000 to each of ``mint_to``.
        cap: Per-day cap of both the release side and every mint side.

    Raises:
        BridgeConfigInvalid: fewer than two chains, or two with the same chain id.
    """
    if len(rpc_urls) < 2:
        raise BridgeConfigInvalid("a bridge needs at least two chains (--rpc-url twice)")
    w3s = [connect(url) for url in rpc_urls]
    chain_ids = [int(w3.eth.chain_id) for w3 in w3s]
    if len(set(chain_ids)) != len(chain_ids):
        raise BridgeConfigInvalid(f"two chains share a chain id: {chain_ids}")
    members = sorted_validators(validators)
    chains: list[ChainConfig] = []
    for url, w3, chain_id in zip(rpc_urls, w3s, chain_ids, strict=True):
        receipt = deploy_contract(
            w3,
            deployer,
            "Bridge",
            deployer.address,
            deployer.address,
            members,
            threshold,
            WINDOW,
            GRACE_PERIOD,
        )
        chains.append(
            ChainConfig(
                chain_id=chain_id,
                rpc_url=url,
                bridge=to_checksum_address(receipt["contractAddress"]),
                deploy_block=int(receipt["blockNumber"]),
                confirmations=confirmations,
            )
        )
    bridges = [bridge_contract(w3, c.bridge) for w3, c in zip(w3s, chains, strict=True)]
    for w3, bridge, here in zip(w3s, bridges, chains, strict=True):
        for other in chains:
            if other.chain_id != here.chain_id:
                transact(
                    w3, deployer, bridge.functions.setRemoteBridge(other.chain_id, other.bridge)
                )

    home_w3, home = w3s[0], chains[0]
    if token is None:
        receipt = deploy_contract(
            home_w3, deployer, "TestToken", "Bridge Test Token", "tBRG", 18, deployer.address
        )
        token = to_checksum_address(receipt["contractAddress"])
        minted = home_w3.eth.contract(address=token, abi=abi("TestToken"))
        for holder in mint_to or []:
            transact(home_w3, deployer, minted.functions.mint(holder, 10**6 * 10**18))
    origin = to_checksum_address(token)
    erc20 = home_w3.eth.contract(address=origin, abi=abi("TestToken"))
    symbol, decimals = erc20.functions.symbol().call(), erc20.functions.decimals().call()
    transact(home_w3, deployer, bridges[0].functions.setTokenLimit(origin, cap))
    routes: list[TokenRoute] = []
    for w3, bridge, here in zip(w3s[1:], bridges[1:], chains[1:], strict=True):
        transact(
            w3,
            deployer,
            bridge.functions.createBridgedToken(
                home.chain_id, origin, f"Bridged {symbol}", f"{symbol}.b", decimals
            ),
        )
        bridged = to_checksum_address(bridge.functions.bridgedToken(home.chain_id, origin).call())
        transact(w3, deployer, bridge.functions.setTokenLimit(bridged, cap))
        routes.append(
            TokenRoute(
                origin_chain_id=home.chain_id,
                origin_token=origin,
                remote_chain_id=here.chain_id,
                bridged_token=bridged,
            )
        )
    return BridgeNetwork(
        name=name, chains=chains, validators=members, threshold=threshold, tokens=routes
    )
