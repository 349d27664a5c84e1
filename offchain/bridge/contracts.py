"""web3.py access to the Bridge contracts on several chains: ABIs and bytecode from the build,
decoding of Deposit/Burned logs into messages."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from offchain.bridge.messages import BridgeMessage, MessageKind
from tigerex.deployments import MANIFEST_NAME, BuildArtifacts
from tigerex.errors import ArtifactNotFound
from tigerex.paths import build_folder

#: Event name -> what happened on the source.
SOURCE_EVENTS = {"Deposit": MessageKind.LOCK, "Burned": MessageKind.BURN}


@cache
def _artifacts() -> BuildArtifacts:
    return BuildArtifacts()


def abi(contract_type: str) -> list[dict[str, Any]]:
    return _artifacts().abi(contract_type)


def bytecode(contract_type: str) -> str:
    manifest = build_folder() / MANIFEST_NAME
    types = json.loads(manifest.read_text()).get("contractTypes", {})
    try:
        return str(types[contract_type]["deploymentBytecode"]["bytecode"])
    except KeyError:
        raise ArtifactNotFound(
            f"no bytecode for {contract_type} in {manifest}: compile with `ape compile`"
        ) from None


def bridge_contract(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=to_checksum_address(address), abi=abi("Bridge"))


def source_topics(bridge: Contract) -> list[str]:
    return [
        "0x" + bytes(Web3.keccak(text=_signature(bridge, name))).hex() for name in SOURCE_EVENTS
    ]


def _signature(bridge: Contract, name: str) -> str:
    entries: list[dict[str, Any]] = [dict(e) for e in bridge.abi]
    (entry,) = [e for e in entries if e.get("type") == "event" and e.get("name") == name]
    return f"{name}({','.join(i['type'] for i in entry['inputs'])})"


class ObservedMessage:
    """A source event turned into the message for its destination, with where it was seen."""

    def __init__(self, message: BridgeMessage, tx_hash: str, block_number: int) -> None:
        self.message = message
        self.tx_hash = tx_hash
        self.block_number = block_number


def decode_source_logs(
    bridge: Contract,
    logs: list[Any],
    *,
    dst_bridges: dict[int, ChecksumAddress],
    epochs: dict[int, int],
) -> list[ObservedMessage]:
    """Deposit/Burned logs -> messages for destinations in ``dst_bridges`` (others skipped),
    each stamped with its destination's current ``epochs`` value."""
    decoded: list[ObservedMessage] = []
    events = {name: getattr(bridge.events, name)() for name in SOURCE_EVENTS}
    topic_names = dict(zip(source_topics(bridge), SOURCE_EVENTS, strict=True))
    for log in logs:
        topic0 = "0x" + bytes(log["topics"][0]).hex()
        name = topic_names.get(topic0)
        if name is None or to_checksum_address(log["address"]) != bridge.address:
            continue
        args = events[name].process_log(log)["args"]
        dst = int(args["dstChainId"])
        if dst not in dst_bridges:
            continue
        message = BridgeMessage(
            kind=SOURCE_EVENTS[name],
            src_chain_id=int(args["srcChainId"]),
            src_bridge=bridge.address,
            dst_chain_id=dst,
            dst_bridge=dst_bridges[dst],
            nonce=int(args["nonce"]),
            token=to_checksum_address(args["token"]),
            recipient=to_checksum_address(args["recipient"]),
            amount=int(args["amount"]),
            epoch=epochs[dst],
        )
        decoded.append(
            ObservedMessage(message, "0x" + bytes(log["transactionHash"]).hex(), log["blockNumber"])
        )
    return decoded
