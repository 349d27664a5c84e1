# The indexer's paired databases (one under test, one fresh reference) for the reorg test.
from tests.indexer.conftest import database_pair  # noqa: F401
