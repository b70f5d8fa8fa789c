"""The daemon's HTTP side under hostile input, against a live `junction serve`: DNS rebinding
(Host names that only look local, foreign and `null` Origins, two Hosts), lenient JSON (a BOM, a
trailing comma, a repeated key), slow and idle connections, and a flood of idle sockets past the
connection cap while /api/v1/health keeps answering and the daemon's descriptors stay bounded."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import pytest

from harness import START_TIMEOUT, Home, serve, stress_report

IDLE_TIMEOUT = 2  # seconds, through JUNCTION_HTTP_IDLE_TIMEOUT_SEC
CAP = 50  # connections, through JUNCTION_HTTP_MAX_CONNECTIONS


@contextmanager
def daemon(home: Home, monkeypatch: pytest.MonkeyPatch, **settings: str) -> Iterator[subprocess.Popen[str]]:
    """`junction serve` with settings from the environment (JUNCTION_<KEY>), stopped afterwards."""
    for key, value in settings.items():
        monkeypatch.setenv(f"JUNCTION_{key.upper()}", value)
    proc = serve(home)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


def address(home: Home) -> tuple[str, int]:
    info = home.daemon_info()
    assert info is not None
    url = urlparse(info["url"])
    assert url.hostname is not None and url.port is not None
    return url.hostname, url.port


def connect(home: Home, timeout: float = 10.0) -> socket.socket:
    sock = socket.create_connection(address(home), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response (Content-Length or chunked body); bounded by the socket's timeout."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before a response head: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        length = int(headers["content-length"])
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, headers, rest[:length]
    if headers.get("transfer-encoding") == "chunked":
        while not rest.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        body = b""
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            body += rest[:size]
            rest = rest[size + 2 :]
        return status, headers, body
    return status, headers, rest


def raw(home: Home, request: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], Any]:
    """Sends `request` as given (every header the caller wrote, nothing added) on a new connection."""
    with connect(home, timeout) as sock:
        sock.sendall(request)
        status, headers, body = read_response(sock)
    text = body.decode()
    is_json = headers.get("content-type", "").startswith("application/json")
    return status, headers, (json.loads(text) if text and is_json else text)


def get(home: Home, path: str, *headers: str, key: bool = True) -> tuple[int, dict[str, str], Any]:
    lines = [f"GET {path} HTTP/1.1", *headers, "Connection: close"]
    if key:
        lines.append(f"X-API-Key: {home.api_key()}")
    return raw(home, ("\r\n".join(lines) + "\r\n\r\n").encode())


def send_json(home: Home, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], Any]:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nX-API-Key: {home.api_key()}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return raw(home, head.encode() + body)


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def closed_by_peer(sock: socket.socket) -> bool:
    """Whether the daemon has closed `sock` (EOF or reset), without waiting."""
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True
    finally:
        sock.setblocking(True)


# --------------------------------------------------------------------------------------------------


def test_rebinding_hosts_foreign_origins_and_two_hosts_are_refused(
    empty_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = empty_home
    with daemon(home, monkeypatch):
        _, port = address(home)
        # A DNS name that starts like a loopback address is still a DNS name an attacker controls.
        for host in ["127.attacker.example", f"127.0.0.1.nip.io:{port}", "app.localhost", "localhost.", "evil.example"]:
            status, _, body = get(home, "/api/v1/health", f"Host: {host}")
            assert status == 403, host
            assert body["code"] == "forbidden_host" and body["error"], host
        for host in ["localhost", f"localhost:{port}", f"127.0.0.1:{port}", "127.3.2.1", f"[::1]:{port}"]:
            assert get(home, "/api/v1/health", f"Host: {host}")[0] == 200, host

        for origin in ["null", f"http://localhost:{port + 1 if port < 65535 else port - 1}", "http://attacker.example",
                       f"http://127.attacker.example:{port}", f"https://localhost:{port}"]:  # fmt: skip
            status, _, body = get(home, "/api/v1/workspaces", "Host: localhost", f"Origin: {origin}")
            assert status == 403, origin
            assert body["code"] == "forbidden_origin", origin
        for origin in [f"http://localhost:{port}", f"http://127.0.0.1:{port}", f"http://[::1]:{port}"]:
            assert get(home, "/api/v1/workspaces", "Host: localhost", f"Origin: {origin}")[0] == 200, origin

        status, _, body = get(home, "/api/v1/health", "Host: localhost", "Host: attacker.example")
        assert status == 400
        assert body["code"] == "duplicate_host" and body["error"]
        status, _, body = get(home, "/api/v1/health", "Host: 127.0.0.1", "Host: 127.0.0.1")
        assert status == 400 and body["code"] == "duplicate_host"

        # The sessions gauge the docs promise.
        status, _, text = get(home, "/metrics", "Host: localhost")
        assert status == 200
        assert "# TYPE junction_sessions_active gauge" in text
        assert "\njunction_sessions_active 0" in text


def test_lenient_json_bodies_are_refused_with_the_error_shape(
    empty_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = empty_home
    with daemon(home, monkeypatch):
        cases = [
            (b"\xef\xbb\xbf" + b'{"log_level": "debug"}', None, "byte order mark"),
            (b'{"log_level": "debug",}', None, "trailing comma"),
            (b'{"log_level": "debug", "log_level": "error"}', "log_level", "duplicate key"),
        ]
        for body, field, says in cases:
            status, _, reply = send_json(home, "PUT", "/api/v1/settings", body)
            assert status == 400, body
            assert set(reply) <= {"error", "code", "field"}, reply
            assert reply["code"] == "invalid_request" and says in reply["error"], reply
            assert reply.get("field") == field, reply
        body = b'{"name": "w", "root_path": "/", "x": [1,],}'
        status, _, reply = send_json(home, "POST", "/api/v1/workspaces", body)
        assert status == 400 and reply["field"] == "x", reply
        # Nothing was applied: a lenient reader would have stored the last of the two keys.
        status, _, settings = get(home, "/api/v1/settings", "Host: localhost")
        assert status == 200 and settings["settings"]["log_level"] == "info"

        # The install endpoint takes only an existing absolute folder, and creates none.
        missing = home.work / "no-such-project"
        for project, says in [("relative/dir", "absolute path"), (str(missing), "does not exist")]:
            body = json.dumps({"project": project, "force": True}).encode()
            status, _, reply = send_json(home, "POST", "/api/v1/mcp-install/cursor/install", body)
            assert status == 400 and reply["field"] == "project" and says in reply["error"], reply
        assert not missing.exists()


def test_slow_and_idle_connections_are_closed_after_the_idle_timeout(
    empty_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = empty_home
    with daemon(home, monkeypatch, http_idle_timeout_sec=str(IDLE_TIMEOUT)):
        # Slowloris: a request head that keeps coming a byte at a time and never ends.
        slow = connect(home)
        started = time.monotonic()
        slow.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n")
        trickle = b"X-Slow: " + b"a" * 200
        closed_at = None
        for byte in trickle:
            try:
                slow.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_at = time.monotonic()
                break
            if closed_by_peer(slow):
                closed_at = time.monotonic()
                break
            time.sleep(0.1)
            assert time.monotonic() - started < IDLE_TIMEOUT + 8, "the slow request head was never cut off"
        assert closed_at is not None, "the slow request head was never cut off"
        elapsed = closed_at - started
        assert IDLE_TIMEOUT - 0.5 <= elapsed <= IDLE_TIMEOUT + 5, elapsed
        slow.close()

        # An idle keep-alive connection after one answered request.
        with connect(home) as idle:
            idle.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            status, headers, _ = read_response(idle)
            assert status == 200 and headers.get("connection", "keep-alive").lower() != "close"
            answered = time.monotonic()
            idle.settimeout(IDLE_TIMEOUT + 8)
            assert idle.recv(1) == b"", "the idle keep-alive connection was not closed"
            elapsed = time.monotonic() - answered
            assert IDLE_TIMEOUT - 0.5 <= elapsed <= IDLE_TIMEOUT + 5, elapsed

        # A connection that never sends anything.
        with connect(home) as silent:
            opened = time.monotonic()
            silent.settimeout(IDLE_TIMEOUT + 8)
            assert silent.recv(1) == b""
            assert time.monotonic() - opened <= IDLE_TIMEOUT + 5


def test_idle_sockets_past_the_cap_leave_health_answering_and_descriptors_bounded(
    empty_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = empty_home
    flood = 200
    with daemon(home, monkeypatch, http_max_connections=str(CAP), http_idle_timeout_sec="60") as proc:
        info = home.daemon_info()
        assert info is not None
        pid = int(info["pid"])
        assert get(home, "/api/v1/health", "Host: localhost")[0] == 200
        baseline = fd_count(pid)
        sockets: list[socket.socket] = []
        try:
            for index in range(flood):
                sock = connect(home)
                # Half of them start a request head and stop: still idle to the cap.
                if index % 2:
                    sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: local")
                sockets.append(sock)
            # Every one was accepted and the oldest idle ones closed to make room: the daemon holds
            # about CAP of them, never FLOOD.
            wait_for(lambda: sum(closed_by_peer(s) for s in sockets) >= flood - CAP - 2, 15, "idle sockets shed")
            peak = fd_count(pid)
            assert peak <= baseline + CAP + 10, (baseline, peak)

            for _ in range(5):
                started = time.monotonic()
                status, _, body = get(home, "/api/v1/health", "Host: localhost")
                took = time.monotonic() - started
                assert status == 200 and body["status"] == "ok"
                assert took < 1.0, took
            assert fd_count(pid) <= baseline + CAP + 10
            assert proc.poll() is None
        finally:
            for sock in sockets:
                sock.close()
        # Once the flood is gone, the daemon's descriptors come back down.
        wait_for(lambda: fd_count(pid) <= baseline + 5, 15, "descriptors released")
        stress_report(
            f"{flood} idle or half-sent connections against a cap of {CAP}",
            made=flood + 5, max_latency_ms=took * 1000,
            note=f"descriptors peaked at {peak - baseline} over baseline; max = last health answer",
        )
