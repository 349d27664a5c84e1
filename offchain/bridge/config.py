"""The bridge network's configuration file: every chain's node, bridge and confirmation depth,
the validator set and the bridged tokens. Written by ``tigerex bridge deploy``, read by the
validators and the relayer (default ``<deployments_dir>/bridge-<name>.json``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from eth_typing import ChecksumAddress
from pydantic import BaseModel, Field

from offchain.bridge.errors import BridgeConfigInvalid

#: Blocks on top of a deposit's block before validators sign it (the deposit's block + 3 more).
DEFAULT_CONFIRMATIONS = 3


class ChainConfig(BaseModel):
    chain_id: int
    rpc_url: str
    bridge: ChecksumAddress
    deploy_block: int = Field(description="Validators start scanning here")
    confirmations: int = DEFAULT_CONFIRMATIONS


class TokenRoute(BaseModel):
    origin_chain_id: int
    origin_token: ChecksumAddress
    remote_chain_id: int
    bridged_token: ChecksumAddress


class BridgeNetwork(BaseModel):
    name: str = "local"
    chains: list[ChainConfig]
    validators: list[ChecksumAddress]
    threshold: int
    tokens: list[TokenRoute] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> BridgeNetwork:
        if not path.is_file():
            raise BridgeConfigInvalid(
                f"no bridge config at {path}: run `tigerex bridge deploy` first",
                details={"path": str(path)},
            )
        return cls.model_validate_json(path.read_text())

    def save(self, path: Path) -> None:
        """Atomic write: a crash mid-write never leaves a truncated file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(self.model_dump_json(indent=2) + "\n")
        os.replace(tmp, path)

    def chain(self, chain_id: int) -> ChainConfig:
        for chain in self.chains:
            if chain.chain_id == chain_id:
                return chain
        raise BridgeConfigInvalid(
            f"chain {chain_id} is not in the bridge config '{self.name}'",
            details={"chain_id": chain_id},
        )


def default_config_path(deployments_dir: Path, name: str = "local") -> Path:
    return deployments_dir / f"bridge-{name}.json"
