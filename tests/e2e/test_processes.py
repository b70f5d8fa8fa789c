"""Downstream processes: they inherit exactly stdin, stdout and stderr, lead a process group of
their own, and die with the daemon, grandchildren included, whether it stops gracefully or is
killed with SIGKILL."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from urllib.parse import urlsplit

from harness import START_TIMEOUT, Home, serve, stress_report
from processes import (
    add_stubborn,
    fds,
    inheritable_fds,
    process_group,
    start_downstream,
    stubborn_pids,
    wait_gone,
)
from sse import SSEStream


def test_a_downstream_inherits_exactly_stdin_stdout_and_stderr(empty_home: Home) -> None:
    home = empty_home
    server = add_stubborn(home, ignore_term=False, ignore_eof=False, grandchild=False)
    daemon = serve(home)
    try:
        info = home.daemon_info()
        assert info is not None
        # The daemon holds accepted connections while the child starts: an event stream, an idle
        # keep-alive socket, and a connection on its unix socket.
        events = SSEStream(info["url"], "/events", home.api_key())
        parts = urlsplit(info["url"])
        idle = socket.create_connection((parts.hostname, parts.port), timeout=10)
        local = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        local.connect(str(home.path / "junction.sock"))
        try:
            start_downstream(home, server)
            child, _ = stubborn_pids(home, grandchild=False)
            child_fds = fds(child)
            daemon_fds = fds(daemon.pid)
            leaky = inheritable_fds(daemon.pid)
            print(
                f"\ndaemon pid {daemon.pid}: {len(daemon_fds)} descriptors open, {len(leaky)} without "
                f"close-on-exec ({sorted(set(leaky.values()))}); downstream pid {child}: {child_fds}"
            )
            assert sorted(child_fds) == [0, 1, 2], child_fds
            assert all(target.startswith("pipe:") for target in child_fds.values()), child_fds
            assert process_group(child) == child
            stress_report(
                "a downstream's descriptors while the daemon holds TCP, socket and SSE connections", made=1,
                note=f"the child has exactly 0, 1, 2 (pipes); the daemon {len(daemon_fds)} open",
            )
        finally:
            events.close()
            idle.close()
            local.close()
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=START_TIMEOUT) == 0


def _stubborn_daemon(home: Home) -> tuple[subprocess.Popen[str], int, int]:
    server = add_stubborn(home)
    daemon = serve(home)
    start_downstream(home, server)
    child, grandchild = stubborn_pids(home)
    assert grandchild is not None
    assert process_group(child) == child and process_group(grandchild) == child
    return daemon, child, grandchild


def test_a_stubborn_downstream_and_its_grandchild_are_gone_after_a_graceful_stop(empty_home: Home) -> None:
    """The server ignores SIGTERM and the end of its input; its grandchild ignores SIGTERM."""
    daemon, child, grandchild = _stubborn_daemon(empty_home)
    started = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    status = daemon.wait(timeout=START_TIMEOUT)
    took = time.monotonic() - started
    print(f"\ngraceful stop: daemon {daemon.pid} exited {status} after {took:.2f} s; server {child}, "
          f"grandchild {grandchild} (group {child})")  # fmt: skip
    assert status == 0
    assert took < 10.0, f"shutdown took {took:.2f} s"
    wait_gone(child, grandchild, timeout=2)
    stress_report(
        "graceful stop with a server that ignores SIGTERM and stdin EOF, and its grandchild", made=1,
        max_latency_ms=took * 1000, note="TERM, then KILL to the process group; max = exit",
    )
    assert empty_home.daemon_info() is None


def test_a_stubborn_downstream_and_its_grandchild_die_with_a_killed_daemon(empty_home: Home) -> None:
    daemon, child, grandchild = _stubborn_daemon(empty_home)
    daemon.send_signal(signal.SIGKILL)
    assert daemon.wait(timeout=START_TIMEOUT) == -signal.SIGKILL
    took = wait_gone(child, grandchild, timeout=5)
    print(f"\nkill -9 of daemon {daemon.pid}: server {child} and grandchild {grandchild} gone "
          f"{took:.2f} s later")  # fmt: skip
    stress_report(
        "kill -9 of the daemon with a stubborn server and its grandchild", made=1, max_latency_ms=took * 1000,
        note="parent-death signal and the guardian; max = until both were gone",
    )
