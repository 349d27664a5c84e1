"""Errors of the earn service and its admin commands, each with a stable code."""

from __future__ import annotations

from tigerex.errors import TigerexError


class EarnError(TigerexError):
    code = "earn_error"


class PoolNotFound(EarnError):
    code = "pool_not_found"
    http_status = 404


class SaleNotFound(EarnError):
    code = "sale_not_found"
    http_status = 404


class ParticipationNotFound(EarnError):
    code = "participation_not_found"
    http_status = 404


class ContractRequired(EarnError):
    """Several indexed contracts have an item with this id: the caller must say which."""

    code = "contract_required"


class AmountInvalid(EarnError):
    code = "amount_invalid"


class TokenUnknown(EarnError):
    code = "token_unknown"


class SeedFileInvalid(EarnError):
    code = "seed_file_invalid"


class TransactionReverted(EarnError):
    code = "transaction_reverted"


class AttesterRoleMissing(EarnError):
    """The key would sign an attestation the registry refuses (no ATTESTER_ROLE)."""

    code = "attester_role_missing"
