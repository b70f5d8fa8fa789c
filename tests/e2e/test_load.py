"""Load: the admin API never freezes (issue 15).

A dashboard tab per user and a script polling the API once stopped the daemon for good: the
handlers' synchronous database reads blocked both threads of Swift's cooperative pool. These tests
hammer every kind of admin request at once while MCP sessions call tools through the same daemon,
and check that every request is answered (200, or a deliberate 503 with Retry-After), that health
answers within a second throughout, that no MCP call fails, and that the daemon reports no
blocking database call on the pool and no watchdog stall.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from harness import Home, RawPeer, serve, stress_report

pytestmark = pytest.mark.timeout(240)


def seed_audit(home: Home, rows: int, days: int = 7) -> None:
    """`rows` audit records spread over the last `days` days, written straight into the file."""
    home.cli("settings", "list")  # creates and migrates the database
    con = sqlite3.connect(home.path / "junction.db", timeout=30)
    now = datetime.now(timezone.utc)
    rng = random.Random(15)
    tools = [f"fixture__tool_{i}" for i in range(40)]
    statuses = ["ok"] * 18 + ["error", "denied"]

    def row(i: int) -> tuple[Any, ...]:
        at = now - timedelta(seconds=rng.uniform(0, days * 86400))
        return (
            f"01SEED{i:020d}",
            at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            f"session-{i % 50}",
            "seed",
            rng.choice(tools),
            rng.choice(["allow", "allow", "deny"]),
            rng.choice(statuses),
            rng.uniform(0.1, 900),
        )

    con.executemany(
        "INSERT INTO audit_records (id, created_at, session_id, client_name, tool_name, decision, status, latency_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (row(i) for i in range(rows)),
    )
    con.commit()
    con.close()


class Daemon:
    """A live `junction serve` and raw HTTP requests to it (one connection each, as tabs and scripts do)."""

    def __init__(self, home: Home) -> None:
        self.home = home
        info = home.daemon_info()
        assert info is not None
        host_port = info["url"].removeprefix("http://")
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self.key = home.api_key()

    def request(self, method: str, path: str, body: Any = None, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            headers = {"X-API-Key": self.key}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def sse_touch(self, path: str) -> int:
        """Opens an SSE stream, reads its first bytes, hangs up."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"X-API-Key": self.key})
            response = conn.getresponse()
            if response.status == 200:
                response.fp.readline()  # `retry: 2000`
            return response.status
        finally:
            conn.close()

    def metrics(self) -> dict[str, float]:
        status, _, body = self.request("GET", "/metrics")
        assert status == 200
        values: dict[str, float] = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values


def admin_request(daemon: Daemon, kind: int) -> tuple[str, int, dict[str, str]]:
    """One admin request of kind `kind % 12`; returns what it was, its status and headers."""
    ranges = ["1h", "6h", "24h", "7d"]
    match kind % 12:
        case 0 | 1 | 2:
            path = f"/api/v1/dashboard?range={ranges[kind % 4]}"
            status, headers, _ = daemon.request("GET", path)
        case 3:
            path = f"/api/v1/audit?limit=100&offset={kind % 7 * 100}"
            status, headers, _ = daemon.request("GET", path)
        case 4:
            path = "/api/v1/audit/export?format=csv&limit=5000"
            status, headers, _ = daemon.request("GET", path)
        case 5:
            path = "/api/v1/tools?q=tool"
            status, headers, _ = daemon.request("GET", path)
        case 6:
            path = "/metrics"
            status, headers, _ = daemon.request("GET", path)
        case 7:
            path = "POST+DELETE /api/v1/workspaces"
            name = f"load-{kind}"
            root = daemon.home.work / "load" / name
            root.mkdir(parents=True, exist_ok=True)
            status, headers, _ = daemon.request("POST", "/api/v1/workspaces", {"name": name, "root_path": str(root)})
            if status == 201:
                status, headers, _ = daemon.request("DELETE", f"/api/v1/workspaces/{name}")
                status = 200 if status == 204 else status
        case 8:
            path = "/api/v1/settings"
            status, headers, _ = daemon.request("GET", path)
        case 9:
            path = "/events (SSE)"
            status, headers = daemon.sse_touch("/events"), {}
        case 10:
            path = "/api/v1/audit/stream (SSE)"
            status, headers = daemon.sse_touch("/api/v1/audit/stream"), {}
        case _:
            path = "/api/v1/downstreams"
            status, headers, _ = daemon.request("GET", path)
    return path, status, headers


def health_watch(daemon: Daemon, stop: threading.Event, latencies: list[float], failures: list[str]) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            status, _, body = daemon.request("GET", "/api/v1/health", timeout=5)
            if status != 200 or json.loads(body)["status"] != "ok":
                failures.append(f"health {status}: {body[:200]!r}")
        except (OSError, http.client.HTTPException) as error:
            failures.append(f"health: {error!r}")
        latencies.append(time.monotonic() - started)
        stop.wait(0.1)


