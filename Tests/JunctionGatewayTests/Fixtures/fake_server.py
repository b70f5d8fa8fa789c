#!/usr/bin/env python3
"""A fake MCP server for Junction's gateway tests: newline-delimited JSON-RPC on stdio, stdlib only.

Tools:
  echo           returns its params verbatim in structuredContent (arguments.delay_ms delays it)
  slow           sends notifications/progress (caller's _meta.progressToken) every interval_ms
                 for `steps` steps, then answers; stops on notifications/cancelled, answering nothing
  crash          exits at once with status 3
  garbage        prints a non-JSON line to stdout, then answers
  stderr         writes arguments.lines (or two default lines) to stderr, then answers
  change         answers, then lists an extra tool and sends notifications/tools/list_changed
  sleep_forever  never answers (until cancelled)
  env            returns the value of env var arguments.name (default FAKE_SECRET), or null
  ask_client     sends a request (arguments.method, default roots/list) to its client and returns
                 the response it gets, result or error, in structuredContent; with
                 arguments.withdrawable it cancels that request when withdraw_asks is called
  withdraw_asks  withdraws every unanswered withdrawable ask_client request, then answers
  dotted.name    a name that is not a legal client-visible name; answers with its own name
  hang           answers, then answers nothing more (ping included) while it keeps running: a hung
                 server, for the health checks
  gate           waits until the file arguments.path exists, then answers (a call held open until the
                 test lets it go)
Resources: fake://readme and the template fake://items/{id}. Prompt: greet.

Every request and cancellation received is logged to stderr ("request <method> id=<id>",
"cancelled requestId=<id> reason=<reason>") so tests can see what reached the server.
With FAKE_IGNORE_EOF=1 the server keeps running when its stdin closes (a stubborn server).

It speaks only the handshake era: an unknown method (server/discover included) gets -32601. With
FAKE_DISCOVER=silent it never answers server/discover; with FAKE_DISCOVER=exit it exits on it.
resources/subscribe and resources/unsubscribe answer {}. With FAKE_REQUEST_LOG set, every request
is appended to that file as a JSON line {"method", "id", "params", "pid"} (tests count them across
restarts).
With FAKE_DESCRIPTIONS set to a file holding a JSON object {tool name: description}, those tools
are listed with those descriptions, read afresh at every tools/list (tests change a tool's
definition between two discoveries: a rug pull).
"""

import json
import os
import sys
import threading
import time

out_lock = threading.Lock()
state_lock = threading.Lock()
cancelled = {}  # request id (as JSON text) -> threading.Event
withdrawals = []  # events of unanswered withdrawable ask_client requests
answers = {}  # id of a request this server sent (as JSON text) -> [threading.Event, response]
extra_tool = False
hung = False


def send(message):
    data = json.dumps(message, separators=(",", ":")).encode() + b"\n"
    with out_lock:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def log(text):
    with out_lock:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


def key(request_id):
    return json.dumps(request_id)


def result(request_id, value):
    send({"jsonrpc": "2.0", "id": request_id, "result": value})


def error(request_id, code, message):
    send({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})


def text_result(text, structured=None):
    value = {"content": [{"type": "text", "text": text}]}
    if structured is not None:
        value["structuredContent"] = structured
    return value


def tools():
    names = [
        "echo", "slow", "crash", "garbage", "stderr", "change", "sleep_forever", "env", "ask_client",
        "withdraw_asks", "dotted.name", "hang", "gate",
    ]
    if extra_tool:
        names.append("extra")
    descriptions = {}
    path = os.environ.get("FAKE_DESCRIPTIONS")
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            descriptions = json.load(f)
    return [
        {"name": name, "description": descriptions.get(name, "fake " + name), "inputSchema": {"type": "object"}}
        for name in names
    ]


def call_tool(request_id, params, event):
    global extra_tool
    name = params.get("name")
    arguments = params.get("arguments") or {}
    if name == "echo":
        delay = arguments.get("delay_ms", 0) if isinstance(arguments, dict) else 0
        if delay and event.wait(delay / 1000.0):
            return
        result(request_id, text_result(json.dumps(arguments), params))
    elif name == "slow":
        steps = int(arguments.get("steps", 5))
        interval = arguments.get("interval_ms", 50) / 1000.0
        token = (params.get("_meta") or {}).get("progressToken")
        for step in range(1, steps + 1):
            if event.wait(interval):
                log("slow stopped early id=%s" % key(request_id))
                return
            if token is not None:
                send({
                    "jsonrpc": "2.0",
                    "method": "notifications/progress",
                    "params": {"progressToken": token, "progress": step, "total": steps},
                })
        result(request_id, text_result("slow done after %d steps" % steps))
    elif name == "crash":
        log("crashing on purpose")
        os._exit(3)
    elif name == "garbage":
        with out_lock:
            sys.stdout.buffer.write(b"this is not JSON at all\n")
            sys.stdout.buffer.flush()
        result(request_id, text_result("after garbage"))
    elif name == "stderr":
        for line in arguments.get("lines", ["first stderr line", "second stderr line"]):
            log(line)
        result(request_id, text_result("wrote to stderr"))
    elif name == "change":
        with state_lock:
            extra_tool = True
        result(request_id, text_result("changed"))
        send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
    elif name == "sleep_forever":
        event.wait()
        log("sleep_forever woke by cancellation id=%s" % key(request_id))
    elif name == "env":
        variable = arguments.get("name", "FAKE_SECRET")
        value = os.environ.get(variable)
        result(request_id, text_result(str(value), {"name": variable, "value": value}))
    elif name == "ask_client":
        own_id = "srv-%s" % key(request_id)
        slot = [threading.Event(), None]
        with state_lock:
            answers[key(own_id)] = slot
        send({"jsonrpc": "2.0", "id": own_id, "method": arguments.get("method", "roots/list"), "params": {}})
        if arguments.get("withdrawable"):
            # Give up on the question when told: tell the client, answer the call without its answer.
            withdrawn = threading.Event()
            with state_lock:
                withdrawals.append(withdrawn)
            while not slot[0].is_set():
                if withdrawn.wait(0.01):
                    send({"jsonrpc": "2.0", "method": "notifications/cancelled",
                          "params": {"requestId": own_id, "reason": "no longer needed"}})
                    result(request_id, text_result("withdrawn"))
                    return
        slot[0].wait()
        result(request_id, text_result("asked the client", slot[1]))
    elif name == "withdraw_asks":
        with state_lock:
            pending = list(withdrawals)
            withdrawals.clear()
        for withdrawn in pending:
            withdrawn.set()
        result(request_id, text_result("withdrew %d" % len(pending)))
    elif name == "hang":
        global hung
        result(request_id, text_result("hanging from now on"))
        with state_lock:
            hung = True
        log("hung on purpose")
    elif name == "gate":
        path = arguments.get("path", "")
        while not os.path.exists(path) and not event.wait(0.02):
            pass
        if not event.is_set():
            result(request_id, text_result("gate opened"))
    elif name == "dotted.name":
        result(request_id, text_result("dotted.name"))
    elif name == "extra" and extra_tool:
        result(request_id, text_result("extra"))
    else:
        error(request_id, -32602, "Unknown tool: %s" % name)


