"""The deployments registry: ``deployments/<network>.json`` plus the build artifacts.

Each file records the chain id and, per contract instance, its address, deploy transaction, block
and the artifact (contract type in Ape's build manifest) its ABI comes from. Services look every
address and ABI up here; none is hard-coded.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from pydantic import BaseModel, Field
from web3 import Web3
from web3.contract import Contract

from tigerex.errors import (
    ArtifactNotFound,
    ChainIdMismatch,
    DeploymentCodeMissing,
    DeploymentNotFound,
)
from tigerex.paths import build_folder

MANIFEST_NAME = "__local__.json"


class ArtifactRef(BaseModel):
    contract_type: str = Field(description="Contract type name in the build manifest")
    source_id: str | None = Field(default=None, description="Source file, e.g. contracts/x.sol")


class DeployedContract(BaseModel):
    address: ChecksumAddress
    tx_hash: str
    block_number: int
    artifact: ArtifactRef
    constructor_args: list[Any] = Field(default_factory=list)
    deployed_at: datetime


class DeploymentsFile(BaseModel):
    network: str
    chain_id: int
    deployer: ChecksumAddress | None = None
    contracts: dict[str, DeployedContract] = Field(default_factory=dict)
    updated_at: datetime | None = None

    @classmethod
    def load(cls, path: Path) -> DeploymentsFile:
        """Raises DeploymentNotFound with the command to run when the file is absent."""
        if not path.is_file():
            raise DeploymentNotFound(
                f"no deployments file {path}: run `tigerex deploy --network {path.stem}` first",
                details={"path": str(path)},
            )
        return cls.model_validate_json(path.read_text())

    def save(self, path: Path) -> None:
        """Atomic write: a crash mid-write never leaves a truncated file."""
        self.updated_at = datetime.now(UTC)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(self.model_dump_json(indent=2) + "\n")
        os.replace(tmp, path)

    def get(self, name: str) -> DeployedContract:
        try:
            return self.contracts[name]
        except KeyError:
            raise DeploymentNotFound(
                f"contract '{name}' is not in the '{self.network}' deployments "
                f"(has: {', '.join(sorted(self.contracts)) or 'none'})",
                details={"contract": name, "network": self.network},
            ) from None


class BuildArtifacts:
    """Contract types from Ape's build manifest (``.build/__local__.json``)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.manifest_path = (folder or build_folder()) / MANIFEST_NAME
        self._types: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._types is None:
            if not self.manifest_path.is_file():
                raise ArtifactNotFound(
                    f"no build manifest at {self.manifest_path}: compile with `ape compile`"
                )
            self._types = json.loads(self.manifest_path.read_text()).get("contractTypes", {})
        return self._types

    def abi(self, contract_type: str) -> list[dict[str, Any]]:
        types = self._load()
        if contract_type not in types:
            raise ArtifactNotFound(
                f"contract type '{contract_type}' is not in {self.manifest_path}: "
                "recompile with `ape compile`"
            )
        return list(types[contract_type]["abi"])


class ContractRegistry:
    """Addresses from a deployments file, ABIs from the build, bound to one web3 connection."""

    def __init__(
        self, w3: Web3, deployments: DeploymentsFile, artifacts: BuildArtifacts | None = None
    ) -> None:
        self.w3 = w3
        self.deployments = deployments
        self.artifacts = artifacts or BuildArtifacts()

    @classmethod
    def from_file(cls, w3: Web3, path: Path) -> ContractRegistry:
        return cls(w3, DeploymentsFile.load(path))

    def names(self) -> list[str]:
        return sorted(self.deployments.contracts)

    def address(self, name: str) -> ChecksumAddress:
        return self.deployments.get(name).address

    def abi(self, name: str) -> list[dict[str, Any]]:
        return self.artifacts.abi(self.deployments.get(name).artifact.contract_type)

    def contract(self, name: str) -> Contract:
        return self.w3.eth.contract(address=self.address(name), abi=self.abi(name))

    def verify(self) -> None:
        """Check that the file belongs to this chain and that every contract has code there.

        Raises:
            ChainIdMismatch: The file was written for another chain id.
            DeploymentCodeMissing: An address has no code (e.g. Anvil was restarted).
        """
        chain_id = self.w3.eth.chain_id
        if chain_id != self.deployments.chain_id:
            raise ChainIdMismatch(
                expected=self.deployments.chain_id,
                actual=chain_id,
                source=f"deployments file '{self.deployments.network}'",
            )
        missing = [
            name
            for name, entry in self.deployments.contracts.items()
            if not self.w3.eth.get_code(entry.address)
        ]
        if missing:
            raise DeploymentCodeMissing(
                f"no code on chain {chain_id} for {', '.join(sorted(missing))} recorded in "
                f"deployments/{self.deployments.network}.json (node restarted?): run "
                f"`tigerex deploy --network {self.deployments.network}`",
                details={"contracts": sorted(missing)},
            )
