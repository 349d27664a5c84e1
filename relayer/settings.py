"""Settings of the relayer service, read from ``TIGEREX_RELAYER_*`` environment variables.

The kernel's :class:`tigerex.settings.Settings` says which chain, deployments file and database;
these say how the relayer behaves on them.
"""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RelayerSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TIGEREX_RELAYER_", env_file=".env", extra="ignore"
    )

    exchange: str = Field(default="Exchange", description="Name of the Exchange deployment entry")
    markets: list[int] | None = Field(
        default=None,
        description="Market ids to serve; default: every market the Exchange created "
        "(MarketCreated events since its deploy block)",
    )
    min_notional: int = Field(
        default=0,
        ge=0,
        description="Smallest order notional in quote base units (quantity * price * tick size)",
    )
    min_expiry_seconds: int = Field(
        default=5, ge=0, description="An order must stay valid at least this long after intake"
    )
    max_batch: int = Field(default=1_000, ge=1, description="Most orders in one POST /orders")
    max_depth_levels: int = Field(default=500, ge=1)
    balance_ttl: float = Field(
        default=2.0,
        ge=0,
        description="Seconds a vault balance / epoch read is reused to accept orders; a rejection "
        "for funds or epoch always re-reads the chain",
    )
    order_state_from_events: bool = Field(
        default=True,
        description="Know which orders were filled or cancelled on chain from the Exchange's "
        "OrderFilled / OrderCancelled events (scanned at start, then followed every "
        "poll_interval) and read filled()/cancelled() only for an order they name; false: read "
        "them for every order at intake (one node round trip per request)",
    )
    snapshot_interval: float = Field(
        default=30.0, gt=0, description="Seconds between engine snapshots of a changed market"
    )
    snapshot_keep: int = Field(default=2, ge=1, description="Snapshots kept per market")
    poll_interval: float = Field(
        default=1.0,
        gt=0,
        description="Seconds between sweeps: expiries, settlement status, on-chain cancels",
    )
    # Rate limits (token buckets): requests per IP, orders + cancels per maker.
    rate_limit_enabled: bool = True
    ip_rate: float = Field(default=50.0, gt=0, description="Requests per second per client IP")
    ip_burst: float = Field(default=200.0, gt=0)
    maker_rate: float = Field(default=50.0, gt=0, description="Orders/cancels per second/maker")
    maker_burst: float = Field(default=500.0, gt=0)


@cache
def get_relayer_settings() -> RelayerSettings:
    """The process-wide relayer settings (read once)."""
    return RelayerSettings()
