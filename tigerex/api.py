"""The services' HTTP API. The kernel serves ``/health``; each service mounts its router here.

Every error leaves as ``{"code", "message", "details"}`` with a stable ``code``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from tigerex import __version__
from tigerex.chain import connect
from tigerex.db import make_engine, session_factory
from tigerex.deployments import ContractRegistry, DeploymentsFile
from tigerex.errors import TigerexError
from tigerex.settings import Settings, get_settings


class ErrorPublic(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ChainPublic(BaseModel):
    rpc_url: str
    chain_id: int
    block_number: int


class ContractPublic(BaseModel):
    address: str
    contract_type: str
    block_number: int
    has_code: bool


class DatabasePublic(BaseModel):
    ok: bool
    backend: str
    revision: str | None


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    network: str
    chain: ChainPublic | None
    contracts: dict[str, ContractPublic]
    database: DatabasePublic
    errors: list[ErrorPublic]


def _check_database(engine: Engine) -> DatabasePublic:
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    return DatabasePublic(ok=revision is not None, backend=engine.dialect.name, revision=revision)


def health(settings: Settings, engine: Engine) -> HealthPublic:
    """Chain id, head block, each deployed contract (with an on-chain code check) and the
    database revision. Each part fails on its own: the report says what is wrong."""
    errors: list[ErrorPublic] = []
    chain: ChainPublic | None = None
    contracts: dict[str, ContractPublic] = {}
    try:
        w3 = connect(settings.rpc_url, expected_chain_id=settings.chain_id, timeout=5)
        chain = ChainPublic(
            rpc_url=settings.rpc_url, chain_id=w3.eth.chain_id, block_number=w3.eth.block_number
        )
        registry = ContractRegistry(w3, DeploymentsFile.load(settings.deployments_file))
        for name in registry.names():
            entry = registry.deployments.get(name)
            contracts[name] = ContractPublic(
                address=entry.address,
                contract_type=entry.artifact.contract_type,
                block_number=entry.block_number,
                has_code=bool(w3.eth.get_code(entry.address)),
            )
        registry.verify()
    except TigerexError as err:
        errors.append(ErrorPublic(**err.as_dict()))
    try:
        database = _check_database(engine)
        if not database.ok:
            errors.append(
                ErrorPublic(code="database_not_migrated", message="run `tigerex db upgrade`")
            )
    except Exception as err:  # any driver error: report it, keep serving
        database = DatabasePublic(ok=False, backend="unknown", revision=None)
        errors.append(ErrorPublic(code="database_unreachable", message=str(err).splitlines()[0]))
    return HealthPublic(
        status="ok" if not errors else "degraded",
        version=__version__,
        network=settings.network,
        chain=chain,
        contracts=contracts,
        database=database,
        errors=errors,
    )


def service_routers() -> list[APIRouter]:
    """Every service's router, mounted under its own prefix (imported here, late: the services
    import the kernel)."""
    from indexer.api import create_router as indexer_router
    from offchain.custody.api import router as custody_router
    from offchain.earn.api import router as earn_router
    from offchain.p2p.api import router as p2p_router
    from relayer.api import router as relayer_router

    # The relayer first: FastAPI tries the routes of every router included before the one that
    # matches, ~50 us per order on intake, the API's hottest path.
    return [relayer_router, indexer_router(), custody_router, p2p_router, earn_router]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="TigerEx API",
        version=__version__,
        description="TigerEx services: health, and the routers each service mounts.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    for router in service_routers():
        app.include_router(router)

    @app.exception_handler(TigerexError)
    async def _tigerex_error(_request: Request, err: TigerexError) -> JSONResponse:
        return JSONResponse(status_code=err.http_status, content=err.as_dict())

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, err: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "code": "request_invalid",
                "message": "the request does not match the schema",
                "details": {"errors": err.errors()},
            },
        )

    @app.get(
        "/health",
        response_model=HealthPublic,
        responses={503: {"model": HealthPublic, "description": "degraded"}},
    )
    def get_health() -> JSONResponse:
        report = health(settings, engine)
        return JSONResponse(
            status_code=200 if report.status == "ok" else 503, content=report.model_dump()
        )

    return app
