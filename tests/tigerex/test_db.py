from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect, select

from tigerex.db import (
    UINT256_MAX,
    Uint256,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    migrate,
)
from tigerex.deployments import ArtifactRef, DeployedContract, DeploymentsFile
from tigerex.models import DeployedContractRow, record_deployments

ADDRESS_A = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ADDRESS_B = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


def test_migrations_upgrade_downgrade_and_upgrade_again(empty_database_url):
    migrate(empty_database_url)
    assert current_revision(empty_database_url) == head_revision()
    engine = make_engine(empty_database_url)
    assert "deployed_contracts" in inspect(engine).get_table_names()
    downgrade(empty_database_url, "0001_kernel")
    assert current_revision(empty_database_url) == "0001_kernel"
    downgrade(empty_database_url, "base")
    assert current_revision(empty_database_url) is None
    assert "deployed_contracts" not in inspect(engine).get_table_names()
    migrate(empty_database_url)
    migrate(empty_database_url)  # idempotent
    assert current_revision(empty_database_url) == head_revision()
    engine.dispose()


@pytest.fixture
def amounts_table(database_url):
    engine = make_engine(database_url)
    metadata = MetaData()
    table = Table(
        "test_amounts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("amount", Uint256, nullable=True),
    )
    metadata.create_all(engine)
    yield engine, table
    metadata.drop_all(engine)
    engine.dispose()


def test_uint256_round_trips_exactly_and_orders_numerically(amounts_table):
    engine, table = amounts_table
    values = [0, 1, 9, 10, 2**53 + 1, 10**18 + 1, 2**255, UINT256_MAX - 1, UINT256_MAX]
    with engine.begin() as conn:
        # Inserted out of order so ORDER BY has to do the work.
        conn.execute(table.insert(), [{"amount": v} for v in reversed(values)])
        conn.execute(table.insert(), [{"amount": None}])
    with engine.connect() as conn:
        stored = (
            conn.execute(
                select(table.c.amount).where(table.c.amount.is_not(None)).order_by(table.c.amount)
            )
            .scalars()
            .all()
        )
        assert stored == values
        assert all(type(v) is int for v in stored)
        found = conn.execute(select(table.c.id).where(table.c.amount == 2**53 + 1)).all()
        assert len(found) == 1
        above = conn.execute(select(table.c.amount).where(table.c.amount > 10**18)).scalars()
        assert sorted(above) == values[5:]


@pytest.mark.parametrize("bad", [-1, UINT256_MAX + 1, 1.5, "7", True])
def test_uint256_rejects_values_that_are_not_exact_uint256(amounts_table, bad):
    engine, table = amounts_table
    with pytest.raises(Exception, match="Uint256"), engine.begin() as conn:
        conn.execute(table.insert(), [{"amount": bad}])
    with engine.connect() as conn:
        assert conn.execute(select(table.c.id)).all() == []


def _file(contracts):
    now = datetime.now(UTC)
    return DeploymentsFile(
        network="local",
        chain_id=31337,
        contracts={
            name: DeployedContract(
                address=address,
                tx_hash="0x" + "ab" * 32,
                block_number=block,
                artifact=ArtifactRef(contract_type="TestToken"),
                constructor_args=["x", 6],
                deployed_at=now,
            )
            for name, (address, block) in contracts.items()
        },
    )


def test_record_deployments_upserts_and_drops_stale_rows(db_session):
    record_deployments(
        session=db_session, deployments=_file({"A": (ADDRESS_A, 1), "B": (ADDRESS_B, 2)})
    )
    db_session.commit()
    # A redeploy moved A and removed B.
    record_deployments(session=db_session, deployments=_file({"A": (ADDRESS_B, 9)}))
    db_session.commit()
    rows = db_session.scalars(select(DeployedContractRow)).all()
    assert [(r.name, r.address, r.block_number) for r in rows] == [("A", ADDRESS_B, 9)]
