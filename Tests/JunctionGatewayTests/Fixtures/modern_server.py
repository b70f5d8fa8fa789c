#!/usr/bin/env python3
"""A modern-era-only (2026-07-28) fake MCP server for Junction's gateway tests: stdlib only.

It answers server/discover and rejects initialize with -32022 (naming its versions); with
MODERN_IGNORE_FIRST_DISCOVER=1 it never answers its first server/discover (like a server too slow
to start for its client's probe, without depending on how slow). Every other request must carry
the reserved _meta entries (protocolVersion, clientInfo, clientCapabilities), else it gets -32602;
a version it does not speak gets -32022. ping, logging/setLevel and resources/subscribe|unsubscribe
are gone: -32601.

Tools:
  echo        returns {"meta": params._meta, "arguments": ...} in structuredContent
  change      answers, then lists an extra tool and sends notifications/tools/list_changed on
              every subscriptions/listen stream that asked for it
  touch       sends notifications/resources/updated for arguments.uri on the streams subscribed
              to it; answers {"notified": N}
  end_streams answers every open subscriptions/listen request (a graceful end); {"ended": N}
Resource: modern://status. Prompt: hello.

subscriptions/listen is acknowledged with the subset it honours (no promptsListChanged). With
MODERN_REQUEST_LOG set, every request and notifications/cancelled is appended to that file as a
JSON line {"method", "id", "params", "pid"}.
"""

import json
import os
import sys

VERSIONS = os.environ.get("MODERN_VERSIONS", "2026-07-28").split(",")
META = "io.modelcontextprotocol/"
SUBSCRIPTION_ID = META + "subscriptionId"
streams = {}  # listen request id (as JSON text) -> (id, notifications filter)
extra_tool = False
ignore_discover = os.environ.get("MODERN_IGNORE_FIRST_DISCOVER") == "1"


def send(message):
    sys.stdout.buffer.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
    sys.stdout.buffer.flush()


def record(message):
    path = os.environ.get("MODERN_REQUEST_LOG")
    if not path:
        return
    entry = {"method": message.get("method"), "id": message.get("id"), "params": message.get("params"),
             "pid": os.getpid()}
    with open(path, "a") as log_file:
        log_file.write(json.dumps(entry) + "\n")


def result(request_id, value):
    send({"jsonrpc": "2.0", "id": request_id, "result": value})


def error(request_id, code, message, data=None):
    body = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    send({"jsonrpc": "2.0", "id": request_id, "error": body})


def notify_streams(method, params, wants):
    count = 0
    for stream_id, notifications in list(streams.values()):
        if wants(notifications):
            tagged = dict(params)
            tagged["_meta"] = {SUBSCRIPTION_ID: stream_id}
            send({"jsonrpc": "2.0", "method": method, "params": tagged})
            count += 1
    return count


def tools():
    names = ["echo", "change", "touch", "end_streams"] + (["extra"] if extra_tool else [])
    return [{"name": name, "description": "modern " + name, "inputSchema": {"type": "object"}} for name in names]


def call_tool(request_id, params):
    global extra_tool
    name = params.get("name")
    arguments = params.get("arguments") or {}
    if name == "echo":
        structured = {"meta": params.get("_meta"), "arguments": arguments}
        result(request_id, {"content": [{"type": "text", "text": "echo"}], "structuredContent": structured})
    elif name == "change":
        extra_tool = True
        result(request_id, {"content": [{"type": "text", "text": "changed"}]})
        notify_streams("notifications/tools/list_changed", {}, lambda n: n.get("toolsListChanged"))
    elif name == "touch":
        uri = arguments.get("uri")
        count = notify_streams(
            "notifications/resources/updated", {"uri": uri}, lambda n: uri in n.get("resourceSubscriptions", []))
        result(request_id, {"content": [{"type": "text", "text": "touched"}], "structuredContent": {"notified": count}})
    elif name == "end_streams":
        ended = list(streams.values())
        streams.clear()
        for stream_id, _ in ended:
            result(stream_id, {"resultType": "complete", "_meta": {SUBSCRIPTION_ID: stream_id}})
        result(request_id, {"content": [{"type": "text", "text": "ended"}], "structuredContent": {"ended": len(ended)}})
    elif name == "extra" and extra_tool:
        result(request_id, {"content": [{"type": "text", "text": "extra"}]})
    else:
        error(request_id, -32602, "Unknown tool: %s" % name)


def handle_request(message):
    global ignore_discover
    request_id = message["id"]
    method = message.get("method")
    params = message.get("params") or {}
    meta = params.get("_meta") or {}
    version = meta.get(META + "protocolVersion")
    if method == "initialize":
        error(request_id, -32022, "Unsupported protocol version",
              {"supported": VERSIONS, "requested": params.get("protocolVersion")})
        return
    if version not in VERSIONS:
        error(request_id, -32022, "Unsupported protocol version", {"supported": VERSIONS, "requested": version})
        return
    if method != "server/discover" and not (
        isinstance(meta.get(META + "clientInfo"), dict) and isinstance(meta.get(META + "clientCapabilities"), dict)
    ):
        error(request_id, -32602, "missing clientInfo or clientCapabilities in _meta")
        return
    if method == "server/discover":
        if ignore_discover:
            ignore_discover = False
            return
        result(request_id, {
            "resultType": "complete",
            "supportedVersions": VERSIONS,
            "capabilities": {
                "tools": {"listChanged": True},
                "resources": {"subscribe": True, "listChanged": True},
                "prompts": {"listChanged": True},
            },
            "instructions": "A modern fake.",
            "_meta": {META + "serverInfo": {"name": "modern-fake", "version": "2.0.0"}},
            "ttlMs": 60000,
            "cacheScope": "public",
        })
    elif method == "tools/list":
        result(request_id, {"tools": tools()})
    elif method == "tools/call":
        call_tool(request_id, params)
    elif method == "resources/list":
        result(request_id, {"resources": [{"uri": "modern://status", "name": "status", "mimeType": "text/plain"}]})
    elif method == "resources/templates/list":
        result(request_id, {"resourceTemplates": []})
    elif method == "resources/read":
        uri = params.get("uri")
        result(request_id, {"contents": [{"uri": uri, "mimeType": "text/plain", "text": "ok"}]})
    elif method == "prompts/list":
        result(request_id, {"prompts": [{"name": "hello", "description": "says hello"}]})
    elif method == "subscriptions/listen":
        wanted = params.get("notifications") or {}
        agreed = {key: wanted[key] for key in ("toolsListChanged", "resourcesListChanged", "resourceSubscriptions")
                  if key in wanted}
        streams[json.dumps(request_id)] = (request_id, agreed)
        send({"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged",
              "params": {"_meta": {SUBSCRIPTION_ID: request_id}, "notifications": agreed}})
    else:
        error(request_id, -32601, "Method not found: %s" % method)


def main():
    for raw in sys.stdin.buffer:
        line = raw.strip()
        if not line:
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if "method" in message and "id" in message:
            record(message)
            handle_request(message)
        elif message.get("method") == "notifications/cancelled":
            record(message)
            streams.pop(json.dumps((message.get("params") or {}).get("requestId")), None)
    os._exit(0)


if __name__ == "__main__":
    main()
