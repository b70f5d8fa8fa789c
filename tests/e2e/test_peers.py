"""The harness's own peers, without junction in between: the fixture server, mcp-server-time and
mcp-server-git answer the official SDK client, and the CLI configures a home the way the gateway
tests expect. These run whether or not `junction stdio` exists yet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest

import harness
from harness import Home, Recorder, big_text, text_of

pytestmark = pytest.mark.anyio


async def test_fixture_server_directly(tmp_path: Path) -> None:
    log = tmp_path / "fixture.log"
    recorder = Recorder()

    async def sampling(context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text="sampled"), model="fake-model"
        )

    async def elicitation(context: Any, params: Any) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"value": True})

    params = harness.StdioServerParameters(
        command=harness.PYTHON,
        args=[str(harness.FIXTURE_SERVER)],
        env={"FIXTURE_TOKEN": "tok-1", "FIXTURE_LOG": str(log)},
    )
    with open(tmp_path / "stderr", "w", encoding="utf-8") as errlog:
        async with harness.stdio_client(params, errlog=errlog) as (read, write):
            async with harness.ClientSession(
                read,
                write,
                read_timeout_seconds=harness.CALL_TIMEOUT,
                message_handler=recorder,
                sampling_callback=sampling,
                elicitation_callback=elicitation,
            ) as s:
                with anyio.fail_after(harness.START_TIMEOUT):
                    init = await s.initialize()
                assert init.protocol_version == "2025-11-25"
                tools = {t.name: t for t in (await s.list_tools()).tools}
                assert {
                    "echo", "add", "peek", "slow", "big", "crash", "garbage", "add_tool",
                    "ask_llm", "confirm", "whoami", "fail",
                } <= set(tools)  # fmt: skip
                assert tools["peek"].annotations is not None and tools["peek"].annotations.read_only_hint is True

                assert text_of(await s.call_tool("echo", {"text": "hi"})) == "hi"
                assert (await s.call_tool("add", {"a": 2, "b": 3})).structured_content == {"result": 5}
                assert text_of(await s.call_tool("whoami", {})) == "tok-1"
                assert text_of(await s.call_tool("ask_llm", {"prompt": "?"})) == "sampled"
                assert text_of(await s.call_tool("confirm", {"question": "ok?"})) == "yes"
                assert (await s.call_tool("fail", {"message": "boom"})).is_error

                progress: list[float] = []

                async def on_progress(p: float, total: float | None, message: str | None) -> None:
                    progress.append(p)

                assert text_of(await s.call_tool("slow", {"seconds": 0.3}, progress_callback=on_progress)) == "slept 0.3"
                assert progress == [1.0, 2.0, 3.0]

                result = await s.call_tool("big", {"mb": 1})
                assert text_of(result) == big_text(1) and result.structured_content is None

                # garbage() puts a non-JSON line on the wire; the SDK client reports it and carries on.
                assert text_of(await s.call_tool("garbage", {})) == "garbage sent"
                assert recorder.errors, "the garbage line should have reached the client as a parse error"

                mark = len(recorder.notifications)
                assert text_of(await s.call_tool("add_tool", {})) == "dynamic_1"
                await recorder.wait_for("notifications/tools/list_changed", after=mark)
                assert "dynamic_1" in {t.name for t in (await s.list_tools()).tools}

                assert [r.uri for r in (await s.list_resources()).resources] == ["fixture://readme"]
                templates = (await s.list_resource_templates()).resource_templates
                assert [t.uri_template for t in templates] == ["fixture://items/{id}"]
                item = (await s.read_resource("fixture://items/7")).contents[0]
                assert isinstance(item, types.TextResourceContents) and item.text == "item 7"
                prompt = await s.get_prompt("greet", {"name": "Ada"})
                assert prompt.messages[0].content.text == "Hello, Ada!"  # type: ignore[union-attr]

                with anyio.move_on_after(0.3):
                    await s.call_tool("slow", {"seconds": 5})
                assert text_of(await s.call_tool("echo", {"text": "after cancel"})) == "after cancel"
                await harness.eventually(lambda: "cancelled slow" in log.read_text())

                with pytest.raises(harness.MCPError):
                    await s.call_tool("crash", {})
    assert "crash" in log.read_text()


@pytest.mark.parametrize(
    "args, tool, arguments",
    [
        (["-m", "mcp_server_time", "--local-timezone", "UTC"], "get_current_time", {"timezone": "UTC"}),
        (["-m", "mcp_server_git", "--repository", "{repo}"], "git_status", {"repo_path": "{repo}"}),
    ],
    ids=["time", "git"],
)
async def test_reference_servers_directly(git_repo: Path, args: list[str], tool: str, arguments: dict[str, str]) -> None:
    args = [a.replace("{repo}", str(git_repo)) for a in args]
    arguments = {k: v.replace("{repo}", str(git_repo)) for k, v in arguments.items()}
    async with harness.direct(args) as s:
        assert tool in {t.name for t in (await s.list_tools()).tools}
        result = await s.call_tool(tool, arguments)
        text = text_of(result)
        assert ("UTC" in text) if tool == "get_current_time" else ("untracked.txt" in text)


def test_cli_configures_a_home(full_home: Home, git_repo: Path) -> None:
    servers = {s["name"]: s for s in full_home.cli_json("server", "list")}
    assert set(servers) == {"fixture", "time", "git"}
    assert servers["fixture"]["namespace"] == "fixture"
    assert servers["git"]["args"][-1] == str(git_repo)
    workspaces = {w["name"]: w for w in full_home.cli_json("workspace", "list")}
    assert set(workspaces) == {"A", "B"}
    rule = full_home.add_route("--workspace", "A", "--tool", "fixture__*", "--policy", "deny", "--name", "a-no-fixture")
    assert rule["policy"] == "deny" and rule["name"] == "a-no-fixture"
    scope = full_home.add_scope("fx", "fixture", FIXTURE_TOKEN="s3cr3t-value")
    assert "s3cr3t-value" not in full_home.cli("scope", "list").stdout
    assert scope["name"] == "fx"
