"""A dual-era downstream MCP server (fastmcp, stdio) that asks its client for input the way each
era does it: on a 2026-07-28 request a tool returns an InputRequiredResult (multi round-trip:
`inputRequests` plus an opaque `requestState`) and finishes when the client retries with
`inputResponses`; on a handshake-era connection it sends the server-to-client request
(`elicitation/create`, `sampling/createMessage`, `roots/list`) and waits for the answer.

Run: python tests/e2e/mrtr_server.py   (newline-delimited JSON-RPC on stdin/stdout)

Tools: confirm(question) (elicitation), ask_llm(prompt) (sampling), roots() (roots/list),
era() (the protocol version the request came with), chatty() (logs at debug, info, warning),
echo(text). Prompts: greet(name), introduce() (asks the user's name). Resources: mrtr://readme,
mrtr://whoami (asks the user's name).

fastmcp's own `ctx.elicit()` refuses to run on a 2026-07-28 request (there is no back-channel),
which is why the fixture server's `confirm` cannot be reused for the modern era.

Environment:
  MRTR_LOG  optional file; one line per round ("confirm 2026-07-28 ask", "confirm 2026-07-28
            answer state=confirm:...") so tests can see what reached the downstream.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import mcp_types as types
from fastmcp import Context, FastMCP
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

# Sampling and roots are deprecated in the 2026-07-28 protocol; the fixture exercises them on purpose.
warnings.filterwarnings("ignore", message=".*deprecated.*")

mcp = FastMCP("junction-mrtr", instructions="Junction end-to-end multi round-trip fixture.")


def _log(event: str) -> None:
    path = os.environ.get("MRTR_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(event + "\n")


def _version(ctx: Context) -> str:
    rc = ctx.request_context
    return str(rc.protocol_version) if rc is not None and rc.protocol_version else "?"


def _modern(ctx: Context) -> bool:
    return _version(ctx) in MODERN_PROTOCOL_VERSIONS


def _answer(ctx: Context, key: str) -> Any | None:
    """The client's response under `key` in this retry's inputResponses, as a plain dict."""
    responses = ctx.input_responses or {}
    value = responses.get(key)
    if value is None:
        return None
    if hasattr(value, "model_dump"):
        return value.model_dump(by_alias=True, mode="json", exclude_none=True)
    return value


CONFIRM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"value": {"type": "boolean", "title": "Value"}},
    "required": ["value"],
}


def _confirm_text(result: dict[str, Any]) -> str:
    if result.get("action") == "accept":
        return "yes" if (result.get("content") or {}).get("value") else "no"
    return str(result.get("action"))


@mcp.tool(output_schema=None)
async def confirm(question: str, ctx: Context) -> Any:
    """Ask the user a yes/no question (elicitation): an InputRequiredResult on 2026-07-28
    requests, an elicitation/create request on handshake-era connections."""
    version = _version(ctx)
    if not _modern(ctx):
        _log(f"confirm {version} push")
        result = await ctx.session.elicit(
            message=question, requested_schema=CONFIRM_SCHEMA, related_request_id=ctx.request_id
        )
        return _confirm_text(result.model_dump(by_alias=True, mode="json", exclude_none=True))
    answer = _answer(ctx, "confirm")
    if answer is None:
        _log(f"confirm {version} ask")
        return types.InputRequiredResult(
            input_requests={
                "confirm": types.ElicitRequest(
                    params=types.ElicitRequestFormParams(message=question, requested_schema=CONFIRM_SCHEMA)
                )
            },
            request_state=f"confirm:{question}",
        )
    _log(f"confirm {version} answer state={ctx.request_state}")
    if ctx.request_state != f"confirm:{question}":
        raise ValueError(f"requestState did not come back intact: {ctx.request_state!r}")
    return _confirm_text(answer)


@mcp.tool(output_schema=None)
async def ask_llm(prompt: str, ctx: Context) -> Any:
    """Ask the client's LLM (sampling) and return its text, in either era."""
    version = _version(ctx)
    messages = [types.SamplingMessage(role="user", content=types.TextContent(type="text", text=prompt))]
    if not _modern(ctx):
        _log(f"ask_llm {version} push")
        result = await ctx.session.create_message(
            messages=messages, max_tokens=64, related_request_id=ctx.request_id
        )
        content = result.content
        return content.text if isinstance(content, types.TextContent) else str(content)
    answer = _answer(ctx, "llm")
    if answer is None:
        _log(f"ask_llm {version} ask")
        return types.InputRequiredResult(
            input_requests={
                "llm": types.CreateMessageRequest(
                    params=types.CreateMessageRequestParams(messages=messages, max_tokens=64)
                )
            },
            request_state="llm",
        )
    _log(f"ask_llm {version} answer state={ctx.request_state}")
    content = answer.get("content") or {}
    return content.get("text", str(content)) if isinstance(content, dict) else str(content)


