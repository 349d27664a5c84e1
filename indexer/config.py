"""What to index: chains, their RPC URLs, and the contracts (address, ABI, start block) on each.

The config is read from the kernel's deployments registry (``deployments/<network>.json``, start
block = deploy block) and the build artifacts (ABIs), never hard-coded. Several chains can be
followed at once (the bridge needs two), each with its own RPC URL and confirmation depth.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tigerex.deployments import BuildArtifacts, DeploymentsFile

# Default confirmation depth per chain id: how deep a block must be before its rows count as
# final. Local dev chains reorg only when a test makes them, so 1 suffices; Ethereum finalises
# after two epochs (64 blocks); rollups' sequencers reorg rarely and shallowly.
DEFAULT_CONFIRMATIONS: dict[int, int] = {
    31337: 1,
    1337: 1,
    1: 64,
    11155111: 64,
    17000: 64,
    10: 10,
    8453: 10,
    42161: 10,
    137: 128,
}
FALLBACK_CONFIRMATIONS = 12

ERC20_TRANSFER_SIGNATURE = "Transfer(address,address,uint256)"


def default_confirmations(chain_id: int) -> int:
    """The confirmation depth used when none is configured.

    Args:
        chain_id: The chain's id.

    Returns:
        The number of blocks after which an indexed block is considered final.
    """
    return DEFAULT_CONFIRMATIONS.get(chain_id, FALLBACK_CONFIRMATIONS)


def _is_erc20(abi: list[dict[str, Any]]) -> bool:
    """ERC-20 by shape: a ``Transfer(address indexed, address indexed, uint256)`` event and
    ``balanceOf``. ERC-721's Transfer indexes the token id too and is therefore excluded."""
    has_balance_of = any(i.get("type") == "function" and i.get("name") == "balanceOf" for i in abi)
    for item in abi:
        if item.get("type") != "event" or item.get("name") != "Transfer":
            continue
        inputs = item.get("inputs", [])
        types = [i["type"] for i in inputs]
        indexed = [bool(i.get("indexed")) for i in inputs]
        if types == ["address", "address", "uint256"] and indexed == [True, True, False]:
            return has_balance_of
    return False


@dataclass(frozen=True)
class ContractConfig:
    """One contract instance to index.

    Attributes:
        name: The deployments key (``TUSD``); the ``Contract`` half of ``Contract:Event``.
        contract_type: The artifact's contract type (``TigerUSD``); handlers may key on it too.
        address: Lower-case hex address (the indexer stores addresses lower-case throughout).
        abi: The contract's ABI from the build.
        start_block: First block to read (the deploy block).
        interfaces: Shapes the contract has (``ERC20``); handlers may key on these as well.
    """

    name: str
    contract_type: str
    address: str
    abi: list[dict[str, Any]]
    start_block: int
    interfaces: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        *,
        name: str,
        contract_type: str,
        address: str,
        abi: list[dict[str, Any]],
        start_block: int,
        interfaces: frozenset[str] | None = None,
    ) -> ContractConfig:
        """A contract config, with its interfaces detected from the ABI unless given.

        Args:
            name: Deployments key.
            contract_type: Artifact contract type.
            address: Address in any case.
            abi: ABI.
            start_block: Deploy block.
            interfaces: Override the detected interfaces.

        Returns:
            The config.
        """
        if interfaces is None:
            interfaces = frozenset({"ERC20"}) if _is_erc20(abi) else frozenset()
        return cls(
            name=name,
            contract_type=contract_type,
            address=address.lower(),
            abi=abi,
            start_block=start_block,
            interfaces=interfaces,
        )


@dataclass(frozen=True)
class FactoryChildren:
    """A declaration (Ponder's ``factory()``): every address a factory event emits is an instance
    of ``child_type``, indexed from the block of that event onwards.

    Attributes:
        factory: The emitting contract: a deployments name or a contract type.
        event: The factory's creation event (``WalletCreated``).
        argument: The event argument holding the new address (``wallet``).
        child_type: The children's contract type; their ABI comes from the build and their
            events reach handlers keyed ``<child_type>:<Event>``.
    """

    factory: str
    event: str
    argument: str
    child_type: str


