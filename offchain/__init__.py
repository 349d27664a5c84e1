"""Custodial services that settle to chain: KYC, fiat gateway, custodial exchange."""
