"""Kernel tables. Services define their own models on ``tigerex.db.Base`` in their packages;
``tigerex/migrations/env.py`` imports every model module so Alembic sees one schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from tigerex.db import Base
from tigerex.deployments import DeploymentsFile


class DeployedContractRow(Base):
    """The deployments registry mirrored into SQL, so services and the indexer can join events
    to contract names. Written by ``sync_deployments`` after every deploy; keyed per chain."""

    __tablename__ = "deployed_contracts"
    __table_args__ = (UniqueConstraint("chain_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger, index=True)
    network: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    contract_type: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(42), index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger)
    constructor_args: Mapped[list[object]] = mapped_column(JSON, default=list)
    synced_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


def record_deployments(*, session: Session, deployments: DeploymentsFile) -> int:
    """Upsert every contract of ``deployments`` into ``deployed_contracts``; returns the count.

    Rows of this chain that the file no longer lists are deleted, so the table always equals the
    file (a ``--force`` redeploy replaces addresses, it never leaves stale ones behind).
    """
    existing = {
        row.name: row
        for row in session.scalars(
            select(DeployedContractRow).where(DeployedContractRow.chain_id == deployments.chain_id)
        )
    }
    for name, entry in deployments.contracts.items():
        row = existing.pop(name, None) or DeployedContractRow(
            chain_id=deployments.chain_id, name=name
        )
        row.network = deployments.network
        row.contract_type = entry.artifact.contract_type
        row.address = entry.address
        row.tx_hash = entry.tx_hash
        row.block_number = entry.block_number
        row.constructor_args = list(entry.constructor_args)
        session.add(row)
    for stale in existing.values():
        session.delete(stale)
    session.flush()
    return len(deployments.contracts)
