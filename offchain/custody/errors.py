"""Errors of the custody flow, each with a stable code (on the kernel's root)."""

from __future__ import annotations

from tigerex.errors import TigerexError


class CustodyError(TigerexError):
    code = "custody_error"


class ProposalNotFound(CustodyError):
    code = "proposal_not_found"
    http_status = 404


class ProposalExists(CustodyError):
    code = "proposal_exists"
    http_status = 409


class ProposalNotPending(CustodyError):
    code = "proposal_not_pending"


class NotAnOwner(CustodyError):
    code = "not_an_owner"


class SignatureInvalid(CustodyError):
    code = "signature_invalid"


class SignatureExists(CustodyError):
    code = "signature_exists"
    http_status = 409


class ThresholdNotMet(CustodyError):
    code = "threshold_not_met"


class NonceNotNext(CustodyError):
    code = "nonce_not_next"


class ExecutionFailed(CustodyError):
    code = "execution_failed"


class InvalidWallet(CustodyError):
    code = "wallet_invalid"
