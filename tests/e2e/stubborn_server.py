"""A handshake-era MCP server (stdlib only, newline-delimited JSON-RPC on stdin/stdout) that can be
made hard to stop, for the process and shutdown tests. It opens no descriptor of its own while it
waits, so /proc/<pid>/fd shows exactly what it inherited.

Run: python tests/e2e/stubborn_server.py

Tools:
  echo(text)   the text back
  hang()       never answered (a call stuck in the server)
  pids()       "<pid> <pgid> <grandchild pid or 0>"

Environment:
  STUBBORN_LOG          optional file; one line per event ("start <pid> <pgid>",
                        "grandchild <pid>", "eof", "call <tool>")
  STUBBORN_IGNORE_TERM  "1": SIGTERM is ignored
  STUBBORN_IGNORE_EOF   "1": the end of stdin is ignored (the server sleeps on)
  STUBBORN_GRANDCHILD   "1": starts a grandchild in its process group that ignores SIGTERM and
                        sleeps for an hour, its stdio on /dev/null
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

state: dict[str, Any] = {"grandchild": 0}


def log(event: str) -> None:
    path = os.environ.get("STUBBORN_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(event + "\n")


def send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
    sys.stdout.flush()


def text(value: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": value}]}


TOOLS = [
    {"name": "echo", "description": "Return text unchanged.",
     "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
    {"name": "hang", "description": "Never answers.", "inputSchema": {"type": "object"}},
    {"name": "pids", "description": "pid, process group and grandchild pid.", "inputSchema": {"type": "object"}},
]  # fmt: skip


def on_request(message: dict[str, Any]) -> None:
    request_id = message["id"]
    method = message.get("method")
    params = message.get("params") or {}
    if method == "initialize":
        send({"id": request_id, "result": {
            "protocolVersion": params.get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "junction-stubborn", "version": "1.0"},
        }})  # fmt: skip
    elif method == "ping":
        send({"id": request_id, "result": {}})
    elif method == "tools/list":
        send({"id": request_id, "result": {"tools": TOOLS}})
    elif method == "tools/call":
        name = params.get("name")
        log(f"call {name}")
        if name == "echo":
            send({"id": request_id, "result": text(str((params.get("arguments") or {}).get("text", "")))})
        elif name == "pids":
            value = f"{os.getpid()} {os.getpgid(0)} {state['grandchild']}"
            send({"id": request_id, "result": text(value)})
        elif name == "hang":
            pass  # never answered
        else:
            send({"id": request_id, "error": {"code": -32602, "message": f"unknown tool: {name}"}})
    else:
        send({"id": request_id, "error": {"code": -32601, "message": f"Method not found: {method}"}})


def main() -> None:
    if os.environ.get("STUBBORN_IGNORE_TERM") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    log(f"start {os.getpid()} {os.getpgid(0)}")
    if os.environ.get("STUBBORN_GRANDCHILD") == "1":
        code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)"
        child = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        state["grandchild"] = child.pid
        log(f"grandchild {child.pid}")
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(message, dict) and "method" in message and "id" in message:
            on_request(message)
    log("eof")
    if os.environ.get("STUBBORN_IGNORE_EOF") == "1":
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
