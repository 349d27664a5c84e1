"""A fault-injecting JSON-RPC proxy: a real HTTP server (thread) in front of a node that drops
connections, stalls past the client's timeout, answers 502s, JSON-RPC errors and garbage, and
refuses ``eth_getLogs`` ranges wider than ``max_range`` the way hosted providers do."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class FaultProxy:
    """Start with ``with FaultProxy(upstream) as proxy:``; point the client at ``proxy.url``.

    Args:
        upstream: The node's URL.
        seed: Seeds the fault choices (reproducible runs).
        rates: Probability of each fault per request.
        stall: Seconds a stalled request waits before answering (longer than the client waits).
        max_range: ``eth_getLogs`` ranges wider than this are refused (-32005).
    """

    def __init__(
        self,
        upstream: str,
        *,
        seed: int = 5,
        rates: dict[str, float] | None = None,
        stall: float = 0.6,
        max_range: int = 16,
    ) -> None:
        self.upstream = upstream
        self.rng = random.Random(seed)
        self.rates = rates or {
            "drop": 0.06, "stall": 0.04, "http_502": 0.05, "rpc_error": 0.05, "garbage": 0.04,
        }  # fmt: skip
        self.stall = stall
        self.max_range = max_range
        self.injected: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.client = httpx.Client(timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else every answer waits ~40 ms for a delayed ACK

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                fault = proxy._choose(body)
                if fault == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if fault == "stall":
                    time.sleep(proxy.stall)
                if fault == "http_502":
                    self._send(502, b"bad gateway", "text/plain")
                    return
                if fault == "garbage":
                    self._send(200, b'{"jsonrpc": "2.0", "res', "application/json")
                    return
                if fault in ("rpc_error", "range"):
                    request = json.loads(body)
                    error = (
                        {
                            "code": -32005,
                            "message": f"block range too large: max {proxy.max_range} blocks",
                        }
                        if fault == "range"
                        else {"code": -32603, "message": "internal error"}
                    )
                    answer = {"jsonrpc": "2.0", "id": request.get("id"), "error": error}
                    self._send(200, json.dumps(answer).encode(), "application/json")
                    return
                upstream = proxy.client.post(
                    proxy.upstream, content=body, headers={"content-type": "application/json"}
                )
                self._send(upstream.status_code, upstream.content, "application/json")

            def _send(self, status: int, payload: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(payload)))
                try:
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): that is the fault working

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _choose(self, body: bytes) -> str | None:
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        with self.lock:
            if isinstance(request, dict) and request.get("method") == "eth_getLogs":
                spec = request["params"][0]
                if int(spec["toBlock"], 16) - int(spec["fromBlock"], 16) + 1 > self.max_range:
                    self.injected["range"] += 1
                    return "range"
            roll = self.rng.random()
            for fault, rate in self.rates.items():
                if fault == "rpc_error" and not isinstance(request, dict):
                    continue  # batches: covered by the other faults
                if roll < rate:
                    self.injected[fault] += 1
                    return fault
                roll -= rate
            self.injected["passed"] += 1
            return None

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()