@mcp.tool(output_schema=None)
async def roots(ctx: Context) -> Any:
    """The client's roots (roots/list), as newline-separated URIs, in either era."""
    version = _version(ctx)
    if not _modern(ctx):
        _log(f"roots {version} push")
        result = await ctx.session.list_roots()
        return "\n".join(str(r.uri) for r in result.roots)
    answer = _answer(ctx, "roots")
    if answer is None:
        _log(f"roots {version} ask")
        return types.InputRequiredResult(input_requests={"roots": types.ListRootsRequest()}, request_state="roots")
    _log(f"roots {version} answer state={ctx.request_state}")
    return "\n".join(str(r.get("uri")) for r in answer.get("roots") or [])


@mcp.tool
def era(ctx: Context) -> str:
    """The protocol version the request reached this server with."""
    return _version(ctx)


@mcp.tool
async def chatty(ctx: Context) -> str:
    """Log one message at each of debug, info and warning (notifications/message), then answer."""
    await ctx.debug("chatty debug")
    await ctx.info("chatty info")
    await ctx.warning("chatty warning")
    return "said three things"


@mcp.tool
def echo(text: str) -> str:
    """Return text unchanged."""
    return text


@mcp.resource("mrtr://readme", mime_type="text/plain")
def readme() -> str:
    """The MRTR fixture's readme."""
    return "Junction MRTR fixture readme."


@mcp.prompt
def greet(name: str) -> str:
    """Greet someone."""
    return f"Hello from mrtr, {name}!"


NAME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string", "title": "Name"}},
    "required": ["name"],
}


async def _ask_name(ctx: Context, what: str, message: str) -> str | types.InputRequiredResult:
    """The user's name, or (modern era, first round) the InputRequiredResult that asks for it."""
    version = _version(ctx)
    if not _modern(ctx):
        _log(f"{what} {version} push")
        result = await ctx.session.elicit(
            message=message, requested_schema=NAME_SCHEMA, related_request_id=ctx.request_id
        )
        return str((result.content or {}).get("name")) if result.action == "accept" else result.action
    answer = _answer(ctx, "name")
    if answer is None:
        _log(f"{what} {version} ask")
        return types.InputRequiredResult(
            input_requests={
                "name": types.ElicitRequest(
                    params=types.ElicitRequestFormParams(message=message, requested_schema=NAME_SCHEMA)
                )
            },
            request_state=what,
        )
    _log(f"{what} {version} answer state={ctx.request_state}")
    return str((answer.get("content") or {}).get("name"))


@mcp.prompt
async def introduce(ctx: Context) -> Any:
    """A prompt that needs the user's name first (elicitation during prompts/get)."""
    name = await _ask_name(ctx, "introduce", "Your name, for the prompt?")
    return name if isinstance(name, types.InputRequiredResult) else f"Introduce {name} to the team."


@mcp.resource("mrtr://whoami", mime_type="text/plain")
async def whoami(ctx: Context) -> Any:
    """A resource that needs the user's name first (elicitation during resources/read)."""
    name = await _ask_name(ctx, "whoami", "Your name, for the resource?")
    return name if isinstance(name, types.InputRequiredResult) else f"You are {name}."


if __name__ == "__main__":
    _log(f"start {os.getpid()}")
    mcp.run("stdio", show_banner=False)