def mcp_worker(home: Home, index: int, calls: int, failures: list[str], done: list[int]) -> None:
    peer = RawPeer(home, embedded=False)
    try:
        peer.initialize()
        for n in range(calls):
            request_id = f"{index}-{n}"
            peer.send({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                       "params": {"name": "fixture__echo", "arguments": {"text": request_id}}})  # fmt: skip
            reply = peer.response(timeout=60)
            result = reply.get("result") or {}
            if reply.get("id") != request_id or "error" in reply or result.get("isError"):
                failures.append(f"call {request_id}: {json.dumps(reply)[:300]}")
                continue
            done.append(1)
    except AssertionError as error:
        failures.append(f"session {index}: {error}")
    finally:
        peer.close()


def test_admin_api_answers_everything_under_mixed_load_while_mcp_sessions_call(empty_home: Home) -> None:
    home = empty_home
    home.add_fixture()
    seed_audit(home, rows=100_000)
    proc = serve(home)
    try:
        daemon = Daemon(home)
        stop = threading.Event()
        health_latencies: list[float] = []
        health_failures: list[str] = []
        watcher = threading.Thread(target=health_watch, args=(daemon, stop, health_latencies, health_failures))
        watcher.start()

        mcp_failures: list[str] = []
        mcp_done: list[int] = []
        sessions, calls_each = 50, 10
        mcp_threads = [
            threading.Thread(target=mcp_worker, args=(home, i, calls_each, mcp_failures, mcp_done))
            for i in range(sessions)
        ]
        for thread in mcp_threads:
            thread.start()

        with ThreadPoolExecutor(max_workers=200) as pool:  # all 200 at once
            outcomes = list(pool.map(lambda k: admin_request(daemon, k), range(200)))

        for thread in mcp_threads:
            thread.join(timeout=180)
        stop.set()
        watcher.join(timeout=10)

        unexpected = [(path, status) for path, status, headers in outcomes
                      if status not in (200, 201) and not (status == 503 and headers.get("retry-after"))]  # fmt: skip
        assert not unexpected, f"requests answered otherwise than 200 or 503+Retry-After: {unexpected[:10]}"
        ok = sum(1 for _, status, _ in outcomes if status in (200, 201))
        assert ok >= 100, f"only {ok} of 200 admin requests succeeded"
        assert not health_failures, health_failures[:5]
        assert health_latencies and max(health_latencies) < 1.0, f"slowest health: {max(health_latencies):.2f} s"
        assert not mcp_failures, mcp_failures[:5]
        assert len(mcp_done) == sessions * calls_each

        metrics = daemon.metrics()
        assert metrics.get("junction_blocking_database_calls") == 0, "a synchronous database call ran on the pool"
        stalls = {k: v for k, v in metrics.items() if k.startswith("junction_watchdog_stalls") and v}
        assert not stalls, f"the watchdog saw stalls: {stalls}"
        stress_report(
            "load: 200 mixed admin requests (dashboard all ranges, audit pages and export, tool search, metrics,"
            " config writes, SSE) with 50 MCP sessions calling",
            made=200 + sessions * calls_each, failures=len(unexpected) + len(mcp_failures), hangs=0,
            max_latency_ms=max(health_latencies) * 1000,
            note=f"{200 - ok} heavy reads answered 503 + Retry-After by design; max = slowest health answer",
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_concurrent_dashboards_never_freeze_the_daemon(empty_home: Home) -> None:
    """The reported freeze: 10 concurrent dashboards (here 40), then health and the socket API."""
    home = empty_home
    seed_audit(home, rows=50_000)
    proc = serve(home)
    try:
        daemon = Daemon(home)
        with ThreadPoolExecutor(max_workers=40) as pool:
            statuses = list(pool.map(lambda k: daemon.request("GET", f"/api/v1/dashboard?range={['24h', '7d'][k % 2]}")[0], range(40)))  # fmt: skip
        assert set(statuses) <= {200, 503}, statuses
        assert statuses.count(200) >= 10
        started = time.monotonic()
        status, _, _ = daemon.request("GET", "/api/v1/health", timeout=5)
        assert status == 200 and time.monotonic() - started < 1.0
        # The unix-socket API answers too.
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(str(Path(home.path) / "junction.sock"))
        sock.sendall(b"GET /api/v1/workspaces HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
        sock.close()
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        stress_report(
            "40 concurrent dashboards (24h, 7d) over 50,000 audit rows, then health and the socket API",
            made=40, failures=sum(1 for s in statuses if s not in (200, 503)),
            note=f"{statuses.count(503)} answered 503 by design",
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
