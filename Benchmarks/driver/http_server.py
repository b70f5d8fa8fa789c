"""A FastMCP server with one tool, `echo`, over streamable HTTP: the remote server of the
`remote.py` benchmark.

Usage: python http_server.py PORT
"""
import json
import sys

from fastmcp import FastMCP

mcp = FastMCP("bench-remote")


@mcp.tool
def echo(n: int = 0, text: str = "") -> str:
    """Echo the arguments."""
    return json.dumps({"n": n, "text": text})


if __name__ == "__main__":
    mcp.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[1]), show_banner=False, log_level="error")
