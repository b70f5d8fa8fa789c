"""The fixture server (tests/e2e/fixture_server.py: echo, add, slow with progress, add_tool with
list_changed, resources, prompts…) served over HTTP, plus two tools of its own, for
tests/e2e/test_http_downstream.py.

Run: python tests/e2e/remote_server.py TRANSPORT PORT
  TRANSPORT  streamable-http (endpoint /mcp) or sse (legacy HTTP+SSE, endpoint /sse)
  PORT       the 127.0.0.1 port to listen on

Environment: FIXTURE_LOG as for the fixture server ("start <pid>", "write <path>").
"""

from __future__ import annotations

import os
import sys

from fastmcp.server.dependencies import get_http_headers
from fixture_server import _log, mcp


@mcp.tool
def header(name: str) -> str:
    """The value of request header `name` as this server received it ("" when absent)."""
    return get_http_headers(include_all=True).get(name.lower(), "")


@mcp.tool
def write_file(path: str) -> str:
    """Pretend to write a file (a tool a route rule can deny or hold for approval)."""
    _log(f"write {path}")
    return f"wrote {path}"


if __name__ == "__main__":
    transport, port = sys.argv[1], int(sys.argv[2])
    _log(f"start {os.getpid()}")
    mcp.run(transport=transport, host="127.0.0.1", port=port, show_banner=False, log_level="warning")
