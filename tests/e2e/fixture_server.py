"""A downstream MCP server (fastmcp, stdio) with one tool per gateway behaviour worth testing.

Run: python tests/e2e/fixture_server.py   (newline-delimited JSON-RPC on stdin/stdout)

Environment:
  FIXTURE_TOKEN  returned by whoami(), so auth-scope env injection can be observed.
  FIXTURE_LOG    optional file; the server appends one line per notable event
                 ("start <pid>", "cancelled slow", ...) so tests can see what happened downstream.

Note on garbage(): the mcp SDK (2.x) claims fd 1 for the wire and points fd 1 itself (and so
sys.stdout) at stderr while serving, so a plain print() never reaches the wire. To put real
garbage on the wire we keep our own duplicate of the original stdout taken before the transport
starts, and write one whole line to it (short enough to be one atomic pipe write).
"""

from __future__ import annotations

import os
import sys
import warnings

import anyio
import mcp_types as types
from fastmcp import Context, FastMCP

# Sampling is deprecated in the 2026-07-28 protocol; the fixture still exercises it on purpose.
warnings.filterwarnings("ignore", message="The sampling capability is deprecated")

# Taken before the transport claims fd 1: a descriptor that still points at the wire.
_WIRE_FD = os.dup(1)

mcp = FastMCP("junction-fixture", instructions="Junction end-to-end test fixture.")

_peek_calls = 0
_dynamic_count = 0


def _log(event: str) -> None:
    path = os.environ.get("FIXTURE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(event + "\n")


def big_text(mb: float) -> str:
    """Deterministic text of int(mb * 1 MiB) characters (shared with the tests)."""
    size = int(mb * 1024 * 1024)
    unit = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"  # 64 chars
    return (unit * (size // len(unit) + 1))[:size]


@mcp.tool
def echo(text: str) -> str:
    """Return text unchanged."""
    return text


@mcp.tool
def add(a: int, b: int) -> int:
    """Return a + b."""
    return a + b


@mcp.tool(annotations={"readOnlyHint": True, "title": "Peek"})
def peek() -> int:
    """Read-only: how many times peek has really run in this process (reveals result caching)."""
    global _peek_calls
    _peek_calls += 1
    return _peek_calls


@mcp.tool
async def slow(seconds: float, ctx: Context) -> str:
    """Sleep `seconds`, reporting progress every 0.1 s; cancellable."""
    steps = max(1, round(seconds * 10))
    try:
        for i in range(steps):
            await anyio.sleep(0.1)
            await ctx.report_progress(i + 1, steps, f"step {i + 1}/{steps}")
    except anyio.get_cancelled_exc_class():
        _log("cancelled slow")
        raise
    return f"slept {seconds:g}"


@mcp.tool(output_schema=None)
def big(mb: float) -> str:
    """Return about `mb` MiB of text (content only, no structured copy)."""
    return big_text(mb)


@mcp.tool
def crash() -> str:
    """Exit the process at once, without answering."""
    _log("crash")
    sys.stderr.flush()
    os._exit(3)


@mcp.tool
def garbage() -> str:
    """Write a line of non-JSON to the wire, outside the protocol, then answer normally."""
    os.write(_WIRE_FD, b"this is not JSON-RPC {{{ garbage\n")
    return "garbage sent"


@mcp.tool
async def add_tool(ctx: Context) -> str:
    """Register a new tool `dynamic_N` at runtime and send notifications/tools/list_changed."""
    global _dynamic_count
    _dynamic_count += 1
    name = f"dynamic_{_dynamic_count}"

    def dynamic() -> str:
        return name

    mcp.tool(dynamic, name=name, description=f"Added at runtime ({name}).")
    await ctx.send_notification(types.ToolListChangedNotification())
    return name


@mcp.tool
async def ask_llm(prompt: str, ctx: Context) -> str:
    """Ask the client's LLM (sampling/createMessage) and return its text."""
    result = await ctx.session.create_message(
        messages=[types.SamplingMessage(role="user", content=types.TextContent(type="text", text=prompt))],
        max_tokens=64,
        related_request_id=ctx.request_id,
    )
    content = result.content
    return content.text if isinstance(content, types.TextContent) else str(content)


@mcp.tool
async def confirm(question: str, ctx: Context) -> str:
    """Ask the user (elicitation/create) a yes/no question."""
    answer = await ctx.elicit(question, bool)
    if answer.action == "accept":
        return "yes" if answer.data else "no"
    return answer.action


@mcp.tool
def whoami() -> str:
    """Return FIXTURE_TOKEN from the environment ('<unset>' when absent)."""
    return os.environ.get("FIXTURE_TOKEN", "<unset>")


@mcp.tool
def fail(message: str) -> str:
    """Fail with a tool error (isError result)."""
    raise ValueError(message)


@mcp.resource("fixture://readme", mime_type="text/plain")
def readme() -> str:
    """The fixture's readme."""
    return "Junction fixture readme."


@mcp.resource("fixture://items/{id}", mime_type="text/plain")
def item(id: str) -> str:
    """One item by id."""
    return f"item {id}"


@mcp.prompt
def greet(name: str) -> str:
    """Greet someone."""
    return f"Hello, {name}!"


if __name__ == "__main__":
    _log(f"start {os.getpid()}")
    mcp.run("stdio", show_banner=False)
