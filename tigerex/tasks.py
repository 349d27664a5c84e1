"""Kernel tasks. Each is idempotent: Celery may run a task again after a worker dies."""

from __future__ import annotations

from typing import Any

from tigerex.celery_app import app
from tigerex.db import make_engine, migrate, session_factory, session_scope
from tigerex.deployments import DeploymentsFile
from tigerex.models import record_deployments
from tigerex.settings import get_settings


@app.task(name="tigerex.sync_deployments")
def sync_deployments(network: str | None = None) -> dict[str, Any]:
    """Mirror ``deployments/<network>.json`` into the ``deployed_contracts`` table.

    Returns:
        ``{"network", "chain_id", "contracts"}`` of what was synced.
    """
    settings = get_settings()
    name = network or settings.network
    deployments = DeploymentsFile.load(settings.deployments_dir / f"{name}.json")
    migrate(settings.database)
    engine = make_engine(settings.database)
    try:
        with session_scope(session_factory(engine)) as session:
            count = record_deployments(session=session, deployments=deployments)
    finally:
        engine.dispose()
    return {"network": name, "chain_id": deployments.chain_id, "contracts": count}
