"""A downstream MCP server that misbehaves on purpose (stdlib only; newline-delimited JSON-RPC).

Run: python tests/e2e/faulty_server.py MODE

It lists one tool, `work`, and its MODE decides what a call to it does:
  crash        writes "crashing mid-call" to stderr and exits with status 3, unanswered
  garbage      writes lines that are not JSON-RPC to stdout (text, binary, JSON of other shapes,
               a cut message), then never answers; `work_after_garbage` answers after the same
  hang         never answers a call (everything else is served)
  exit         exits at start, status 4, before reading anything, after a line on stderr
  flood        writes FLOOD_MB (default 20) MiB of lines to stderr, then answers
  stubborn     ignores SIGTERM and the end of its input, and never answers a call
  hang_init    never answers initialize
  secret       writes the value of $FAULTY_SECRET to stderr, then exits with status 5, unanswered
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "hang"


def send(message: dict) -> None:
    sys.stdout.buffer.write(json.dumps(message).encode() + b"\n")
    sys.stdout.buffer.flush()


def log(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def result(request_id, value) -> None:
    send({"jsonrpc": "2.0", "id": request_id, "result": value})


def garbage() -> None:
    for line in [
        b"this is not JSON at all",
        b"\x00\xff\xfe binary \x80",
        b"[1, 2, 3]",
        b'{"hello": "a JSON object that is no JSON-RPC message"}',
        b'{"jsonrpc": "2.0", "id": 99999, "result": {"for": "a request nobody sent"}}',
        b'{"jsonrpc": "2.0", "id": 1, "resu',
    ]:
        sys.stdout.buffer.write(line + b"\n")
    sys.stdout.buffer.flush()


TOOLS = [
    {"name": "work", "description": "does what the mode says", "inputSchema": {"type": "object"}},
    {"name": "work_after_garbage", "description": "answers after garbage", "inputSchema": {"type": "object"}},
]


def call(request_id, params: dict) -> None:
    name = params.get("name")
    if MODE == "garbage" and name == "work_after_garbage":
        garbage()
        result(request_id, {"content": [{"type": "text", "text": "answered after garbage"}]})
        return
    if MODE == "crash":
        log("crashing mid-call")
        os._exit(3)
    if MODE == "secret":
        log("failing with token " + os.environ.get("FAULTY_SECRET", ""))
        os._exit(5)
    if MODE == "garbage":
        garbage()
        return
    if MODE == "flood":
        line = "flooding stderr " + "x" * 100 + "\n"
        total = int(float(os.environ.get("FLOOD_MB", "20")) * 1024 * 1024)
        written = 0
        while written < total:
            sys.stderr.write(line * 1000)
            written += len(line) * 1000
        sys.stderr.flush()
        result(request_id, {"content": [{"type": "text", "text": f"flooded {written} bytes"}]})
        return
    if MODE in ("hang", "stubborn"):
        return  # never answered
    result(request_id, {"content": [{"type": "text", "text": "ok"}]})


def main() -> None:
    if MODE == "exit":
        log("refusing to start: no configuration")
        sys.exit(4)
    if MODE == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for raw in sys.stdin.buffer:
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        method, request_id = message.get("method"), message.get("id")
        if request_id is None:
            continue  # notifications
        if method == "initialize":
            if MODE == "hang_init":
                continue
            result(
                request_id,
                {
                    "protocolVersion": message.get("params", {}).get("protocolVersion", "2025-06-18"),
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": f"faulty-{MODE}", "version": "1"},
                },
            )
        elif method == "tools/list":
            result(request_id, {"tools": TOOLS})
        elif method == "tools/call":
            call(request_id, message.get("params") or {})
        elif method == "ping":
            result(request_id, {})
        else:
            send({"jsonrpc": "2.0", "id": request_id, "error": {"code": -32601, "message": f"no {method}"}})
    if MODE == "stubborn":
        while True:  # input ended: a well-behaved server would exit now
            time.sleep(1)


if __name__ == "__main__":
    main()
