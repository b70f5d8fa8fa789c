"""A handshake-era-only MCP server: raw newline-delimited JSON-RPC on stdin/stdout, stdlib only,
the way servers written before 2026-07-28 behave. It knows nothing of `server/discover` (answered,
like every unknown method, with -32601), of `_meta` protocol versions or of multi round-trip
results; it speaks only after `initialize`.

Run: python tests/e2e/legacy_server.py

Tools:
  echo(text)        the text back
  ask(question)     sends `elicitation/create` to its client during the call, waits for the
                    answer and returns "accept: <content as JSON>" (or the action); other
                    requests are served meanwhile
  add_tool()        registers `dynamic_N` and sends notifications/tools/list_changed
  touch(uri)        sends notifications/resources/updated for uri if the client subscribed to it
  era()             the protocol version negotiated by initialize
Resource `legacy://readme` (subscribable), prompt `hello(name)`.

Environment:
  LEGACY_LOG  optional file; one line per event ("start <pid>", "initialize 2025-11-25",
              "request server/discover", "subscribe legacy://readme", ...).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

OUT = sys.stdout
VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")

state: dict[str, Any] = {
    "version": None,  # negotiated by initialize
    "client_capabilities": {},
    "dynamic": [],  # names of tools added at runtime
    "subscribed": set(),  # resource URIs
    "pending": {},  # our request id -> (client request id, what for)
    "next_id": 0,
}

README = "Junction legacy fixture readme."
KNOWN_METHODS = {
    "tools/list", "tools/call", "resources/list", "resources/templates/list", "resources/read",
    "resources/subscribe", "resources/unsubscribe", "prompts/list", "prompts/get",
}  # fmt: skip


def log(event: str) -> None:
    path = os.environ.get("LEGACY_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(event + "\n")


def send(message: dict[str, Any]) -> None:
    OUT.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
    OUT.flush()


def result(request_id: Any, value: dict[str, Any]) -> None:
    send({"id": request_id, "result": value})


def error(request_id: Any, code: int, message: str, data: Any = None) -> None:
    body: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    send({"id": request_id, "error": body})


def text(value: str, is_error: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"content": [{"type": "text", "text": value}]}
    if is_error:
        out["isError"] = True
    return out


def tools() -> list[dict[str, Any]]:
    obj = {"type": "object"}
    listed = [
        {"name": "echo", "description": "Return text unchanged.",
         "inputSchema": {**obj, "properties": {"text": {"type": "string"}}, "required": ["text"]}},
        {"name": "ask", "description": "Ask the user (elicitation/create) and return the answer.",
         "inputSchema": {**obj, "properties": {"question": {"type": "string"}}, "required": ["question"]}},
        {"name": "add_tool", "description": "Add a tool dynamic_N and announce the change.", "inputSchema": obj},
        {"name": "touch", "description": "Announce that a subscribed resource changed.",
         "inputSchema": {**obj, "properties": {"uri": {"type": "string"}}, "required": ["uri"]}},
        {"name": "era", "description": "The protocol version initialize negotiated.", "inputSchema": obj},
    ]  # fmt: skip
    listed += [{"name": n, "description": f"Added at runtime ({n}).", "inputSchema": obj} for n in state["dynamic"]]
    return listed


def call_tool(request_id: Any, params: dict[str, Any]) -> None:
    name = params.get("name")
    args = params.get("arguments") or {}
    log(f"call {name}")
    if name == "echo":
        result(request_id, text(str(args.get("text", ""))))
    elif name == "era":
        result(request_id, text(str(state["version"])))
    elif name == "add_tool":
        new = f"dynamic_{len(state['dynamic']) + 1}"
        state["dynamic"].append(new)
        send({"method": "notifications/tools/list_changed"})
        result(request_id, text(new))
    elif name == "touch":
        uri = str(args.get("uri", ""))
        if uri in state["subscribed"]:
            send({"method": "notifications/resources/updated", "params": {"uri": uri}})
            result(request_id, text(f"updated {uri}"))
        else:
            result(request_id, text(f"not subscribed: {uri}"))
    elif name == "ask":
        if "elicitation" not in state["client_capabilities"]:
            result(request_id, text("ask: the client did not declare the elicitation capability", True))
            return
        state["next_id"] += 1
        ours = f"legacy-elicit-{state['next_id']}"
        state["pending"][ours] = request_id
        log(f"elicit {ours}")
        schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
        send({"id": ours, "method": "elicitation/create",
              "params": {"message": str(args.get("question", "")), "requestedSchema": schema}})  # fmt: skip
    elif name in state["dynamic"]:
        result(request_id, text(name))
    else:
        error(request_id, -32602, f"unknown tool: {name}")


def on_response(message: dict[str, Any]) -> None:
    """A response from our client to an elicitation/create we sent."""
    request_id = state["pending"].pop(message.get("id"), None)
    if request_id is None:
        log(f"stray response {message.get('id')!r}")
        return
    if "error" in message:
        log(f"elicit error {json.dumps(message['error'])}")
        err = message["error"]
        result(request_id, text(f"elicitation failed: {err.get('code')} {err.get('message')}", True))
        return
    answer = message.get("result") or {}
    log(f"elicit answer {json.dumps(answer, sort_keys=True)}")
    action = answer.get("action")
    if action == "accept":
        result(request_id, text(f"accept: {json.dumps(answer.get('content'), sort_keys=True)}"))
    else:
        result(request_id, text(str(action)))


def on_request(message: dict[str, Any]) -> None:
    request_id = message["id"]
    method = message.get("method")
    params = message.get("params") or {}
    log(f"request {method}")
    if method == "initialize":
        asked = params.get("protocolVersion")
        version = asked if asked in VERSIONS else VERSIONS[-1]
        state["version"] = version
        state["client_capabilities"] = params.get("capabilities") or {}
        log(f"initialize {version} capabilities={json.dumps(state['client_capabilities'], sort_keys=True)}")
        result(request_id, {
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": True}, "resources": {"subscribe": True}, "prompts": {}},
            "serverInfo": {"name": "junction-legacy", "version": "1.0"},
            "instructions": "Junction end-to-end handshake-only fixture.",
        })  # fmt: skip
        return
    if method == "ping":
        result(request_id, {})
        return
    if method not in KNOWN_METHODS:
        error(request_id, -32601, f"Method not found: {method}")
        return
    if state["version"] is None:
        error(request_id, -32600, f"{method} before initialize")
        return
    if method == "tools/list":
        result(request_id, {"tools": tools()})
    elif method == "tools/call":
        call_tool(request_id, params)
    elif method == "resources/list":
        result(request_id, {"resources": [{"uri": "legacy://readme", "name": "readme", "mimeType": "text/plain"}]})
    elif method == "resources/templates/list":
        result(request_id, {"resourceTemplates": []})
    elif method == "resources/read":
        if params.get("uri") != "legacy://readme":
            error(request_id, -32002, "resource not found", {"uri": params.get("uri")})
            return
        result(request_id, {"contents": [{"uri": "legacy://readme", "mimeType": "text/plain", "text": README}]})
    elif method == "resources/subscribe":
        state["subscribed"].add(params.get("uri"))
        log(f"subscribe {params.get('uri')}")
        result(request_id, {})
    elif method == "resources/unsubscribe":
        state["subscribed"].discard(params.get("uri"))
        log(f"unsubscribe {params.get('uri')}")
        result(request_id, {})
    elif method == "prompts/list":
        prompt = {"name": "hello", "description": "Say hello.",
                  "arguments": [{"name": "name", "description": "Who", "required": True}]}  # fmt: skip
        result(request_id, {"prompts": [prompt]})
    elif method == "prompts/get":
        if params.get("name") != "hello":
            error(request_id, -32602, f"unknown prompt: {params.get('name')}")
            return
        who = (params.get("arguments") or {}).get("name", "")
        message_ = {"role": "user", "content": {"type": "text", "text": f"Hello from legacy, {who}!"}}
        result(request_id, {"messages": [message_]})


def main() -> None:
    log(f"start {os.getpid()}")
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            send({"id": None, "error": {"code": -32700, "message": "Parse error"}})
            continue
        if not isinstance(message, dict):
            send({"id": None, "error": {"code": -32600, "message": "Invalid Request"}})
            continue
        if "method" in message and "id" in message:
            on_request(message)
        elif "method" in message:
            log(f"notification {message['method']}")
        else:
            on_response(message)


if __name__ == "__main__":
    main()
