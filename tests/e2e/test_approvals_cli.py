"""`junction approvals` end to end: a Python MCP client's call through `junction stdio` (daemon
auto-started) is parked by an `approve` rule; the CLI lists, shows, approves, denies and watches it
through the daemon's unix socket, and the client sees each decision."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import ClientSession

from harness import EVENT_TIMEOUT, Home, gateway, junction_bin, text_of
from test_approvals import approve_home, wait_pending  # noqa: F401 - approve_home is a fixture

pytestmark = pytest.mark.anyio


class Watcher:
    """`junction approvals watch` as a subprocess, its stdout lines readable with a bound."""

    def __init__(self, home: Home, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(junction_bin()), "approvals", "watch", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ) | home.env(),
            cwd=home.work,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    async def line(self) -> str:
        """The next line, waited for off the event loop so the session's calls keep running."""
        return await anyio.to_thread.run_sync(self._next_line)

    def _next_line(self) -> str:
        try:
            line = self._lines.get(timeout=EVENT_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"watch printed nothing within {EVENT_TIMEOUT} s") from None
        if line is None:
            stderr = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"watch ended (exit {self.proc.wait()}): {stderr}")
        return line

    def stop(self) -> str:
        """Terminates the watch (as Ctrl-C would end it); returns its stderr."""
        self.proc.terminate()
        self.proc.wait(timeout=EVENT_TIMEOUT)
        return self.proc.stderr.read() if self.proc.stderr else ""


@asynccontextmanager
async def parked(
    home: Home, session: ClientSession, text: str
) -> AsyncIterator[tuple[dict[str, Any], dict[str, Any]]]:
    """A call of fixture__echo waiting for approval: yields the pending approval and a dict that
    holds the client's result (`result`) once the block has decided and left."""
    outcome: dict[str, Any] = {}

    async def call() -> None:
        outcome["result"] = await session.call_tool("fixture__echo", {"text": text})

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(call)
        yield await wait_pending(home, "fixture__echo"), outcome


async def test_list_show_and_approve_release_the_call(approve_home: Home) -> None:
    home = approve_home
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        async with parked(home, session, "ship it") as (approval, outcome):
            listed = home.cli_json("approvals", "list")
            assert listed == [approval]  # the REST shape, field for field
            assert home.cli_json("approvals", "list", "--status", "approved") == []

            table = home.cli("approvals", "list").stdout.splitlines()
            assert table[0].split() == ["ID", "AGE", "TOOL", "WORKSPACE", "CLIENT", "STATUS", "EXPIRES", "IN"]
            row = table[1].split()
            assert row[0] == approval["id"] and row[2:6] == ["fixture__echo", "A", "junction-e2e", "pending"]

            shown = home.cli("approvals", "show", approval["id"]).stdout
            assert f"id:          {approval['id']}" in shown
            assert "status:      pending" in shown and "workspace:   A" in shown
            params = shown.split("params:\n", 1)[1]
            assert json.loads(params) == {"text": "ship it"} and params.startswith("  {")
            assert home.cli_json("approvals", "show", approval["id"])["params"] == {"text": "ship it"}
            assert "result" not in outcome

            approved = home.cli("approvals", "approve", approval["id"], "--note", "ok").stdout
            assert approved.splitlines() == [
                f"Approved {approval['id']} (fixture__echo in workspace A): the call goes through.",
                "Note: ok",
            ]
        assert text_of(outcome["result"]) == "ship it"

    shown = home.cli_json("approvals", "show", approval["id"])
    assert shown["status"] == "approved" and shown["resolution"] == "ok" and shown["resolved_by"] == "local user"
    assert [a["id"] for a in home.cli_json("approvals", "list", "--status", "all")] == [approval["id"]]
    assert home.cli("approvals", "list").stdout.startswith("No pending approvals.")

    again = home.cli("approvals", "approve", approval["id"], check=False)
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr == f"junction: approval {approval['id']} is already approved (by local user)\n"
    missing = home.cli("approvals", "show", "NOPE", check=False)
    assert missing.returncode == 1
    assert missing.stderr == "junction: approval 'NOPE' not found. List them: junction approvals list --status all\n"


async def test_deny_gives_the_client_an_error_with_the_note(approve_home: Home) -> None:
    home = approve_home
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        async with parked(home, session, "rm -rf") as (approval, outcome):
            denied = home.cli("approvals", "deny", approval["id"], "--note", "not on a Friday").stdout
            assert denied.splitlines() == [
                f"Denied {approval['id']} (fixture__echo in workspace A): the client gets an error result "
                "with your note.",
                "Note: not on a Friday",
            ]
        result = outcome["result"]
        assert result.is_error
        assert "not on a Friday" in result.content[0].text

    again = home.cli("approvals", "approve", approval["id"], check=False)
    assert again.returncode == 1
    assert again.stderr == f"junction: approval {approval['id']} is already denied (by local user)\n"
    assert home.cli_json("approvals", "list", "--status", "denied")[0]["resolution"] == "not on a Friday"


async def test_approve_remembering_the_workspace_adds_a_rule(approve_home: Home) -> None:
    home = approve_home
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        async with parked(home, session, "first") as (approval, outcome):
            resolved = home.cli_json("approvals", "approve", approval["id"], "--remember", "workspace")
        assert text_of(outcome["result"]) == "first"
        assert resolved["approval"]["status"] == "approved" and resolved["approval"]["remember"] == "workspace"
        rule = resolved["rule"]
        assert rule["policy"] == "allow" and rule["tool_pattern"] == "fixture__echo"
        assert home.cli_json("route", "show", rule["id"])["id"] == rule["id"]
        # The rule lets the next call through without asking.
        with anyio.fail_after(EVENT_TIMEOUT):
            assert text_of(await session.call_tool("fixture__echo", {"text": "free"})) == "free"


async def test_watch_shows_the_pending_one_then_each_transition_in_order(approve_home: Home) -> None:
    home = approve_home
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        async with parked(home, session, "one") as (first, _), anyio.create_task_group() as tasks:
            watch = Watcher(home, "--json")
            text = Watcher(home)
            try:
                pending = json.loads(await watch.line())
                assert pending == {"event": "approval.pending", "id": None, "data": first}
                assert (await text.line()).split()[1:4] == ["pending", first["id"], "fixture__echo"]

                home.cli("approvals", "approve", first["id"], "--note", "go")
                resolved = json.loads(await watch.line())
                assert resolved["event"] == "approval.resolved" and isinstance(resolved["id"], int)
                assert resolved["data"]["approval"]["id"] == first["id"]
                assert resolved["data"]["approval"]["status"] == "approved" and resolved["data"]["rule"] is None
                words = (await text.line()).split()
                assert words[1:4] == ["approved", first["id"], "fixture__echo"] and "go" in words

                tasks.start_soon(session.call_tool, "fixture__echo", {"text": "two"})
                requested = json.loads(await watch.line())
                assert requested["event"] == "approval.requested" and requested["id"] > resolved["id"]
                second = requested["data"]
                assert second["id"] != first["id"] and second["params"] == {"text": "two"}
                assert (await text.line()).split()[1:3] == ["requested", second["id"]]

                home.cli("approvals", "deny", second["id"], "--note", "no")
                denied = json.loads(await watch.line())
                assert denied["event"] == "approval.resolved" and denied["id"] > requested["id"]
                assert denied["data"]["approval"]["id"] == second["id"]
                assert denied["data"]["approval"]["status"] == "denied"
                assert (await text.line()).split()[1:3] == ["denied", second["id"]]
            finally:
                watch.stop()
                notice = text.stop()
    assert "watching approvals" in notice
