"""`junction serve` always finishes its shutdown: a call stuck in a downstream is answered with an
error, event streams end with `stream.closed`, stubborn children are stopped (TERM, then KILL to
their process groups), all within `shutdown_timeout_sec` (a watchdog exits regardless when it
passes); a second signal exits at once."""

from __future__ import annotations

import signal
import time

import anyio
import pytest

from harness import EVENT_TIMEOUT, START_TIMEOUT, Home, gateway, serve, stress_report, text_of
from processes import add_stubborn, start_downstream, stubborn_events, stubborn_pids, wait_gone
from sse import SSEStream

pytestmark = pytest.mark.anyio


def fixture_pids(home: Home) -> list[int]:
    return [int(line.split()[1]) for line in home.fixture_events() if line.startswith("start ")]


async def test_sigterm_with_a_call_stuck_in_a_downstream(home: Home) -> None:
    """The stuck server also ignores SIGTERM and the end of its input, and has a grandchild."""
    add_stubborn(home)
    daemon = serve(home)
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        assert text_of(await session.call_tool("stub__echo", {"text": "up"})) == "up"
        child, grandchild = stubborn_pids(home)

        outcome: list[str] = []

        async def stuck_call() -> None:
            try:
                result = await session.call_tool("stub__hang", {})
            except Exception as error:  # noqa: BLE001 - the error is what we assert on
                outcome.append(str(error))
                return
            outcome.append("no error: " + str(result))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(stuck_call)
            with anyio.fail_after(EVENT_TIMEOUT):
                while "call hang" not in stubborn_events(home):
                    await anyio.sleep(0.02)
            started = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
        answered = time.monotonic() - started
    assert outcome and "shutting down" in outcome[0].lower(), outcome
    status = daemon.wait(timeout=START_TIMEOUT)
    took = time.monotonic() - started
    print(f"\nstuck call: answered {answered:.2f} s after SIGTERM; daemon {daemon.pid} exited {status} "
          f"after {took:.2f} s; server {child}, grandchild {grandchild}, fixture {fixture_pids(home)}")  # fmt: skip
    assert status == 0
    assert took < 10.0
    wait_gone(child, grandchild, *fixture_pids(home), timeout=2)
    stress_report(
        "SIGTERM with a call stuck in a server that ignores SIGTERM (and a grandchild)", made=1,
        max_latency_ms=took * 1000, note=f"the call answered 'shutting down' after {answered:.2f} s; max = exit",
    )
    assert home.daemon_info() is None
    assert not (home.path / "junction.sock").exists()


def test_sigterm_ends_an_event_stream_with_stream_closed(empty_home: Home) -> None:
    home = empty_home
    server = add_stubborn(home)
    daemon = serve(home)
    info = home.daemon_info()
    assert info is not None
    start_downstream(home, server)
    child, grandchild = stubborn_pids(home)
    events = SSEStream(info["url"], "/events", home.api_key())
    assert events.status == 200
    started = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    closing = events.until(lambda e: e.event == "stream.closed", timeout=EVENT_TIMEOUT)
    closed_after = time.monotonic() - started
    assert closing[-1].json()["reason"] == "Junction is shutting down"
    assert events.next(timeout=EVENT_TIMEOUT) is None  # the stream ends
    ended_after = time.monotonic() - started
    events.close()
    status = daemon.wait(timeout=START_TIMEOUT)
    took = time.monotonic() - started
    print(f"\nSSE: stream.closed {closed_after:.2f} s after SIGTERM, stream ended at {ended_after:.2f} s; "
          f"daemon {daemon.pid} exited {status} after {took:.2f} s")  # fmt: skip
    assert status == 0
    assert took < 10.0
    wait_gone(child, grandchild, timeout=2)
    stress_report(
        "SIGTERM with an SSE reader on /events", made=1, max_latency_ms=took * 1000,
        note=f"stream.closed after {closed_after:.2f} s, stream ended at {ended_after:.2f} s; max = exit",
    )


def test_a_second_signal_exits_at_once(empty_home: Home) -> None:
    home = empty_home
    server = add_stubborn(home)
    daemon = serve(home)
    start_downstream(home, server)
    child, grandchild = stubborn_pids(home)
    daemon.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # the graceful shutdown is under way: it waits for the stubborn server
    assert daemon.poll() is None
    started = time.monotonic()
    daemon.send_signal(signal.SIGINT)
    status = daemon.wait(timeout=START_TIMEOUT)
    took = time.monotonic() - started
    print(f"\nsecond signal: daemon {daemon.pid} exited {status} {took:.3f} s after SIGINT; "
          f"server {child}, grandchild {grandchild}")  # fmt: skip
    assert status == 128 + signal.SIGINT
    assert took < 1.0
    wait_gone(child, grandchild, timeout=2)
    stress_report("a second signal during shutdown", made=1, max_latency_ms=took * 1000, note="exit status 130")
    assert home.daemon_info() is None
    assert not (home.path / "junction.sock").exists()


def test_the_watchdog_ends_a_shutdown_that_overruns_its_bound(empty_home: Home) -> None:
    """Stopping the stubborn server takes about 4.5 s (stdin, TERM, KILL); the bound is 1 s."""
    home = empty_home
    home.cli("settings", "set", "shutdown_timeout_sec", "1")
    server = add_stubborn(home)
    daemon = serve(home)
    start_downstream(home, server)
    child, grandchild = stubborn_pids(home)
    started = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    status = daemon.wait(timeout=START_TIMEOUT)
    took = time.monotonic() - started
    print(f"\nwatchdog (bound 1 s): daemon {daemon.pid} exited {status} after {took:.2f} s; "
          f"server {child}, grandchild {grandchild}")  # fmt: skip
    assert status == 1
    assert 0.9 < took < 4.0  # the bound, plus up to 1 s for the audit flush
    wait_gone(child, grandchild, timeout=2)
    stress_report(
        "shutdown overrunning a 1 s shutdown_timeout_sec", made=1, max_latency_ms=took * 1000,
        note="the watchdog exits with status 1",
    )
    assert home.daemon_info() is None
    assert "shutdown did not finish within 1 s" in home.stderr_text()
