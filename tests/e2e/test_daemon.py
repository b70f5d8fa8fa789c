"""`junction serve` and `junction stdio` through it: one engine and one downstream process for
every client, live configuration, the admin API's doorman, and a clean SIGTERM."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import anyio
import pytest

from harness import (
    EVENT_TIMEOUT,
    START_TIMEOUT,
    Home,
    Recorder,
    api,
    eventually,
    gateway,
    junction_bin,
    pid_alive,
    serve,
    text_of,
)

pytestmark = pytest.mark.anyio


def fixture_pids(home: Home) -> list[int]:
    return [int(line.split()[1]) for line in home.fixture_events() if line.startswith("start ")]


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=30)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self._path)


async def test_two_clients_in_two_workspaces_share_one_downstream_process(home: Home) -> None:
    a = home.work / "ws" / "A"
    b = home.work / "ws" / "B"
    async with gateway(home, cwd=a, daemon=True) as first, gateway(home, cwd=b, daemon=True) as second:
        assert home.daemon_info() is not None, "junction stdio should have started the daemon"
        one = await first.call_tool("fixture__echo", {"text": "from A"})
        two = await second.call_tool("fixture__echo", {"text": "from B"})
        assert text_of(one) == "from A"
        assert text_of(two) == "from B"
        pids = fixture_pids(home)
        assert len(pids) == 1, f"one shared downstream process expected, saw starts {pids}"
        assert pid_alive(pids[0])

    def audited_workspaces() -> set[str]:
        return {row["workspace_name"] for row in home.audit_rows() if row["tool_name"] == "fixture__echo"}

    # The daemon writes audit records in batches: wait for both.
    await eventually(lambda: audited_workspaces() == {"A", "B"})


async def test_a_rule_added_with_the_cli_reaches_a_running_session(home: Home) -> None:
    recorder = Recorder()
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True, recorder=recorder) as session:
        names = {tool.name for tool in (await session.list_tools()).tools}
        assert "fixture__echo" in names
        home.add_route("--workspace", "A", "--tool", "fixture__echo", "--policy", "deny")
        await recorder.wait_for("notifications/tools/list_changed", timeout=EVENT_TIMEOUT)
        names = {tool.name for tool in (await session.list_tools()).tools}
        assert "fixture__echo" not in names
        assert "fixture__add" in names


async def test_daemon_restarts_after_a_clean_stop_and_serves_again(home: Home) -> None:
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        assert text_of(await session.call_tool("fixture__echo", {"text": "one"})) == "one"
    first = home.stop_daemon()
    assert first is not None
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        assert text_of(await session.call_tool("fixture__echo", {"text": "two"})) == "two"
    info = home.daemon_info()
    assert info is not None and info["pid"] != first


def test_api_needs_the_key_and_refuses_forged_host_and_origin(home: Home) -> None:
    proc = serve(home)
    try:
        assert api(home, "GET", "/api/v1/health", key=None)[0] == 200
        status, body = api(home, "GET", "/api/v1/workspaces", key=None)
        assert status == 401 and body["code"] == "unauthorized"
        assert api(home, "GET", "/api/v1/workspaces", key="wrong")[0] == 401
        assert api(home, "GET", "/api/v1/workspaces")[0] == 200
        status, body = api(home, "GET", "/api/v1/workspaces", headers={"Host": "attacker.example"})
        assert status == 403 and body["code"] == "forbidden_host"
        status, body = api(home, "GET", "/api/v1/workspaces", headers={"Origin": "http://attacker.example"})
        assert status == 403 and body["code"] == "forbidden_origin"
        status, _ = api(home, "GET", f"/api/v1/workspaces?apikey={home.api_key()}", key=None)
        assert status == 200
        # The unix socket is trusted: no key needed.
        connection = UnixHTTPConnection(str(home.path / "junction.sock"))
        connection.request("GET", "/api/v1/workspaces")
        response = connection.getresponse()
        assert response.status == 200
        names = {workspace["name"] for workspace in json.loads(response.read())}
        assert {"A", "B"} <= names
        connection.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=START_TIMEOUT) == 0


def test_serve_refuses_a_second_daemon_and_a_remote_host(home: Home) -> None:
    proc = serve(home)
    try:
        second = home.cli("serve", "--port", "0", check=False)
        assert second.returncode == 1
        assert "already runs" in second.stderr
        remote = subprocess.run(
            [str(junction_bin()), "serve", "--host", "0.0.0.0", "--port", "0"],
            capture_output=True, text=True, env=dict(os.environ) | home.env(), timeout=60,
        )  # fmt: skip
        assert remote.returncode == 1
        assert "--allow-remote" in remote.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=START_TIMEOUT)


async def test_sigterm_answers_in_flight_calls_and_leaves_no_child(home: Home) -> None:
    proc = serve(home)
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        assert text_of(await session.call_tool("fixture__echo", {"text": "up"})) == "up"
        pids = fixture_pids(home)
        assert len(pids) == 1

        progressing = anyio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            progressing.set()

        async def slow_call() -> str:
            try:
                result = await session.call_tool("fixture__slow", {"seconds": 60}, progress_callback=on_progress)
            except Exception as error:  # noqa: BLE001 - the error is what we assert on
                return str(error)
            return "no error: " + text_of(result)

        outcome: list[str] = []
        async with anyio.create_task_group() as tasks:

            async def run() -> None:
                outcome.append(await slow_call())

            tasks.start_soon(run)
            with anyio.fail_after(EVENT_TIMEOUT):
                await progressing.wait()
            proc.send_signal(signal.SIGTERM)
        assert outcome and "shutting down" in outcome[0].lower(), outcome
    assert proc.wait(timeout=START_TIMEOUT) == 0
    await eventually(lambda: not pid_alive(pids[0]))
    assert not (home.path / "junction.sock").exists()
    assert home.daemon_info() is None


def test_hello_with_another_version_is_refused(home: Home) -> None:
    proc = serve(home)
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(30)
        sock.connect(str(home.path / "junction.sock"))
        hello = {"junction": "hello", "version": "0.0.0-other", "cwd": str(home.work), "workspace": None, "pid": 1}
        sock.sendall(json.dumps(hello).encode() + b"\n")
        answer = json.loads(sock.makefile().readline())
        assert answer["junction"] == "refused"
        assert answer["reason"] == "version_mismatch"
        sock.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=START_TIMEOUT)


def test_stdio_with_an_unknown_workspace_fails_clearly(home: Home) -> None:
    result = subprocess.run(
        [str(junction_bin()), "stdio", "--workspace", "nope"],
        input="", capture_output=True, text=True, env=dict(os.environ) | home.env(), timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "workspace 'nope' not found" in result.stderr


def test_two_clients_starting_at_once_start_one_daemon(home: Home) -> None:
    message = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    procs = [
        subprocess.Popen(
            [str(junction_bin()), "stdio"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=dict(os.environ) | home.env(), cwd=home.work,
        )  # fmt: skip
        for _ in range(3)
    ]
    for proc in procs:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(message).encode() + b"\n")
        proc.stdin.flush()
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert json.loads(line)["id"] == 1
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=START_TIMEOUT) == 0
    serving = [
        pid for pid in os.listdir("/proc") if pid.isdigit() and _serves(int(pid), home.path)
    ]  # fmt: skip
    assert len(serving) == 1, f"expected one daemon for the home, found {serving}"


def _serves(pid: int, home_path: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"serve" in cmdline and f"JUNCTION_HOME={home_path}".encode() in environ and pid_alive(pid)
