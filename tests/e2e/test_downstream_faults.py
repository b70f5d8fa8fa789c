"""Downstream servers that misbehave (tests/e2e/faulty_server.py): each call to one ends with a
clear error within its timeout, and another session's calls to a healthy server, through the same
daemon, carry on unaffected."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from harness import PYTHON, Home, call_error, eventually, gateway, text_of, stress_report

pytestmark = pytest.mark.anyio

FAULTY = Path(__file__).resolve().parent / "faulty_server.py"
CALL_TIMEOUT_SEC = 3


def add_faulty(home: Home, mode: str, *extra: str, call_timeout: int = CALL_TIMEOUT_SEC) -> None:
    name = mode.replace("_", "-")
    home.cli_json(
        "server", "add", name, "--call-timeout", str(call_timeout), *extra, "--", PYTHON, str(FAULTY), mode
    )  # fmt: skip


class Healthy:
    """Calls fixture__echo in a loop on its own session until stopped; keeps every outcome."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.stopped = anyio.Event()

    async def run(self) -> None:
        count = 0
        while not self.stopped.is_set():
            count += 1
            started = time.monotonic()
            try:
                result = await self.session.call_tool("fixture__echo", {"text": f"ping {count}"})
                if text_of(result) != f"ping {count}":
                    self.failures.append(f"call {count}: {result}")
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                self.failures.append(f"call {count}: {error!r}")
            self.latencies.append(time.monotonic() - started)
            await anyio.sleep(0.02)

    def check(self) -> None:
        assert not self.failures, f"the healthy session's calls failed: {self.failures[:5]}"
        assert len(self.latencies) >= 3, "the healthy session kept calling"
        assert max(self.latencies) < 5, f"a healthy call waited {max(self.latencies):.1f} s"


async def while_healthy_calls(home: Home, body: Any) -> Any:
    """Runs `body(session)` on one daemon session while another calls the fixture throughout."""
    async with gateway(home, daemon=True) as healthy_session, gateway(home, daemon=True) as session:
        await healthy_session.call_tool("fixture__echo", {"text": "warm"})
        healthy = Healthy(healthy_session)
        async with anyio.create_task_group() as group:
            group.start_soon(healthy.run)
            try:
                outcome = await body(session)
                with anyio.fail_after(20):
                    while len(healthy.latencies) < 3:  # it called throughout, and after
                        await anyio.sleep(0.05)
            finally:
                healthy.stopped.set()
        healthy.check()
        return outcome


async def timed_error(session: Any, tool: str, bound: float) -> tuple[str, float]:
    started = time.monotonic()
    with anyio.fail_after(bound + 10):
        text = await call_error(session, tool)
    elapsed = time.monotonic() - started
    assert elapsed < bound, f"{tool} took {elapsed:.1f} s to fail: {text}"
    return text, elapsed


@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    ("mode", "expected", "bound"),
    [
        ("crash", ["server 'crash' is unavailable", "exited with status 3", "crashing mid-call"], 5),
        ("hang", [f"server 'hang' did not answer within {CALL_TIMEOUT_SEC} s"], CALL_TIMEOUT_SEC + 3),
        ("garbage", [f"server 'garbage' did not answer within {CALL_TIMEOUT_SEC} s"], CALL_TIMEOUT_SEC + 3),
        ("stubborn", [f"server 'stubborn' did not answer within {CALL_TIMEOUT_SEC} s"], CALL_TIMEOUT_SEC + 3),
        ("exit", ["server 'exit' is unavailable", "refusing to start"], 10),
    ],
)
async def test_faulty_call_ends_with_a_clear_error(home: Home, mode: str, expected: list[str], bound: float) -> None:
    add_faulty(home, mode)

    async def body(session: Any) -> None:
        text, _ = await timed_error(session, f"{mode}__work", bound)
        for fragment in expected:
            assert fragment in text, f"{mode}: {fragment!r} not in {text!r}"
        assert "Unknown tool" not in text
        # Again: the same kind of answer, never a hang (a crashed server restarts after a backoff).
        text, _ = await timed_error(session, f"{mode}__work", bound + 5)
        assert f"server '{mode}'" in text, text

    await while_healthy_calls(home, body)
    rows = await eventually(lambda: [r for r in home.audit_rows() if r["tool_name"] == f"{mode}__work"])
    assert all(r["status"] in ("error", "timeout") and r["error_message"] for r in rows), rows
    stress_report(
        f"downstream fault '{mode}': two calls, a healthy server called beside them",
        made=2, note=f"each ended with a clear error within {bound} s; the healthy server's calls all succeeded",
    )


