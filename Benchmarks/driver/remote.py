"""tools/call round trips to a FastMCP streamable-HTTP server: called directly with the official
SDK client over HTTP, and through `junction stdio --embedded` (the server added with `--url`).
Prints the medians of the per-repetition p50s and their ratio; writes nothing.

Usage: python remote.py --bin RELEASE_BIN_DIR [--calls 500] [--repetitions 3]
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import time

import anyio
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from fixtures import Home
from peers import ProcessPeer
from scenarios import FASTMCP_ENV, sequential

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port):
    env = dict(os.environ, **FASTMCP_ENV)
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "http_server.py"), str(port)], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("the FastMCP server did not start")


async def direct_p50s(url, calls, repetitions):
    """Per repetition, the p50 in µs of `calls` sequential calls with the SDK client over HTTP."""
    p50s = []
    async with streamable_http_client(url) as streams, ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        for index in range(max(50, calls // 10)):  # warm-up
            await session.call_tool("echo", {"n": index, "text": "hello"})
        for _ in range(repetitions):
            samples = []
            for index in range(calls):
                started = time.perf_counter_ns()
                await session.call_tool("echo", {"n": index, "text": "hello"})
                samples.append((time.perf_counter_ns() - started) / 1000)
            p50s.append(statistics.median(samples))
    return p50s


def junction_p50s(junction, url, calls, repetitions):
    home = Home(junction, servers=0)
    try:
        home.cli("server", "add", "remote", "--url", url)
        peer = ProcessPeer(home.embedded(), env=home.env)
        try:
            peer.initialize()
            tool = next(name for name in peer.tool_names() if name.endswith("echo"))
            sequential(peer, tool, max(50, calls // 10), budget=60)  # warm-up
            return [sequential(peer, tool, calls, budget=120)[0] for _ in range(repetitions)]
        finally:
            peer.close()
    finally:
        home.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    junction = os.path.join(args.bin, "junction")
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    server = start_server(port)
    try:
        direct = statistics.median(anyio.run(direct_p50s, url, args.calls, args.repetitions))
        through = statistics.median(junction_p50s(junction, url, args.calls, args.repetitions))
    finally:
        server.terminate()
        server.wait()
    print("| tools/call to a FastMCP streamable-HTTP server | p50 (µs) |")
    print("| --- | ---: |")
    print(f"| direct (SDK client over HTTP) | {direct:.0f} |")
    print(f"| through `junction stdio --embedded` | {through:.0f} |")
    print(f"\nJunction / direct: {through / direct:.2f}× ({through - direct:+.0f} µs)")


if __name__ == "__main__":
    main()