def record(message):
    path = os.environ.get("FAKE_REQUEST_LOG")
    if not path:
        return
    entry = {"method": message.get("method"), "id": message.get("id"), "params": message.get("params"),
             "pid": os.getpid()}
    with open(path, "a") as log_file:
        log_file.write(json.dumps(entry) + "\n")


def handle_request(message):
    request_id = message["id"]
    method = message.get("method")
    params = message.get("params") or {}
    record(message)
    with state_lock:
        if hung:
            return
    if method == "server/discover" and os.environ.get("FAKE_DISCOVER") == "silent":
        return
    if method == "server/discover" and os.environ.get("FAKE_DISCOVER") == "exit":
        log("exiting on server/discover")
        os._exit(4)
    if method == "initialize":
        result(request_id, {
            "protocolVersion": params.get("protocolVersion", "2025-06-18"),
            "capabilities": {
                "tools": {"listChanged": True},
                "resources": {},
                "prompts": {},
            },
            "serverInfo": {"name": "fake", "version": "1.0.0"},
        })
    elif method == "ping":
        result(request_id, {})
    elif method == "tools/list":
        result(request_id, {"tools": tools()})
    elif method == "tools/call":
        event = threading.Event()
        with state_lock:
            cancelled[key(request_id)] = event

        def run():
            try:
                call_tool(request_id, params, event)
            finally:
                with state_lock:
                    cancelled.pop(key(request_id), None)

        threading.Thread(target=run, daemon=True).start()
    elif method == "resources/list":
        result(request_id, {"resources": [
            {"uri": "fake://readme", "name": "readme", "mimeType": "text/plain"},
        ]})
    elif method == "resources/templates/list":
        result(request_id, {"resourceTemplates": [
            {"uriTemplate": "fake://items/{id}", "name": "item", "mimeType": "text/plain"},
        ]})
    elif method in ("resources/subscribe", "resources/unsubscribe"):
        result(request_id, {})
    elif method == "resources/read":
        uri = params.get("uri", "")
        if uri == "fake://readme":
            text = "the fake readme"
        elif uri.startswith("fake://items/"):
            text = "item " + uri[len("fake://items/"):]
        else:
            error(request_id, -32002, "Resource not found: %s" % uri)
            return
        result(request_id, {"contents": [{"uri": uri, "mimeType": "text/plain", "text": text}]})
    elif method == "prompts/list":
        result(request_id, {"prompts": [
            {"name": "greet", "description": "greets", "arguments": [{"name": "name", "required": True}]},
        ]})
    elif method == "prompts/get":
        if params.get("name") != "greet":
            error(request_id, -32602, "Unknown prompt: %s" % params.get("name"))
            return
        who = (params.get("arguments") or {}).get("name", "world")
        result(request_id, {"messages": [
            {"role": "user", "content": {"type": "text", "text": "Hello, %s!" % who}},
        ]})
    else:
        error(request_id, -32601, "Method not found: %s" % method)


def handle_notification(message):
    if message.get("method") == "notifications/cancelled":
        params = message.get("params") or {}
        request_id = params.get("requestId")
        log("cancelled requestId=%s reason=%s" % (key(request_id), params.get("reason")))
        with state_lock:
            event = cancelled.get(key(request_id))
        if event is not None:
            event.set()


def main():
    for raw in sys.stdin.buffer:
        line = raw.strip()
        if not line:
            continue
        try:
            message = json.loads(line)
        except ValueError:
            log("unparseable input: %r" % line[:200])
            continue
        if "method" in message and "id" in message:
            log("request %s id=%s" % (message["method"], key(message["id"])))
            handle_request(message)
        elif "method" in message:
            handle_notification(message)
        elif "id" in message:
            with state_lock:
                slot = answers.pop(key(message["id"]), None)
            if slot is not None:
                slot[1] = message
                slot[0].set()
    if os.environ.get("FAKE_IGNORE_EOF") == "1":
        log("stdin closed; ignoring it")
        while True:
            time.sleep(3600)
    os._exit(0)


if __name__ == "__main__":
    main()