# Contracts created at run time that the indexer follows. A new factory is one line here.
FACTORY_CHILDREN: tuple[FactoryChildren, ...] = (
    FactoryChildren(
        factory="MultisigFactory", event="WalletCreated", argument="wallet",
        child_type="MultisigWallet",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class FactorySpec:
    """A ``FactoryChildren`` declaration resolved on one chain.

    Attributes:
        factory: The factory contract (a followed static contract).
        event: The creation event's name.
        topic0: The creation event's topic0 (so creations are found without decoding all logs).
        argument: The argument holding the child's address.
        child_type: The children's contract type.
        child_abi: Their ABI.
    """

    factory: ContractConfig
    event: str
    topic0: str
    argument: str
    child_type: str
    child_abi: list[dict[str, Any]]

    def child(self, address: str, start_block: int) -> ContractConfig:
        """The config of one child created at ``start_block``.

        Args:
            address: The child's address.
            start_block: The block of its creation event.

        Returns:
            The child's contract config (name = its contract type).
        """
        return ContractConfig.build(
            name=self.child_type,
            contract_type=self.child_type,
            address=address,
            abi=self.child_abi,
            start_block=start_block,
        )


@dataclass(frozen=True)
class ChainConfig:
    """One chain to follow.

    Attributes:
        chain_id: The chain id (the rows' key; checked against the node at start).
        network: The deployments name (``local``).
        rpc_url: The node's HTTP JSON-RPC URL.
        contracts: The contracts to index on this chain.
        confirmations: Depth after which rows count as final.
        reorg_window: How many recent block hashes are kept to find a fork point.
        poll_interval: Seconds between polls when at the head.
        initial_range / max_range: ``eth_getLogs`` block range to start with / never exceed.
        rpc_timeout: Seconds per request; a ``eth_getLogs`` timeout halves the range.
        from_block: Override the start block (the first block read when nothing is indexed).
        factories: Factory events whose emitted addresses are followed as contracts too.
    """

    chain_id: int
    network: str
    rpc_url: str
    contracts: tuple[ContractConfig, ...]
    confirmations: int = 1
    reorg_window: int = 256
    poll_interval: float = 0.5
    initial_range: int = 500
    max_range: int = 20_000
    min_range: int = 1
    rpc_timeout: float = 10.0
    max_attempts: int = 8
    from_block: int | None = None
    factories: tuple[FactorySpec, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def start_block(self) -> int:
        """The first block to read: the earliest deploy block unless overridden."""
        if self.from_block is not None:
            return self.from_block
        return min((c.start_block for c in self.contracts), default=0)

    def fingerprint(self) -> str:
        """A digest of what is indexed (addresses and start): when it changes, for example after
        a ``--force`` redeploy, the chain's rows are stale and are indexed again."""
        blob = json.dumps(
            {
                "start": self.start_block,
                "contracts": sorted((c.name, c.address, c.start_block) for c in self.contracts),
                # Only present when there are factories, so an index without any keeps its
                # fingerprint (and is not re-indexed) across this version.
                **(
                    {
                        "factories": sorted(
                            (f.factory.address, f.event, f.argument, f.child_type)
                            for f in self.factories
                        )
                    }
                    if self.factories
                    else {}
                ),
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def chain_from_deployments(
    path: Path,
    *,
    rpc_url: str,
    artifacts: BuildArtifacts | None = None,
    confirmations: int | None = None,
    from_block: int | None = None,
    **options: Any,
) -> ChainConfig:
    """The chain config for one deployments file.

    Args:
        path: ``deployments/<network>.json``.
        rpc_url: The node to read from.
        artifacts: Where the ABIs come from (default: the project's build).
        confirmations: Confirmation depth (default: per chain id, see ``DEFAULT_CONFIRMATIONS``).
        from_block: Start block override.
        **options: Further ``ChainConfig`` fields (``max_range``, ``poll_interval``, ...).

    Returns:
        The chain config.

    Raises:
        DeploymentNotFound: The file does not exist.
        ArtifactNotFound: A contract's ABI is not in the build.
    """
    return chain_from_record(
        DeploymentsFile.load(path),
        rpc_url=rpc_url,
        artifacts=artifacts,
        confirmations=confirmations,
        from_block=from_block,
        **options,
    )


def chain_from_record(
    deployments: DeploymentsFile,
    *,
    rpc_url: str,
    artifacts: BuildArtifacts | None = None,
    confirmations: int | None = None,
    from_block: int | None = None,
    **options: Any,
) -> ChainConfig:
    """The chain config for a loaded deployments record (see ``chain_from_deployments``).

    Args:
        deployments: The record.
        rpc_url: The node to read from.
        artifacts: Where the ABIs come from (default: the project's build).
        confirmations: Confirmation depth (default: per chain id).
        from_block: Start block override.
        **options: Further ``ChainConfig`` fields.

    Returns:
        The chain config.

    Raises:
        ArtifactNotFound: A contract's ABI is not in the build.
    """
    artifacts = artifacts or BuildArtifacts()
    contracts = tuple(
        ContractConfig.build(
            name=name,
            contract_type=entry.artifact.contract_type,
            address=entry.address,
            abi=artifacts.abi(entry.artifact.contract_type),
            start_block=entry.block_number,
        )
        for name, entry in sorted(deployments.contracts.items())
    )
    return ChainConfig(
        chain_id=deployments.chain_id,
        network=deployments.network,
        rpc_url=rpc_url,
        contracts=contracts,
        factories=resolve_factories(contracts, artifacts),
        confirmations=(
            default_confirmations(deployments.chain_id) if confirmations is None else confirmations
        ),
        from_block=from_block,
        **options,
    )


def resolve_factories(
    contracts: tuple[ContractConfig, ...],
    artifacts: BuildArtifacts,
    declarations: tuple[FactoryChildren, ...] = FACTORY_CHILDREN,
) -> tuple[FactorySpec, ...]:
    """The declarations that apply to ``contracts``: one spec per followed factory instance.

    Args:
        contracts: The chain's static contracts.
        artifacts: Where the children's ABIs come from.
        declarations: The factory declarations (default: ``FACTORY_CHILDREN``).

    Returns:
        The specs, ordered by factory address.

    Raises:
        ArtifactNotFound: A child type's ABI is not in the build.
        ValueError: A declaration names an event or argument the factory's ABI lacks.
    """
    from indexer.decoder import EventDecoder  # the decoder imports this module

    specs: list[FactorySpec] = []
    for decl in declarations:
        for contract in contracts:
            if decl.factory not in (contract.name, contract.contract_type):
                continue
            items = [
                i for i in contract.abi if i.get("type") == "event" and i.get("name") == decl.event
            ]
            if len(items) != 1 or decl.argument not in [
                a.get("name") for a in items[0].get("inputs", [])
            ]:
                raise ValueError(
                    f"{contract.name} has no single event {decl.event} with an argument "
                    f"{decl.argument!r} (factory declaration for {decl.child_type})"
                )
            specs.append(
                FactorySpec(
                    factory=contract,
                    event=decl.event,
                    topic0=EventDecoder.from_abi(items[0]).topic0,
                    argument=decl.argument,
                    child_type=decl.child_type,
                    child_abi=artifacts.abi(decl.child_type),
                )
            )
    return tuple(sorted(specs, key=lambda s: (s.factory.address, s.event, s.child_type)))
