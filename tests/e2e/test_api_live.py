"""The admin API against a live daemon and real MCP traffic: the event feed and the audit stream
(SSE with resume), audit queries and exports, the dashboard, and streams ending at shutdown."""

from __future__ import annotations

import csv
import io
import json
import signal
import urllib.request

import pytest

from harness import START_TIMEOUT, Home, api, eventually, gateway, serve, text_of
from sse import SSEStream

pytestmark = pytest.mark.anyio


def url(home: Home) -> str:
    info = home.daemon_info()
    assert info is not None
    return str(info["url"])


async def test_events_follow_a_call_and_a_config_change_and_resume(home: Home) -> None:
    daemon = serve(home)
    try:
        events = SSEStream(url(home), "/events", home.api_key())
        assert events.status == 200
        assert events.content_type.startswith("text/event-stream")
        async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
            assert text_of(await session.call_tool("fixture__echo", {"text": "hi"})) == "hi"
        seen = events.until(lambda e: e.event == "activity.tool_call.completed")
        kinds = [e.event for e in seen]
        decision = kinds.index("activity.policy_decision")
        started = kinds.index("activity.tool_call.started")
        assert decision < started < len(kinds) - 1
        completed = seen[-1].json()
        assert completed["tool_name"] == "fixture__echo"
        assert completed["status"] == "ok"
        assert seen[decision].json()["decision"] == "allow"
        assert all(e.id is not None and e.id.isdigit() for e in seen)

        home.add_route("--workspace", "A", "--tool", "fixture__add", "--policy", "deny")
        reloaded = events.until(lambda e: e.event == "config.reloaded")[-1]
        events.close()

        # Resuming after the decision replays what followed it, in order, then goes live.
        resumed = SSEStream(url(home), "/events", home.api_key(), last_event_id=seen[decision].id)
        replay = resumed.until(lambda e: e.id == reloaded.id)
        expected = [e.id for e in seen[decision + 1 :]]
        assert [e.id for e in replay[: len(expected)]] == expected
        assert replay[-1].event == "config.reloaded"
        resumed.close()

        filtered = SSEStream(url(home), "/events?types=config.reloaded", home.api_key(), last_event_id="0")
        first = filtered.next()
        assert first is not None and first.event in {"config.reloaded", "stream.gap"}
        filtered.close()

        assert SSEStream(url(home), "/events", None).status == 401
        bad = SSEStream(url(home), "/events", home.api_key(), last_event_id="not-a-number")
        assert bad.status == 400
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=START_TIMEOUT)


async def test_audit_stream_resumes_from_the_database(home: Home) -> None:
    daemon = serve(home)
    try:
        stream = SSEStream(url(home), "/api/v1/audit/stream", home.api_key())
        assert stream.status == 200
        async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
            for word in ["one", "two", "three"]:
                await session.call_tool("fixture__echo", {"text": word})
        records = []
        while len(records) < 3:
            event = stream.next()
            assert event is not None
            if event.event == "audit":
                records.append(event)
        stream.close()
        assert [r.json()["params"]["text"] for r in records] == ["one", "two", "three"]
        assert all(r.id == r.json()["id"] for r in records)

        # The daemon restarts: resuming after the first record comes from the database.
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=START_TIMEOUT) == 0
        daemon = serve(home)
        resumed = SSEStream(url(home), "/api/v1/audit/stream", home.api_key(), last_event_id=records[0].id)
        again = [resumed.next(), resumed.next()]
        assert [e.id for e in again if e] == [records[1].id, records[2].id]
        resumed.close()
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=START_TIMEOUT)


