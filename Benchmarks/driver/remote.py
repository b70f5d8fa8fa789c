"""The `remote` scenario: tools/call to a FastMCP server over streamable HTTP (`http_server.py`),
reached directly, through Junction (the server added with `junction server add NAME --url URL`)
and through FastMCP's own proxy of the same URL. Every contender is driven by the same thin
client of `peers.py` (requests encoded by hand, answers not parsed), so the client costs the same
everywhere: over HTTP for the direct path (one keep-alive connection per caller, POST, the answer
read as JSON or SSE), over stdio for the gateways, which then pay stdio framing on top of HTTP."""
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time

from fixtures import Home, proxy_command
from peers import HTTPPeer, ProcessPeer
from scenarios import FASTMCP_ENV, sequential

HERE = os.path.dirname(os.path.abspath(__file__))
# Calls in flight for the pipelined figure, the same for every contender: the direct path keeps
# one HTTP/1.1 connection per call in flight, the stdio paths a window of as many.
IN_FLIGHT = 16


class DirectHTTPPeer(HTTPPeer):
    """`peers.HTTPPeer` without Junction's bearer key (a FastMCP server asks for none), that
    returns an SSE answer as soon as its event arrives, as pooled clients (the SDK's httpx,
    Junction's async-http-client) do: FastMCP ends the stream milliseconds later, and draining it
    keeps that connection busy, so the next request takes an idle one of a small pool meanwhile."""

    def __init__(self, url, connections=IN_FLIGHT):
        super().__init__(url, key="", connections=connections)
        del self.headers["Authorization"]
        self.idle = queue.SimpleQueue()
        self.draining = queue.SimpleQueue()
        for _ in range(4):
            threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        while True:
            response, connection = self.draining.get()
            try:
                response.read()
                self.idle.put(connection)
            except OSError:
                connection.close()

    def _post(self, _connection, body):
        try:
            connection = self.idle.get_nowait()
        except queue.Empty:
            connection = self._connect()
        try:
            connection.request("POST", self.path, body=body, headers=self.headers)
            response = connection.getresponse()
        except OSError:
            # The server closed this idle connection (uvicorn's keep-alive timeout): a new one.
            connection.close()
            connection = self._connect()
            connection.request("POST", self.path, body=body, headers=self.headers)
            response = connection.getresponse()
        if response.status == 202:
            response.read()
            self.idle.put(connection)
            return b""
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {response.read()[:300]!r}")
        if response.getheader("Mcp-Session-Id"):
            self.headers["Mcp-Session-Id"] = response.getheader("Mcp-Session-Id")
        if not response.getheader("Content-Type", "").startswith("text/event-stream"):
            data = response.read()
            self.idle.put(connection)
            return data
        while True:
            line = response.readline()
            if not line:
                raise RuntimeError("the SSE stream ended without an answer")
            if line.startswith(b"data:") and (b'"result"' in line or b'"error"' in line):
                self.draining.put((response, connection))
                return line[5:].strip()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port):
    """Starts `http_server.py` on `port` and waits until it accepts connections."""
    env = dict(os.environ, **FASTMCP_ENV)
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "http_server.py"), str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.05)
    server.kill()
    server.wait()
    raise RuntimeError("the FastMCP streamable-HTTP server did not start")


def remote(junction, venv_python, calls_per_run, repetitions, pipelined_calls, budget):
    """Sequential round trips (p50, p99 in µs) and pipelined calls/s (`IN_FLIGHT` in flight) per
    contender, alternating over `repetitions`; medians of the per-repetition figures."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    server = start_server(port)
    home = Home(junction, servers=0)
    peers = {}
    try:
        home.cli("server", "add", "remote", "--url", url)
        home.start_daemon()
        config = os.path.join(home.path, "fastmcp-remote.json")
        with open(config, "w") as file:
            file.write('{"mcpServers": {"remote": {"url": "%s", "transport": "http"}}}' % url)
        proxy_env = dict(os.environ, **FASTMCP_ENV)
        starts = {
            "direct": lambda: DirectHTTPPeer(url),
            "embedded": lambda: ProcessPeer(home.embedded(), env=home.env),
            "daemon": lambda: ProcessPeer(home.through_daemon(), env=home.env),
            "fastmcp": lambda: ProcessPeer(proxy_command(venv_python, config), env=proxy_env),
        }
        tools = {}
        for name, start in starts.items():
            peer = start()
            peers[name] = peer
            peer.initialize()
            tools[name] = next(tool for tool in peer.tool_names() if tool.endswith("echo"))

        def pipelined(name, total):
            return peers[name].pipelined(tools[name], total, window=IN_FLIGHT, batch=4)

        # Warm-up (connections open, code paths hot) and a throughput probe, so a slow contender
        # gets fewer pipelined calls (about `budget` / 4 seconds' worth).
        counts = {}
        for name in peers:
            sequential(peers[name], tools[name], max(50, calls_per_run // 10), budget)
            rate = pipelined(name, min(500, pipelined_calls))
            counts[name] = max(200, min(pipelined_calls, int(rate * budget / 4)))
        runs = {name: {"p50": [], "p99": [], "throughput": []} for name in peers}
        for _ in range(repetitions):
            for name in peers:
                p50, p99 = sequential(peers[name], tools[name], calls_per_run, budget)
                runs[name]["p50"].append(p50)
                runs[name]["p99"].append(p99)
            for name in peers:
                runs[name]["throughput"].append(pipelined(name, counts[name]))
        return {name: {key: statistics.median(values) for key, values in run.items()} for name, run in runs.items()}
    finally:
        for peer in peers.values():
            peer.close()
        home.close()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
