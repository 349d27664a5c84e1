"""Where the project's files are. The project is installed editable, so the package sits in the
checkout; ``TIGEREX_ROOT`` (set by the bootstrap) overrides for unusual layouts."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("TIGEREX_ROOT")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent


def node_modules() -> Path:
    return project_root() / "node_modules"


def build_folder() -> Path:
    """Ape's compiled artifacts (``.build/__local__.json``)."""
    return project_root() / ".build"


def ape_data_folder() -> Path:
    return Path(os.environ.get("APE_DATA_FOLDER", project_root() / ".ape"))


def default_data_folder() -> Path:
    """Runtime data: the SQLite database, node logs, snapshots."""
    return project_root() / ".data"
