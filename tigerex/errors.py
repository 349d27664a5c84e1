"""The exception root of the shared kernel.

Every error carries a stable ``code`` (for APIs and scripts) and a one-line ``message`` that says
what to do; the CLI prints ``error[code]: message`` instead of a traceback.
"""

from __future__ import annotations

from typing import Any


class TigerexError(Exception):
    """Root of every error the kernel raises on purpose."""

    code: str = "tigerex_error"
    #: HTTP status when the error reaches an API client.
    http_status: int = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ConfigurationError(TigerexError):
    """A setting is missing, malformed or insecure for the network it is used on."""

    code = "configuration_invalid"


class ToolchainMissing(TigerexError):
    """An npm or pip prerequisite is not installed."""

    code = "toolchain_missing"


class ChainUnreachable(TigerexError):
    """The JSON-RPC endpoint does not answer."""

    code = "chain_unreachable"
    http_status = 503


class ChainIdMismatch(TigerexError):
    """The node's chain id differs from the one expected (settings or deployments file)."""

    code = "chain_id_mismatch"

    def __init__(self, *, expected: int, actual: int, source: str) -> None:
        super().__init__(
            f"chain id mismatch: {source} says {expected}, the node says {actual}; "
            "point TIGEREX_RPC_URL at the right node or use the deployments file of this chain",
            details={"expected": expected, "actual": actual, "source": source},
        )


class DeploymentNotFound(TigerexError):
    """No deployments file, or no entry for a contract, for this network."""

    code = "deployment_not_found"
    http_status = 404


class DeploymentCodeMissing(TigerexError):
    """The deployments file names addresses where the chain has no code (e.g. Anvil restarted)."""

    code = "deployment_code_missing"


class ArtifactNotFound(TigerexError):
    """A contract's compiled artifact (ABI) is missing: compile first."""

    code = "artifact_not_found"
