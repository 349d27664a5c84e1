"""One ``Settings`` object for every TigerEx process, read from ``TIGEREX_*`` environment variables
(and a ``.env`` file in the working directory, if present).

Defaults are for the local network: SQLite under ``.data/``, Celery in-process, Anvil's dev keys.
Outside the local network the insecure defaults are refused at start-up instead of being used.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tigerex.devchain import is_dev_key
from tigerex.paths import default_data_folder, project_root

LOCAL_NETWORK = "local"
INSECURE_API_SECRET = "insecure-local-development-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIGEREX_", env_file=".env", extra="ignore")

    network: str = Field(
        default=LOCAL_NETWORK,
        description="Deployment name: selects deployments/<network>.json. 'local' allows dev keys.",
    )
    rpc_url: str = "http://127.0.0.1:8545"
    chain_id: int | None = Field(
        default=None, description="Expected chain id; checked against the node when set."
    )
    rpc_timeout: float = 10.0

    data_dir: Path = Field(default_factory=default_data_folder)
    deployments_dir: Path = Field(default_factory=lambda: project_root() / "deployments")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file <data_dir>/tigerex.db"
    )
    broker_url: str | None = Field(
        default=None, description="Celery broker (redis://...); default: tasks run in-process"
    )
    result_backend: str | None = None

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_secret: SecretStr = SecretStr(INSECURE_API_SECRET)

    deployer_private_key: SecretStr | None = None
    operator_private_key: SecretStr | None = None

    @property
    def is_local(self) -> bool:
        return self.network == LOCAL_NETWORK

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'tigerex.db'}"

    @property
    def deployments_file(self) -> Path:
        return self.deployments_dir / f"{self.network}.json"

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Self:
        if self.is_local:
            return self
        problems = []
        if self.api_secret.get_secret_value() == INSECURE_API_SECRET:
            problems.append("TIGEREX_API_SECRET is the development default")
        for name in ("deployer_private_key", "operator_private_key"):
            key: SecretStr | None = getattr(self, name)
            if key is not None and is_dev_key(key.get_secret_value()):
                problems.append(f"TIGEREX_{name.upper()} is a public Anvil/Hardhat dev key")
        if problems:
            raise ValueError(
                f"insecure settings for network '{self.network}': " + "; ".join(problems)
            )
        return self


@cache
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
