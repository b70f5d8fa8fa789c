"""The approval queue end to end: a Python MCP client through `junction stdio` (daemon
auto-started) calls a tool whose rule says `approve`; people decide over REST; every outcome
reaches the client, the approvals table, the audit trail and the SSE stream."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any

import anyio
import pytest

from harness import EVENT_TIMEOUT, START_TIMEOUT, Home, api, eventually, gateway, pid_alive, text_of
from sse import SSEStream

pytestmark = pytest.mark.anyio


@pytest.fixture
def approve_home(home: Home) -> Home:
    """`home` where fixture__echo needs approval in workspace A (timeout 60 s) and fixture__add in
    workspace A times out after 1 s."""
    home.add_route("--workspace", "A", "--tool", "fixture__echo", "--policy", "approve", "--name", "ask-echo")
    home.add_route(
        "--workspace", "A", "--tool", "fixture__add", "--policy", "approve", "--approval-timeout", "1",
        "--name", "ask-add",
    )  # fmt: skip
    return home


def pending(home: Home) -> list[dict[str, Any]]:
    status, body = api(home, "GET", "/api/v1/approvals")
    assert status == 200
    return list(body)


async def wait_pending(home: Home, tool: str) -> dict[str, Any]:
    found = await eventually(lambda: next((a for a in pending(home) if a["tool_name"] == tool), None))
    assert found["status"] == "pending"
    return dict(found)


def resolve(home: Home, approval_id: str, **body: Any) -> tuple[int, Any]:
    return api(home, "POST", f"/api/v1/approvals/{approval_id}/resolve", body=body)


async def test_a_parked_call_waits_while_others_complete_and_approval_releases_it(approve_home: Home) -> None:
    home = approve_home
    progress: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        outcome: dict[str, Any] = {}

        async def parked() -> None:
            outcome["result"] = await session.call_tool(
                "fixture__echo", {"text": "ship it"}, progress_callback=on_progress
            )

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(parked)
            approval = await wait_pending(home, "fixture__echo")
            # The session is not blocked: an allowed call completes while the other waits.
            other = await session.call_tool("fixture__peek", {})
            assert not other.is_error
            assert "result" not in outcome
            assert approval["params"] == {"text": "ship it"}
            assert approval["workspace_name"] == "A"
            status, resolved = resolve(home, approval["id"], approved=True, resolution="looks fine")
            assert status == 200
            assert resolved["approval"]["status"] == "approved"
            assert resolved["approval"]["resolution"] == "looks fine"
            assert resolved["rule"] is None
        assert text_of(outcome["result"]) == "ship it"
        assert any("waiting for approval" in message for message in progress)
    status, approval = api(home, "GET", f"/api/v1/approvals/{approval['id']}")
    assert status == 200 and approval["status"] == "approved"

    def audited() -> list[dict[str, Any]]:
        return [r for r in home.audit_rows() if r["tool_name"] == "fixture__echo"]

    rows = await eventually(audited)
    assert rows[0]["approval_id"] == approval["id"] and rows[0]["status"] == "ok"


async def test_deny_returns_a_tool_error_with_the_note(approve_home: Home) -> None:
    home = approve_home
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        outcome: dict[str, Any] = {}

        async def parked() -> None:
            outcome["result"] = await session.call_tool("fixture__echo", {"text": "rm -rf"})

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(parked)
            approval = await wait_pending(home, "fixture__echo")
            status, _ = resolve(home, approval["id"], approved=False, resolution="not on a Friday")
            assert status == 200
        result = outcome["result"]
        assert result.is_error
        assert "not on a Friday" in result.content[0].text
    rows = await eventually(lambda: [r for r in home.audit_rows() if r["status"] == "approval_denied"])
    assert rows[0]["approval_id"] == approval["id"]


async def test_timeout_denies_the_call(approve_home: Home) -> None:
    home = approve_home
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        result = await session.call_tool("fixture__add", {"a": 1, "b": 2})
        assert result.is_error
        assert "in time" in result.content[0].text
    status, approvals = api(home, "GET", "/api/v1/approvals?status=timed_out")
    assert status == 200 and [a["tool_name"] for a in approvals] == ["fixture__add"]


async def test_cancel_and_disconnect_cancel_the_approval(approve_home: Home) -> None:
    home = approve_home
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        with anyio.move_on_after(EVENT_TIMEOUT) as scope:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(session.call_tool, "fixture__echo", {"text": "cancel me"})
                await wait_pending(home, "fixture__echo")
                tasks.cancel_scope.cancel()
        assert not scope.cancelled_caught
        await eventually(lambda: api(home, "GET", "/api/v1/approvals?status=cancelled")[1])
        # The session still works after the cancellation.
        assert not (await session.call_tool("fixture__peek", {})).is_error

    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(session.call_tool, "fixture__echo", {"text": "then leave"})
            second = await wait_pending(home, "fixture__echo")
            tasks.cancel_scope.cancel()
    # Leaving the `gateway` block ended the client process: the daemon sees the disconnect.

    def cancelled_ids() -> set[str]:
        return {a["id"] for a in api(home, "GET", "/api/v1/approvals?status=cancelled")[1]}

    await eventually(lambda: second["id"] in cancelled_ids())
    rows = await eventually(lambda: [r for r in home.audit_rows() if r["status"] == "cancelled"])
    assert rows


async def test_remember_session_and_workspace(approve_home: Home) -> None:
    home = approve_home
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(session.call_tool, "fixture__echo", {"text": "first"})
            approval = await wait_pending(home, "fixture__echo")
            assert resolve(home, approval["id"], approved=True, remember="session")[0] == 200
        # Same session, same tool: no second approval.
        with anyio.fail_after(EVENT_TIMEOUT):
            assert text_of(await session.call_tool("fixture__echo", {"text": "second"})) == "second"

    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(session.call_tool, "fixture__echo", {"text": "new session"})
            approval = await wait_pending(home, "fixture__echo")
            status, resolved = resolve(home, approval["id"], approved=True, remember="workspace")
            assert status == 200
            rule = resolved["rule"]
            assert rule["policy"] == "allow" and rule["tool_pattern"] == "fixture__echo"
    # A new session in the workspace goes straight through, thanks to the new rule.
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        with anyio.fail_after(EVENT_TIMEOUT):
            assert text_of(await session.call_tool("fixture__echo", {"text": "free"})) == "free"


async def test_stream_shows_each_transition_in_order(approve_home: Home) -> None:
    home = approve_home
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        info = await eventually(home.daemon_info)
        stream = SSEStream(info["url"], "/api/v1/approvals/stream", home.api_key())
        assert stream.status == 200
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(session.call_tool, "fixture__echo", {"text": "watch me"})
            approval = await wait_pending(home, "fixture__echo")
            requested = stream.until(lambda e: e.event == "approval.requested")[-1]
            assert requested.json()["id"] == approval["id"]
            resolve(home, approval["id"], approved=True)
        resolved = stream.until(lambda e: e.event == "approval.resolved")[-1]
        assert resolved.json()["approval"]["id"] == approval["id"]
        assert resolved.json()["approval"]["status"] == "approved"
        assert int(resolved.id or 0) > int(requested.id or 0)
        stream.close()


async def test_double_and_concurrent_resolution(approve_home: Home) -> None:
    home = approve_home
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(session.call_tool, "fixture__echo", {"text": "race"})
            approval = await wait_pending(home, "fixture__echo")
            results: list[tuple[int, Any]] = []
            barrier = threading.Barrier(4)

            def race(approved: bool) -> None:
                barrier.wait()
                results.append(resolve(home, approval["id"], approved=approved))

            threads = [threading.Thread(target=race, args=(i % 2 == 0,)) for i in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=START_TIMEOUT)
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 409, 409, 409]
        winner = next(body for status, body in results if status == 200)["approval"]["status"]
        for status, body in results:
            if status == 409:
                assert body["code"] == "already_resolved"
                assert body["details"]["status"] == winner
        again = resolve(home, approval["id"], approved=True)
        assert again[0] == 409
    assert api(home, "POST", "/api/v1/approvals/nope/resolve", body={"approved": True})[0] == 404
    status, error = api(home, "POST", f"/api/v1/approvals/{approval['id']}/resolve", body={"approved": "yes"})
    assert status == 400 and error["field"] == "approved"


async def test_pending_approvals_of_a_dead_daemon_expire_at_restart(approve_home: Home) -> None:
    home = approve_home
    async def doomed_call(session: Any) -> None:
        # The daemon dies under it: the connection closes, which is the point.
        with contextlib.suppress(Exception):
            await session.call_tool("fixture__echo", {"text": "orphan"})

    with contextlib.suppress(Exception):
        async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(doomed_call, session)
                approval = await wait_pending(home, "fixture__echo")
                info = await eventually(home.daemon_info)
                os.kill(int(info["pid"]), signal.SIGKILL)
                await eventually(lambda: not pid_alive(int(info["pid"])))
                tasks.cancel_scope.cancel()
    (home.path / "daemon.json").unlink(missing_ok=True)
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True):
        status, body = api(home, "GET", f"/api/v1/approvals/{approval['id']}")
        assert status == 200 and body["status"] == "expired"
