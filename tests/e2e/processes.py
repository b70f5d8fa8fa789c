"""Helpers for the process and shutdown tests: a stubborn stdlib downstream (tests/e2e/
stubborn_server.py) started through the admin API, and what /proc says about it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from harness import EVENT_TIMEOUT, PYTHON, START_TIMEOUT, Home, api, pid_alive

STUBBORN_SERVER = Path(__file__).resolve().parent / "stubborn_server.py"


def add_stubborn(home: Home, name: str = "stub", *, ignore_term: bool = True, ignore_eof: bool = True,
                 grandchild: bool = True) -> dict[str, Any]:  # fmt: skip
    """Adds the stubborn server; its events go to <work>/<name>.events."""
    env = [f"STUBBORN_LOG={stubborn_log(home, name)}"]
    if ignore_term:
        env.append("STUBBORN_IGNORE_TERM=1")
    if ignore_eof:
        env.append("STUBBORN_IGNORE_EOF=1")
    if grandchild:
        env.append("STUBBORN_GRANDCHILD=1")
    args = ["server", "add", name]
    for item in env:
        args += ["--env", item]
    return home.cli_json(*args, "--", PYTHON, str(STUBBORN_SERVER))


def stubborn_log(home: Home, name: str = "stub") -> Path:
    return home.work / f"{name}.events"


def stubborn_events(home: Home, name: str = "stub") -> list[str]:
    try:
        return stubborn_log(home, name).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def start_downstream(home: Home, server: dict[str, Any]) -> None:
    """Starts the server in the running daemon (discovery) and waits for it to answer."""
    status, body = api(home, "POST", f"/api/v1/downstreams/{server['id']}/discover")
    assert status == 200, body


def stubborn_pids(home: Home, name: str = "stub", *, grandchild: bool = True) -> tuple[int, int | None]:
    """(server pid, grandchild pid) from the server's event log, once it has started."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        events = stubborn_events(home, name)
        server = [int(e.split()[1]) for e in events if e.startswith("start ")]
        child = [int(e.split()[1]) for e in events if e.startswith("grandchild ")]
        if server and (child or not grandchild):
            return server[-1], (child[-1] if child else None)
        time.sleep(0.05)
    raise AssertionError(f"the stubborn server did not start: {stubborn_events(home, name)}")


def fds(pid: int) -> dict[int, str]:
    """The open descriptors of a process and what they point to."""
    out: dict[int, str] = {}
    for entry in os.listdir(f"/proc/{pid}/fd"):
        try:
            out[int(entry)] = os.readlink(f"/proc/{pid}/fd/{entry}")
        except OSError:
            pass
    return out


def inheritable_fds(pid: int) -> dict[int, str]:
    """Descriptors of a process without close-on-exec (what a plain fork+exec would pass on)."""
    out: dict[int, str] = {}
    for number, target in fds(pid).items():
        try:
            info = Path(f"/proc/{pid}/fdinfo/{number}").read_text()
        except OSError:
            continue
        flags = next(int(line.split()[1], 8) for line in info.splitlines() if line.startswith("flags:"))
        if not flags & 0o2000000:  # O_CLOEXEC
            out[number] = target
    return out


def wait_gone(*pids: int | None, timeout: float = EVENT_TIMEOUT) -> float:
    """Waits until none of `pids` runs (a zombie counts as gone); returns the seconds it took."""
    started = time.monotonic()
    deadline = started + timeout
    live = [p for p in pids if p is not None]
    while time.monotonic() < deadline:
        live = [p for p in live if pid_alive(p)]
        if not live:
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"still running after {timeout} s: {live}")


def process_group(pid: int) -> int:
    return os.getpgid(pid)