async def test_audit_query_export_and_dashboard(home: Home) -> None:
    daemon = serve(home)
    try:
        async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
            await session.call_tool("fixture__echo", {"text": "=cmd"})
            await session.call_tool("fixture__add", {"a": 1, "b": 2})
        await eventually(lambda: api(home, "GET", "/api/v1/audit")[1]["total"] >= 2)

        status, page = api(home, "GET", "/api/v1/audit?tool_name=fixture__add&limit=5")
        assert status == 200
        assert page["total"] == 1 and page["limit"] == 5
        record = page["records"][0]
        assert record["tool_name"] == "fixture__add" and record["status"] == "ok"
        assert api(home, "GET", f"/api/v1/audit/{record['id']}")[1]["id"] == record["id"]
        assert api(home, "GET", "/api/v1/audit/01ARZ3NDEKTSV4RRFFQ69G5FAV")[0] == 404
        status, error = api(home, "GET", "/api/v1/audit?status=sideways")
        assert status == 400 and error["field"] == "status"
        assert api(home, "GET", "/api/v1/audit?after=yesterday")[1]["field"] == "after"
        assert api(home, "GET", "/api/v1/audit?limit=0")[0] == 400

        request = urllib.request.Request(url(home) + "/api/v1/audit/export?format=csv")
        request.add_header("X-API-Key", home.api_key())
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["Content-Type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(response.read().decode())))
        assert {row["tool_name"] for row in rows} == {"fixture__echo", "fixture__add"}
        echo = next(row for row in rows if row["tool_name"] == "fixture__echo")
        assert "=cmd" in echo["params"]

        request = urllib.request.Request(url(home) + "/api/v1/audit/export?format=jsonl&tool_name=fixture__echo")
        request.add_header("X-API-Key", home.api_key())
        with urllib.request.urlopen(request, timeout=30) as response:
            lines = [json.loads(line) for line in response.read().decode().splitlines()]
        assert [line["tool_name"] for line in lines] == ["fixture__echo"]

        status, dashboard = api(home, "GET", "/api/v1/dashboard?range=1h")
        assert status == 200
        assert dashboard["totals"]["requests"] == 2
        assert {entry["tool_name"] for entry in dashboard["tool_leaderboard"]} == {"fixture__echo", "fixture__add"}
        assert len(dashboard["time_series"]) == 60
        fixture = next(server for server in dashboard["servers"] if server["name"] == "fixture")
        assert fixture["status"]["state"] in {"running", "stopped"}
        assert "route" in dashboard["cache"] and "tool_call" in dashboard["cache"]
        assert api(home, "GET", "/api/v1/dashboard?range=2d")[1]["field"] == "range"
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=START_TIMEOUT)


def test_streams_end_when_the_daemon_shuts_down(home: Home) -> None:
    daemon = serve(home)
    events = SSEStream(url(home), "/events", home.api_key())
    audit = SSEStream(url(home), "/api/v1/audit/stream", home.api_key())
    daemon.send_signal(signal.SIGTERM)
    closing = events.until(lambda e: e.event == "stream.closed")
    assert closing[-1].event == "stream.closed"
    assert events.next() is None
    audit_closing = audit.until(lambda e: e.event == "stream.closed")
    assert audit_closing[-1].event == "stream.closed"
    assert daemon.wait(timeout=START_TIMEOUT) == 0


async def test_audit_resume_follows_write_order_not_start_order(home: Home) -> None:
    """A slow call gets its id when it starts and is written when it ends: resuming after a
    quicker call that ended first must still deliver it."""
    import anyio

    daemon = serve(home)
    try:
        stream = SSEStream(url(home), "/api/v1/audit/stream", home.api_key())
        async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
            await session.list_tools()
            started = anyio.Event()

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                started.set()

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(
                    lambda: session.call_tool("fixture__slow", {"seconds": 1}, progress_callback=on_progress)
                )
                await started.wait()
                await session.call_tool("fixture__echo", {"text": "quick"})
        first = stream.until(lambda e: e.event == "audit")[-1]
        second = stream.until(lambda e: e.event == "audit")[-1]
        stream.close()
        assert first.json()["tool_name"] == "fixture__echo"
        assert second.json()["tool_name"] == "fixture__slow"
        assert (second.id or "") < (first.id or ""), "the slow call's id is older"
        resumed = SSEStream(url(home), "/api/v1/audit/stream", home.api_key(), last_event_id=first.id)
        replay = resumed.until(lambda e: e.event == "audit")[-1]
        assert replay.id == second.id
        resumed.close()
        unknown = SSEStream(url(home), "/api/v1/audit/stream", home.api_key(),
                            last_event_id="01ARZ3NDEKTSV4RRFFQ69G5FAV")  # fmt: skip
        assert unknown.until(lambda e: e.event == "stream.gap")
        unknown.close()
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=START_TIMEOUT)