async def test_garbage_on_stdout_is_skipped(home: Home) -> None:
    """Lines that are not JSON-RPC (or answer nothing asked) are set aside; the real answer counts."""
    add_faulty(home, "garbage")

    async def body(session: Any) -> None:
        result = await session.call_tool("garbage__work_after_garbage", {})
        assert text_of(result) == "answered after garbage"

    await while_healthy_calls(home, body)


async def test_stderr_flood_is_survived(home: Home) -> None:
    """A server writing 20 MiB to stderr is answered; its log is rotated, not grown without bound."""
    add_faulty(home, "flood", call_timeout=60)

    async def body(session: Any) -> None:
        with anyio.fail_after(60):
            result = await session.call_tool("flood__work", {})
        assert text_of(result).startswith("flooded ")

    await while_healthy_calls(home, body)
    logs = home.path / "logs"
    sizes = {p.name: p.stat().st_size for p in logs.glob("flood.log*")}
    assert sizes and all(size <= 11 * 1024 * 1024 for size in sizes.values()), sizes


async def test_stderr_excerpts_hide_scope_secrets(home: Home) -> None:
    """A server that prints its token before dying: the client's error, the audit row and the
    server's log show [REDACTED], never the token."""
    secret = "tok-e2e-0123456789abcdef"
    add_faulty(home, "secret")
    home.add_scope("sec", "secret", FAULTY_SECRET=secret)
    home.add_route("--global", "--tool", "secret__*", "--scope", "sec", "--name", "secret-scoped")

    async def body(session: Any) -> None:
        text, _ = await timed_error(session, "secret__work", 5)
        assert "failing with token [REDACTED]" in text, text
        assert secret not in text

    await while_healthy_calls(home, body)
    rows = await eventually(lambda: [r for r in home.audit_rows() if r["tool_name"] == "secret__work"])
    assert all(secret not in (r["error_message"] or "") for r in rows), rows
    assert any("[REDACTED]" in (r["error_message"] or "") for r in rows), rows
    log = (home.path / "logs" / "secret.log").read_text(encoding="utf-8", errors="replace")
    assert "failing with token [REDACTED]" in log and secret not in log
    assert secret not in home.stderr_text()


@pytest.mark.timeout(90)
async def test_server_hanging_in_initialize_does_not_hold_listing(home: Home) -> None:
    """One server never answers initialize: other sessions list the rest without waiting for its
    startup timeout (a setting), and its tool then answers why it is unavailable."""
    home.cli("settings", "set", "startup_timeout_sec", "15")
    add_faulty(home, "hang_init")
    async with gateway(home, daemon=True) as first:
        await first.call_tool("fixture__echo", {"text": "warm"})  # the fixture is catalogued now

        async def listing() -> float:
            async with gateway(home, daemon=True) as session:
                started = time.monotonic()
                tools = await session.list_tools()
                assert "fixture__echo" in {tool.name for tool in tools.tools}
                return time.monotonic() - started

        waits: list[float] = []

        async def one() -> None:
            waits.append(await listing())

        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(one)
        # Bounded by the listing patience (10 s), not by the startup timeout (15 s, default 30).
        assert max(waits) < 13, waits
        # Its own tool waits for its start, which fails at the startup timeout.
        text = await call_error(first, "hang-init__work")
        assert "server 'hang-init' is unavailable" in text, text
        assert "did not answer within 15 s" in text, text
        started = time.monotonic()
        tools = await first.list_tools()
        assert "fixture__echo" in {tool.name for tool in tools.tools}
        assert time.monotonic() - started < 3, "a server that failed to start is not waited for again"


async def test_call_arguments_must_be_an_object(home: Home) -> None:
    """Non-object arguments never reach a shared server (it could crash and fail other sessions)."""
    from harness import RawPeer

    async with gateway(home, daemon=True) as healthy_session:
        await healthy_session.call_tool("fixture__echo", {"text": "warm"})
        peer = RawPeer(home, embedded=False)
        try:
            peer.initialize()
            for index, arguments in enumerate([[1, 2], "text", 7, True]):
                peer.send(
                    {
                        "jsonrpc": "2.0",
                        "id": index,
                        "method": "tools/call",
                        "params": {"name": "fixture__echo", "arguments": arguments},
                    }
                )
                reply = peer.response()
                assert reply["id"] == index and reply["error"]["code"] == -32602, reply
            result = await healthy_session.call_tool("fixture__echo", {"text": "still fine"})
            assert text_of(result) == "still fine"
        finally:
            peer.close()
    assert not [e for e in home.fixture_events() if e.startswith("start")][1:], "the fixture never restarted"
