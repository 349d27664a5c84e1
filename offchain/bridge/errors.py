"""Errors of the bridge's off-chain side, each with a stable code (on the kernel's root)."""

from __future__ import annotations

from tigerex.errors import TigerexError


class BridgeError(TigerexError):
    code = "bridge_error"


class SignatureMalformed(BridgeError):
    code = "bridge_signature_malformed"


class DuplicateSigner(BridgeError):
    code = "bridge_duplicate_signer"


class QuorumNotMet(BridgeError):
    code = "bridge_quorum_not_met"


class BridgeConfigInvalid(BridgeError):
    code = "bridge_config_invalid"


class ClaimFailed(BridgeError):
    code = "bridge_claim_failed"
