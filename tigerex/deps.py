"""Typed FastAPI dependencies shared by every router (the FastAPI template's deps.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from web3 import Web3

from tigerex.chain import connect
from tigerex.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the handler returns, rolled back on any error."""
    with request.app.state.session_factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_web3(request: Request) -> Web3:
    """The node connection, made on first use: a down node fails a request, not start-up."""
    w3: Web3 | None = getattr(request.app.state, "web3", None)
    if w3 is None:
        settings: Settings = request.app.state.settings
        w3 = connect(settings.rpc_url, expected_chain_id=settings.chain_id)
        request.app.state.web3 = w3
    return w3


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
Web3Dep = Annotated[Web3, Depends(get_web3)]
