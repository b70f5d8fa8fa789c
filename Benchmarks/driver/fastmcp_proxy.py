"""The peer proxy contender: FastMCP's `create_proxy` over an MCP config, served on stdio, the way
its documentation recommends. Run with the benchmark venv's python.

Usage: python fastmcp_proxy.py CONFIG.json
"""
import json
import sys

from fastmcp.server import create_proxy


def main() -> None:
    with open(sys.argv[1]) as file:
        config = json.load(file)
    create_proxy(config, name="fastmcp-proxy").run(transport="stdio", show_banner=False)


if __name__ == "__main__":
    main()
