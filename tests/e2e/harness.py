"""Helpers for the end-to-end tests: the junction binary, a configured JUNCTION_HOME, MCP sessions
over `junction stdio --embedded`, a raw-pipe peer, and bounded waiting.

Everything here is plain Python; conftest.py turns it into pytest fixtures.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURE_SERVER = HERE / "fixture_server.py"
PYTHON = sys.executable  # the venv's python: it has fastmcp, mcp-server-time and mcp-server-git

TOOL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

# Bounds for every wait. Generous against a loaded CI box, small against a hang.
START_TIMEOUT = 30.0  # junction start + initialize
CALL_TIMEOUT = 30.0  # one request
EVENT_TIMEOUT = 10.0  # a notification or a side effect we expect


def junction_bin() -> Path:
    raw = os.environ.get("JUNCTION_BIN", str(REPO / ".build" / "debug" / "junction"))
    path = Path(raw)
    if not path.is_absolute():
        path = REPO / path
    return path


_stdio_probe: tuple[bool, str] | None = None


def stdio_available() -> tuple[bool, str]:
    """Whether this junction binary has `stdio --embedded`, and why not.

    `junction stdio --help` is not enough on its own: swift-argument-parser answers an unknown
    subcommand followed by --help with the top-level help and exit status 0. So we also require
    the help text to mention --embedded.
    """
    global _stdio_probe
    if _stdio_probe is None:
        binary = junction_bin()
        if not binary.is_file() or not os.access(binary, os.X_OK):
            raise RuntimeError(f"junction binary not found at {binary}: build it (swift build) or set JUNCTION_BIN")
        try:
            proc = subprocess.run(
                [str(binary), "stdio", "--help"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            _stdio_probe = (False, "`junction stdio --help` did not finish within 30 s")
        else:
            text = proc.stdout + proc.stderr
            if proc.returncode == 0 and "--embedded" in text:
                _stdio_probe = (True, "")
            else:
                _stdio_probe = (
                    False,
                    f"`{binary} stdio --help` does not offer --embedded yet (exit {proc.returncode}); "
                    "the gateway tests turn on by themselves when it does",
                )
    return _stdio_probe


# --------------------------------------------------------------------------------------------------
# A JUNCTION_HOME configured through the real CLI


class CLIError(AssertionError):
    pass


@dataclass
class Home:
    """A temporary JUNCTION_HOME plus the folders tests point workspaces and servers at."""

    path: Path
    work: Path  # scratch folder for workspace roots, logs, the git repo
    stderr_path: Path
    fixture_log: Path

    def env(self) -> dict[str, str]:
        # A daemon that `junction stdio` starts takes a free port, never a fixed one other tests
        # (or the machine) may hold.
        return {"JUNCTION_HOME": str(self.path), "JUNCTION_PORT": "0"}

    def daemon_info(self) -> dict[str, Any] | None:
        """daemon.json of the daemon serving this home, or None."""
        try:
            return json.loads((self.path / "daemon.json").read_text())
        except (OSError, ValueError):
            return None

    def api_key(self) -> str:
        return (self.path / "api-key").read_text().strip()

    def stop_daemon(self, timeout: float = START_TIMEOUT) -> int | None:
        """SIGTERM the home's daemon (if one runs) and wait for it to exit; returns its pid."""
        info = self.daemon_info()
        if info is None:
            return None
        pid = int(info["pid"])
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return pid
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"daemon {pid} did not exit within {timeout} s of SIGTERM")
        return pid

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ) | self.env()
        proc = subprocess.run(
            [str(junction_bin()), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.work,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise CLIError(f"junction {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        return proc

    def cli_json(self, *args: str) -> Any:
        """Run a command with --json (placed before a `--` command separator) and parse its output."""
        parts = list(args)
        at = parts.index("--") if "--" in parts else len(parts)
        return json.loads(self.cli(*parts[:at], "--json", *parts[at:]).stdout)

    # ----- servers
    def add_fixture(self, name: str = "fixture", *extra: str) -> dict[str, Any]:
        return self.cli_json(
            "server", "add", name, "--env", f"FIXTURE_LOG={self.fixture_log}", *extra,
            "--", PYTHON, str(FIXTURE_SERVER),
        )  # fmt: skip

    def add_time(self) -> dict[str, Any]:
        return self.cli_json("server", "add", "time", "--", PYTHON, "-m", "mcp_server_time", "--local-timezone", "UTC")

    def add_git(self, repo: Path) -> dict[str, Any]:
        return self.cli_json("server", "add", "git", "--", PYTHON, "-m", "mcp_server_git", "--repository", str(repo))

    # ----- workspaces, rules, scopes
    def add_workspace(self, name: str, default_policy: str = "allow") -> Path:
        root = (self.work / "ws" / name).resolve()
        root.mkdir(parents=True, exist_ok=True)
        self.cli("workspace", "add", name, "--root", str(root), "--default-policy", default_policy)
        return root

    def add_route(self, *args: str) -> dict[str, Any]:
        return self.cli_json("route", "add", *args)

    def add_scope(self, name: str, server: str, **env: str) -> dict[str, Any]:
        args = ["scope", "add", name, "--server", server]
        for key, value in env.items():
            args += ["--env", f"{key}={value}"]
        return self.cli_json(*args)

    # ----- what happened
    def fixture_events(self) -> list[str]:
        try:
            return self.fixture_log.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []

    def audit_rows(self) -> list[dict[str, Any]]:
        db = self.path / "junction.db"
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            con.row_factory = sqlite3.Row
            rows = con.execute("SELECT * FROM audit_records WHERE kind = 'call' ORDER BY created_at, id").fetchall()
            return [dict(row) for row in rows]
        finally:
            con.close()

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""


def make_git_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="Junction E2E",
        GIT_AUTHOR_EMAIL="e2e@junction.invalid",
        GIT_COMMITTER_NAME="Junction E2E",
        GIT_COMMITTER_EMAIL="e2e@junction.invalid",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True, timeout=30)

    git("init", "-q", "-b", "main")
    (path / "README.md").write_text("# e2e repo\n", encoding="utf-8")
    git("add", "README.md")
    git("commit", "-q", "-m", "initial commit")
    (path / "untracked.txt").write_text("not yet added\n", encoding="utf-8")
    return path.resolve()


# --------------------------------------------------------------------------------------------------
# MCP sessions over `junction stdio --embedded`


class Recorder:
    """message_handler for ClientSession: keeps every server notification and lets a test wait for one."""

    def __init__(self) -> None:
        self.notifications: list[Any] = []
        self.errors: list[Exception] = []
        self._changed = anyio.Event()

    async def __call__(self, message: Any) -> None:
        if isinstance(message, Exception):
            self.errors.append(message)
        else:
            self.notifications.append(message)
        self._changed.set()
        self._changed = anyio.Event()

    def methods(self) -> list[str]:
        return [getattr(n, "method", type(n).__name__) for n in self.notifications]

    async def wait_for(self, method: str, timeout: float = EVENT_TIMEOUT, after: int = 0) -> Any:
        """The first notification `method` at index >= after; fails after `timeout` seconds."""
        with anyio.fail_after(timeout):
            while True:
                for note in self.notifications[after:]:
                    if getattr(note, "method", None) == method:
                        return note
                await self._changed.wait()


@asynccontextmanager
async def gateway(
    home: Home,
    *,
    cwd: Path | None = None,
    workspace: str | None = None,
    roots: Iterable[Path] | None = None,
    recorder: Recorder | None = None,
    sampling_callback: Any = None,
    elicitation_callback: Any = None,
    extra_env: dict[str, str] | None = None,
    daemon: bool = False,
) -> AsyncIterator[ClientSession]:
    """An initialized ClientSession talking to `junction stdio --embedded` (initialize handshake),
    or with `daemon=True` to `junction stdio` through the home's daemon (started if none runs).

    ClientSession.initialize() sends `initialize` at 2025-11-25 directly; it never probes
    `server/discover` (only the high-level mcp.client.Client in mode="auto" does).
    """
    args = ["stdio"] if daemon else ["stdio", "--embedded"]
    if workspace is not None:
        args += ["--workspace", workspace]
    env = home.env() | (extra_env or {})
    params = StdioServerParameters(command=str(junction_bin()), args=args, env=env, cwd=str(cwd or home.work))

    list_roots_callback = None
    if roots is not None:
        root_list = [types.Root(uri=Path(r).resolve().as_uri(), name=Path(r).name) for r in roots]

        async def list_roots_callback(context: Any) -> types.ListRootsResult:
            return types.ListRootsResult(roots=root_list)

    with open(home.stderr_path, "a", encoding="utf-8") as errlog, unwrap_lone_exception():
        errlog.write(f"--- junction {' '.join(args)} (cwd {params.cwd})\n")
        errlog.flush()
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(
                read,
                write,
                read_timeout_seconds=CALL_TIMEOUT,
                message_handler=recorder,
                list_roots_callback=list_roots_callback,
                sampling_callback=sampling_callback,
                elicitation_callback=elicitation_callback,
                client_info=types.Implementation(name="junction-e2e", version="1.0"),
            ) as session:
                with anyio.fail_after(START_TIMEOUT):
                    await session.initialize()
                yield session


@contextmanager
def unwrap_lone_exception() -> Iterator[None]:
    """The SDK's task groups wrap a failing test body in ExceptionGroups; re-raise a lone leaf
    exception itself so pytest reports the assertion, not the group."""
    try:
        yield
    except BaseExceptionGroup as group:
        leaves: list[BaseException] = []

        def walk(g: BaseExceptionGroup) -> None:  # type: ignore[type-arg]
            for e in g.exceptions:
                walk(e) if isinstance(e, BaseExceptionGroup) else leaves.append(e)

        walk(group)
        if len(leaves) == 1 and isinstance(leaves[0], Exception):
            raise leaves[0] from None
        raise


@asynccontextmanager
async def direct(args: list[str], env: dict[str, str] | None = None) -> AsyncIterator[ClientSession]:
    """An initialized ClientSession straight to a downstream (no junction), for reference results."""
    params = StdioServerParameters(command=PYTHON, args=args, env=env)
    with open(os.devnull, "w", encoding="utf-8") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=CALL_TIMEOUT) as session:
                with anyio.fail_after(START_TIMEOUT):
                    await session.initialize()
                yield session


async def call_error(session: ClientSession, name: str, arguments: dict[str, Any] | None = None) -> str:
    """Call a tool that must fail; return the error text, whether it came back as a JSON-RPC error
    or as a result with isError. Fails the test if the call succeeded."""
    try:
        result = await session.call_tool(name, arguments or {})
    except MCPError as e:
        data = e.error.data
        return f"{e.error.message} {json.dumps(data) if data is not None else ''}".strip()
    assert result.is_error, f"{name} should have failed but returned {dump(result)}"
    return " ".join(getattr(c, "text", "") for c in result.content)


def dump(model: Any) -> Any:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


def text_of(result: types.CallToolResult) -> str:
    assert not result.is_error, f"tool call failed: {dump(result)}"
    return "".join(c.text for c in result.content if isinstance(c, types.TextContent))


def big_text(mb: float) -> str:
    """What fixture_server.big(mb) returns (kept in step with fixture_server.big_text)."""
    size = int(mb * 1024 * 1024)
    unit = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
    return (unit * (size // len(unit) + 1))[:size]


async def eventually(check: Callable[[], Any], timeout: float = EVENT_TIMEOUT, interval: float = 0.05) -> Any:
    """Poll `check` until it returns a truthy value (returned) or raises no AssertionError; bounded."""
    deadline = anyio.current_time() + timeout
    last: BaseException | None = None
    while True:
        try:
            value = check()
            if value:
                return value
        except AssertionError as e:
            last = e
        if anyio.current_time() >= deadline:
            if last is not None:
                raise last
            raise AssertionError(f"condition not met within {timeout} s")
        await anyio.sleep(interval)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


# --------------------------------------------------------------------------------------------------
# Raw pipe peer: bytes in, JSON lines out, no SDK in between


class RawPeer:
    """`junction stdio --embedded` on plain pipes, for malformed-input tests; with
    `embedded=False`, `junction stdio` through the home's daemon (started if none runs)."""

    def __init__(
        self, home: Home, *, cwd: Path | None = None, args: Iterable[str] = (), embedded: bool = True
    ) -> None:
        command = ["stdio", "--embedded"] if embedded else ["stdio"]
        self._errlog = open(home.stderr_path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._errlog.write(f"--- raw junction {' '.join(command)}\n")
        self._errlog.flush()
        env = dict(os.environ) | home.env()
        self.proc = subprocess.Popen(
            [str(junction_bin()), *command, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errlog,
            env=env,
            cwd=str(cwd or home.work),
        )
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.unsolicited: list[dict[str, Any]] = []

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send_bytes(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: Any) -> None:
        self.send_bytes(json.dumps(message).encode() + b"\n")

    def next_message(self, timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"junction wrote nothing within {timeout} s") from None
        if line is None:
            raise AssertionError(f"junction closed stdout (exit {self.proc.poll()})")
        try:
            return json.loads(line)
        except json.JSONDecodeError as e:
            raise AssertionError(f"junction wrote a line that is not JSON: {line[:200]!r}") from e

    def response(self, timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        """The next response (result or error); server notifications and requests are set aside."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.next_message(max(0.01, deadline - time.monotonic()))
            if "method" in message:
                self.unsolicited.append(message)
                continue
            return message

    def initialize(self, version: str = "2025-11-25") -> dict[str, Any]:
        self.send(
            {
                "jsonrpc": "2.0",
                "id": "init",
                "method": "initialize",
                "params": {
                    "protocolVersion": version,
                    "capabilities": {},
                    "clientInfo": {"name": "junction-e2e-raw", "version": "1.0"},
                },
            }
        )
        reply = self.response()
        assert reply.get("id") == "init" and "result" in reply, reply
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return reply["result"]

    def close(self) -> None:
        try:
            if self.proc.stdin and not self.proc.stdin.closed:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._errlog.close()


# --------------------------------------------------------------------------------------------------
# The daemon: `junction serve` in the foreground and its HTTP API


def serve(home: Home, *args: str) -> subprocess.Popen[str]:
    """`junction serve --port 0` in the foreground (as a user would run it); waits until it answers."""
    errlog = open(home.stderr_path, "a", encoding="utf-8")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [str(junction_bin()), "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=errlog,
        text=True,
        env=dict(os.environ) | home.env(),
        cwd=home.work,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while home.daemon_info() is None:
        if proc.poll() is not None:
            raise AssertionError(f"junction serve exited with {proc.returncode}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("junction serve did not write daemon.json")
        time.sleep(0.05)
    return proc


def api(home: Home, method: str, path: str, *, key: str | None = "", headers: dict[str, str] | None = None,
        body: Any = None) -> tuple[int, Any]:  # fmt: skip
    """One HTTP request to the daemon's TCP listener; key "" means the home's key. A daemon that
    `junction stdio` just started serves MCP before its HTTP listener is up: wait for it."""
    info = home.daemon_info()
    deadline = time.monotonic() + START_TIMEOUT
    while info is None and time.monotonic() < deadline:
        time.sleep(0.05)
        info = home.daemon_info()
    assert info is not None, "no daemon.json: the daemon's HTTP listener did not come up"
    url = info["url"] + path
    request = urllib.request.Request(url, method=method)
    if key == "":
        key = home.api_key()
    if key is not None:
        request.add_header("X-API-Key", key)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, data=data, timeout=30) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, (json.loads(text) if text else None)


# --------------------------------------------------------------------------------------------------
# Reliability figures (scripts/stress writes them into docs/reliability.md)


def stress_report(scenario: str, *, made: int, failures: int = 0, hangs: int = 0, max_latency_ms: float | None = None,
                  children_left: int = 0, records_lost: int = 0, note: str = "") -> None:  # fmt: skip
    """One row of the reliability table: printed, and appended to $JUNCTION_STRESS_REPORT (JSON
    lines) when scripts/stress set it."""
    row = {
        "scenario": scenario, "made": made, "failures": failures, "hangs": hangs,
        "max_latency_ms": None if max_latency_ms is None else round(max_latency_ms, 1),
        "children_left": children_left, "records_lost": records_lost, "note": note,
    }  # fmt: skip
    print(f"\nstress: {json.dumps(row)}")
    path = os.environ.get("JUNCTION_STRESS_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
