"""Token-saving mode (`slim_tools`) and tool search, end to end with the official Python MCP SDK
over `junction stdio`:

- tools/list shows Junction's two built-in tools, `junction__search_tools` and `junction__call_tool`;
- the search finds tools by what they do (BM25), and only among those routing allows here;
- a call through `junction__call_tool` is a real call, audited under the tool's own name, and a
  denied tool stays denied through it (an isError result naming the rule; the server never runs it);
- a workspace turns the mode on or off whatever the setting says;
- `tool_description_overrides` replaces descriptions in tools/list;
- the same search from `GET /api/v1/tools?q=` and `junction tools search`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import Home, api, call_error, eventually, gateway, text_of

pytestmark = pytest.mark.anyio

BUILT_IN = ["junction__search_tools", "junction__call_tool"]


def ws(home: Home, name: str) -> Path:
    return home.work / "ws" / name


def found_names(result: Any) -> list[str]:
    assert not result.is_error, text_of(result)
    return [tool["name"] for tool in result.structured_content["tools"]]


async def test_slim_mode_lists_two_tools_that_find_and_call_the_others(home: Home) -> None:
    home.cli("settings", "set", "slim_tools", "true")
    home.add_route("--workspace", "A", "--tool", "fixture__add", "--policy", "deny", "--name", "a-no-add")

    async with gateway(home, cwd=ws(home, "A")) as s:
        assert [tool.name for tool in (await s.list_tools()).tools] == BUILT_IN

        found = await s.call_tool("junction__search_tools", {"query": "text unchanged"})
        assert found_names(found)[0] == "fixture__echo", found.structured_content
        echo = found.structured_content["tools"][0]
        assert echo["description"] == "Return text unchanged."
        assert "text" in echo["inputSchema"]["properties"]
        assert found_names(await s.call_tool("junction__search_tools", {"query": "fixture__peek", "limit": 1})) == [
            "fixture__peek"
        ]
        # What routing denies here is not found.
        assert "fixture__add" not in found_names(await s.call_tool("junction__search_tools", {"query": "fixture__add"}))
        nothing = await s.call_tool("junction__search_tools", {"query": "zyzzyva"})
        assert found_names(nothing) == [] and "No tool matches" in text_of(nothing)
        assert "limit must be" in await call_error(s, "junction__search_tools", {"query": "echo", "limit": 0})

        called = await s.call_tool("junction__call_tool", {"name": "fixture__echo", "arguments": {"text": "slim"}})
        assert not called.is_error and text_of(called) == "slim"

        denied = await s.call_tool("junction__call_tool", {"name": "fixture__add", "arguments": {"a": 1, "b": 2}})
        assert denied.is_error, denied  # a tool result the model reads, not a protocol error
        reason = " ".join(getattr(c, "text", "") for c in denied.content)
        assert "Junction denied fixture__add" in reason and "a-no-add" in reason, reason
        # An unknown tool stays a JSON-RPC error, as when called directly.
        assert "Unknown tool" in await call_error(s, "junction__call_tool", {"name": "fixture__nope"})

    def audited() -> list[dict[str, Any]]:
        rows = [(r["tool_name"], r["status"]) for r in home.audit_rows()]
        return rows if ("fixture__echo", "ok") in rows and ("fixture__add", "denied") in rows else []

    rows = await eventually(audited)
    assert not [name for name, _ in rows if name in BUILT_IN], rows  # audited as the tool called


async def test_a_workspace_turns_slim_mode_on_or_off_over_the_setting(home: Home) -> None:
    home.cli("workspace", "slim-tools", "A", "on")
    async with gateway(home, cwd=ws(home, "A")) as s:
        assert [tool.name for tool in (await s.list_tools()).tools] == BUILT_IN
    async with gateway(home, cwd=ws(home, "B")) as s:
        names = [tool.name for tool in (await s.list_tools()).tools]
        assert "fixture__echo" in names and not set(BUILT_IN) & set(names)

    home.cli("settings", "set", "slim_tools", "true")
    home.cli("workspace", "slim-tools", "B", "off")
    async with gateway(home, cwd=ws(home, "B")) as s:
        assert "fixture__echo" in [tool.name for tool in (await s.list_tools()).tools]
    async with gateway(home, cwd=home.work) as s:  # in no workspace: the setting
        assert [tool.name for tool in (await s.list_tools()).tools] == BUILT_IN
    assert home.cli_json("workspace", "show", "B")["slim_tools"] is False


async def test_overrides_search_over_rest_and_cli(home: Home) -> None:
    home.cli(
        "settings", "set", "tool_description_overrides",
        '{"fixture__echo": "Repeat the words given.", "junction__search_tools": "Find a tool."}',
    )  # fmt: skip
    async with gateway(home, cwd=ws(home, "A"), daemon=True) as s:
        tools = {tool.name: tool for tool in (await s.list_tools()).tools}
        assert tools["fixture__echo"].description == "Repeat the words given."

        status, settings = api(home, "GET", "/api/v1/settings")
        assert status == 200
        assert settings["settings"]["slim_tools"] is False
        assert set(settings["default_tool_descriptions"]) == set(BUILT_IN)

        status, found = api(home, "GET", "/api/v1/tools?q=return+text%20unchanged&limit=3")
        assert status == 200, found
        assert found["tools"][0]["name"] == "fixture__echo" and found["tools"][0]["server"] == "fixture"
        assert found["tools"][0]["score"] > 0
        status, exact = api(home, "GET", "/api/v1/tools?q=fixture__add")
        assert status == 200 and exact["tools"][0]["name"] == "fixture__add"
        status, _ = api(home, "GET", "/api/v1/tools?q=echo&limit=0")
        assert status == 400

    hits = home.cli_json("tools", "search", "add", "--limit", "2")
    assert hits[0]["name"] == "fixture__add" and hits[0]["server"] == "fixture"
    home.add_route("--workspace", "A", "--tool", "fixture__add", "--policy", "deny")
    in_a = home.cli_json("tools", "search", "fixture__add", "--workspace", "A")
    assert "fixture__add" not in [hit["name"] for hit in in_a]
    table = home.cli("tools", "search", "echo").stdout
    assert "fixture__echo" in table.splitlines()[1], table
