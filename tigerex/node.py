"""A local Anvil node: the real binary from npm, on a free loopback port.

Used by ``tigerex node``, ``tigerex up`` and the test fixtures.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from tigerex.devchain import DEV_ACCOUNT_COUNT, DEV_CHAIN_ID, DEV_MNEMONIC
from tigerex.errors import ChainUnreachable
from tigerex.process import spawn, stop
from tigerex.toolchain import anvil_binary


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def rpc_call(url: str, method: str, params: list[Any] | None = None, timeout: float = 5.0) -> Any:
    """One JSON-RPC call; raises ChainUnreachable on transport errors and RPC errors alike."""
    try:
        response = httpx.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []},
            timeout=timeout,
        )
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as err:
        raise ChainUnreachable(
            f"cannot reach the node at {url} ({type(err).__name__}): start one with "
            "`tigerex node` or set TIGEREX_RPC_URL",
            details={"rpc_url": url},
        ) from err
    if "error" in body:
        raise ChainUnreachable(f"{method} failed at {url}: {body['error']}", details=body["error"])
    return body["result"]


@dataclass
class AnvilNode:
    """An Anvil process. ``start()`` returns once the node answers JSON-RPC."""

    host: str = "127.0.0.1"
    port: int | None = None
    chain_id: int = DEV_CHAIN_ID
    block_time: float | None = None
    accounts: int = DEV_ACCOUNT_COUNT
    mnemonic: str = DEV_MNEMONIC
    log_file: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[Any] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def command(self) -> list[str]:
        args = [
            str(anvil_binary()),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(self.accounts),
            "--mnemonic", self.mnemonic,
        ]  # fmt: skip
        if self.block_time:
            args += ["--block-time", str(self.block_time)]
        return args + self.extra_args

    def start(self, timeout: float = 15.0) -> AnvilNode:
        given_port = self.port is not None
        for _attempt in range(1 if given_port else 5):
            if not given_port:
                self.port = free_port(self.host)
            if self.log_file:
                self.log_file.parent.mkdir(parents=True, exist_ok=True)
                self._log = self.log_file.open("ab")
            self._proc = spawn(
                self.command(),
                stdout=self._log or subprocess.DEVNULL,
                stderr=subprocess.STDOUT if self._log else subprocess.DEVNULL,
            )
            if self._wait_ready(timeout):
                return self
            self.stop()
        raise ChainUnreachable(
            f"Anvil did not start on {self.host}:{self.port}"
            + ("" if given_port else " (5 free ports tried)")
            + (f"; see {self.log_file}" if self.log_file else ""),
        )

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False  # exited: port taken, bad flag
            try:
                rpc_call(self.url, "eth_chainId", timeout=1.0)
                return True
            except ChainUnreachable:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self._proc is not None:
            stop(self._proc)
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> AnvilNode:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
