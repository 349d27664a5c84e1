"""Fast log decoding: topic0 -> event ABI, then static words sliced straight from the hex.

web3's ``process_log`` costs tens of microseconds per log; the indexer decodes every log, so
the common static types (address, uintN, intN, bool, bytesN) are read from the hex strings
directly and only dynamic types go through ``eth_abi``. Integers leave as ``int``; the writer
turns them into decimal strings for JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak

from indexer.config import ContractConfig

_STATIC_PREFIXES = ("uint", "int", "bytes", "address", "bool")


def _is_simple_static(abi_type: str) -> bool:
    """A one-word static type we can read by slicing (no arrays, tuples, or dynamic bytes)."""
    if "[" in abi_type or abi_type.startswith("(") or abi_type in ("bytes", "string"):
        return False
    return abi_type.startswith(_STATIC_PREFIXES)


def _word_reader(abi_type: str) -> Callable[[str], Any]:
    """A function that turns one 64-hex-digit word into the Python value of ``abi_type``."""
    if abi_type == "address":
        return lambda w: "0x" + w[24:]
    if abi_type == "bool":
        return lambda w: int(w, 16) != 0
    if abi_type.startswith("uint"):
        return lambda w: int(w, 16)
    if abi_type.startswith("int"):
        bits = int(abi_type[3:] or 256)

        def signed(w: str) -> int:
            value = int(w, 16) & ((1 << bits) - 1)
            return value - (1 << bits) if value >> (bits - 1) else value

        return signed
    if abi_type.startswith("bytes"):
        size = int(abi_type[5:])
        return lambda w: "0x" + w[: size * 2]
    raise ValueError(f"not a simple static type: {abi_type}")


def _canonical_type(item: dict[str, Any]) -> str:
    """The ABI type string, with tuples expanded (``(uint256,address)[]``)."""
    abi_type: str = item["type"]
    if abi_type.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in item.get("components", []))
        return f"({inner}){abi_type[5:]}"
    return abi_type


class DecodeError(ValueError):
    """The log does not match the event ABI (wrong topic count, short or malformed data)."""


@dataclass(frozen=True)
class EventDecoder:
    """Decodes the logs of one event signature."""

    name: str
    signature: str
    topic0: str
    names: tuple[str, ...]
    indexed: tuple[bool, ...]
    topic_readers: tuple[Callable[[str], Any], ...]
    data_types: tuple[str, ...]
    data_readers: tuple[Callable[[str], Any], ...] | None  # None: decode data with eth_abi
    address_args: tuple[int, ...]  # positions of indexed address args (the event's accounts)

    @classmethod
    def from_abi(cls, item: dict[str, Any]) -> EventDecoder:
        """Build a decoder from an ABI ``event`` entry.

        Args:
            item: The ABI entry.

        Returns:
            The decoder.
        """
        inputs = item.get("inputs", [])
        types = [_canonical_type(i) for i in inputs]
        signature = f"{item['name']}({','.join(types)})"
        topic_readers: list[Callable[[str], Any]] = []
        data_types: list[str] = []
        address_args: list[int] = []
        for position, (inp, abi_type) in enumerate(zip(inputs, types, strict=True)):
            if inp.get("indexed"):
                if _is_simple_static(abi_type):
                    topic_readers.append(_word_reader(abi_type))
                else:
                    # Indexed dynamic values are stored as their keccak hash: keep the topic.
                    topic_readers.append(lambda w: "0x" + w)
                if abi_type == "address":
                    address_args.append(position)
            else:
                data_types.append(abi_type)
        readers = (
            tuple(_word_reader(t) for t in data_types)
            if all(_is_simple_static(t) for t in data_types)
            else None
        )
        return cls(
            name=item["name"],
            signature=signature,
            topic0="0x" + keccak(text=signature).hex(),
            names=tuple(i.get("name") or f"arg{n}" for n, i in enumerate(inputs)),
            indexed=tuple(bool(i.get("indexed")) for i in inputs),
            topic_readers=tuple(topic_readers),
            data_types=tuple(data_types),
            data_readers=readers,
            address_args=tuple(address_args),
        )

    def decode(self, topics: list[str], data: str) -> dict[str, Any]:
        """Decode one log's topics and data into ``{arg name: value}``.

        Args:
            topics: The log's topics (hex strings, topic0 first).
            data: The log's data (hex string).

        Returns:
            The arguments by name, in ABI order.

        Raises:
            DecodeError: The log does not have the shape of this event.
        """
        if len(topics) != len(self.topic_readers) + 1:
            raise DecodeError(
                f"{self.name}: {len(topics)} topics, expected {len(self.topic_readers) + 1}"
            )
        raw = data[2:] if data.startswith("0x") else data
        try:
            topic_values = [
                read(t[2:]) for read, t in zip(self.topic_readers, topics[1:], strict=True)
            ]
            if self.data_readers is not None:
                if len(raw) != 64 * len(self.data_readers):
                    raise DecodeError(f"{self.name}: data is {len(raw) // 2} bytes")
                data_values = [
                    read(raw[64 * n : 64 * n + 64]) for n, read in enumerate(self.data_readers)
                ]
            else:
                data_values = list(abi_decode(list(self.data_types), bytes.fromhex(raw)))
        except DecodeError:
            raise
        except Exception as err:  # eth_abi raises many types on malformed data
            raise DecodeError(f"{self.name}: {err}") from err
        args: dict[str, Any] = {}
        t_iter, d_iter = iter(topic_values), iter(data_values)
        for name, is_indexed in zip(self.names, self.indexed, strict=True):
            args[name] = next(t_iter) if is_indexed else next(d_iter)
        return args


def decoders_for(contract: ContractConfig) -> dict[str, EventDecoder]:
    """Every non-anonymous event of a contract, by topic0.

    Args:
        contract: The contract.

    Returns:
        ``{topic0: decoder}``.
    """
    found: dict[str, EventDecoder] = {}
    for item in contract.abi:
        if item.get("type") == "event" and not item.get("anonymous"):
            decoder = EventDecoder.from_abi(item)
            found[decoder.topic0] = decoder
    return found


def json_safe(value: Any) -> Any:
    """A decoded value as JSON: integers as decimal strings (JSON numbers lose precision past
    2**53), bytes as hex, tuples as lists."""
    if isinstance(value, str | bool):
        return value  # addresses and hashes are already lower-case hex from the decoder
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
