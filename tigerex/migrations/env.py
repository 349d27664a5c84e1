"""Alembic environment: one schema for the whole distribution (kernel + services)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import indexer.models  # noqa: F401  (registers the indexer's tables)
import offchain.bridge.models  # bridge messages, validator signatures
import offchain.custody.models  # noqa: F401  (multisig proposals and signatures)
import relayer.models  # noqa: F401  (the relayer journal: orders, fills, settlements, snapshots)
import tigerex.models  # noqa: F401  (registers the kernel tables)
from tigerex.db import Base, make_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER TABLE via copy
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


url = context.config.get_main_option("sqlalchemy.url")
assert url is not None
if context.is_offline_mode():
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
