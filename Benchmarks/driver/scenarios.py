"""The benchmark scenarios that need processes: each returns plain numbers for report.py.

Every scenario runs its contenders side by side in one run, alternating, several repetitions, and
keeps the median of the per-repetition figures."""
import os
import statistics
import subprocess
import time

from fixtures import Home, proxy_command, server_command
from peers import HTTPPeer, ProcessPeer, SocketPeer, rss_kib

FASTMCP_ENV = {"FASTMCP_CHECK_FOR_UPDATES": "off", "FASTMCP_SHOW_SERVER_BANNER": "false", "FASTMCP_LOG_LEVEL": "ERROR"}


def percentile(sorted_samples, fraction):
    return sorted_samples[min(len(sorted_samples) - 1, int(len(sorted_samples) * fraction))]


def sequential(peer, tool, calls, budget):
    """Round trips of `calls` sequential calls (fewer if `budget` seconds run out): p50, p99 in µs."""
    samples = []
    deadline = time.perf_counter() + budget
    for index in range(calls):
        started = time.perf_counter_ns()
        peer.call(tool, index)
        samples.append((time.perf_counter_ns() - started) / 1000)
        if time.perf_counter() > deadline and len(samples) >= 50:
            break
    samples.sort()
    return statistics.median(samples), percentile(samples, 0.99)


class Contenders:
    """The ways to reach the minimal server, each an open, initialised session: directly, through
    Junction embedded, through its daemon (`junction stdio`) and over its `/mcp` (streamable
    HTTP), through FastMCP's proxy, and with `baseline` (an
    older junction binary) through that one too, for before/after comparisons in one run."""

    def __init__(self, junction, venv_python, baseline=None):
        self.homes = [Home(junction)]
        proxy_env = dict(os.environ, **FASTMCP_ENV)
        home = self.homes[0]
        starts = {
            "direct": lambda: ProcessPeer(server_command()),
            "embedded": lambda: ProcessPeer(home.embedded(), env=home.env),
            "daemon": lambda: ProcessPeer(home.through_daemon(), env=home.env),
            "http": lambda: HTTPPeer(home.mcp_url(), home.api_key()),
            "fastmcp": lambda: ProcessPeer(proxy_command(venv_python, home.proxy_config()), env=proxy_env),
        }
        if baseline:
            before = Home(baseline)
            self.homes.append(before)
            starts["embedded (before)"] = lambda: ProcessPeer(before.embedded(), env=before.env)
            starts["daemon (before)"] = lambda: ProcessPeer(before.through_daemon(), env=before.env)
        for each in self.homes:
            each.start_daemon()
        self.names = list(starts)
        self.peers, self.tools = {}, {}
        for name, start in starts.items():
            peer = start()
            self.peers[name] = peer
            peer.initialize()
            self.tools[name] = next(tool for tool in peer.tool_names() if tool.endswith("echo"))

    def close(self):
        for peer in self.peers.values():
            peer.close()
        for home in self.homes:
            home.close()


def calls(junction, venv_python, calls_per_run, repetitions, pipelined_calls, budget, baseline=None):
    """Scenario 1: sequential round trips (p50, p99) and pipelined throughput per contender."""
    contenders = Contenders(junction, venv_python, baseline)
    try:
        # Warm-up (servers started, caches and code paths hot), and a probe of each contender's
        # throughput so a slow one gets fewer pipelined calls (about `budget` / 4 seconds' worth).
        pipelined_counts = {}
        for name in contenders.names:
            sequential(contenders.peers[name], contenders.tools[name], max(100, calls_per_run // 10), budget)
            rate = contenders.peers[name].pipelined(contenders.tools[name], min(1000, pipelined_calls))
            pipelined_counts[name] = max(200, min(pipelined_calls, int(rate * budget / 4)))
        runs = {name: {"p50": [], "p99": [], "throughput": []} for name in contenders.names}
        for _ in range(repetitions):
            for name in contenders.names:
                peer, tool = contenders.peers[name], contenders.tools[name]
                p50, p99 = sequential(peer, tool, calls_per_run, budget)
                runs[name]["p50"].append(p50)
                runs[name]["p99"].append(p99)
            for name in contenders.names:
                peer, tool = contenders.peers[name], contenders.tools[name]
                runs[name]["throughput"].append(peer.pipelined(tool, pipelined_counts[name]))
        return {name: {key: statistics.median(values) for key, values in run.items()} for name, run in runs.items()}
    finally:
        contenders.close()


def tools_list(junction, venv_python, servers, tools, repetitions, warm_lists):
    """Scenario 2: a complete tools/list (every page) of `servers` × `tools` tools, warm (the same
    session again) and as a new session's first request, in ms; one server listing as many tools
    directly is the baseline."""
    home = Home(junction, servers=servers, tools=tools)
    home.start_daemon()
    proxy_env = dict(os.environ, **FASTMCP_ENV)
    proxy_config = home.proxy_config(tools)
    commands = {
        "direct": lambda: ProcessPeer(server_command(servers * tools)),
        "embedded": lambda: ProcessPeer(home.embedded(), env=home.env),
        "daemon": lambda: ProcessPeer(home.through_daemon(), env=home.env),
        "fastmcp": lambda: ProcessPeer(proxy_command(venv_python, proxy_config), env=proxy_env),
    }
    try:
        # Discovery once, so the catalog is stored and the daemon's servers run, as in daily use.
        with_count = ProcessPeer(home.through_daemon(), env=home.env)
        with_count.initialize()
        visible = len(with_count.tool_names())
        with_count.close()
        runs = {name: {"first": [], "warm": [], "pages": 0, "bytes": 0} for name in commands}
        for _ in range(repetitions):
            for name, start in commands.items():
                peer = start()
                peer.initialize()
                started = time.perf_counter()
                pages, size = peer.list_tools()
                runs[name]["first"].append((time.perf_counter() - started) * 1000)
                samples = []
                for _ in range(warm_lists):
                    started = time.perf_counter()
                    peer.list_tools()
                    samples.append((time.perf_counter() - started) * 1000)
                runs[name]["warm"].append(statistics.median(samples))
                runs[name]["pages"], runs[name]["bytes"] = pages, size
                peer.close()
        result = {
            name: {"first": statistics.median(run["first"]), "warm": statistics.median(run["warm"]),
                   "pages": run["pages"], "bytes": run["bytes"]}
            for name, run in runs.items()
        }
        result["visible"] = visible
        return result
    finally:
        home.close()


def cold_start(junction, venv_python, repetitions):
    """Scenario 4: from starting the process to the initialize answer, and to the first complete
    tools/list, in ms. Junction's home has discovered its server before (its catalog is stored);
    the daemon is running (`junction stdio` starts only itself)."""
    home = Home(junction)
    home.start_daemon()
    proxy_env = dict(os.environ, **FASTMCP_ENV)
    commands = {
        "direct": (server_command(), None),
        "embedded": (home.embedded(), home.env),
        "daemon": (home.through_daemon(), home.env),
        "fastmcp": (proxy_command(venv_python, home.proxy_config()), proxy_env),
    }
    try:
        warm = ProcessPeer(home.through_daemon(), env=home.env)
        warm.initialize()
        warm.tool_names()
        warm.close()
        runs = {name: {"initialize": [], "tools": [], "rss": []} for name in commands}
        for _ in range(repetitions):
            for name, (command, env) in commands.items():
                started = time.perf_counter()
                peer = ProcessPeer(command, env=env)
                peer.initialize()
                runs[name]["initialize"].append((time.perf_counter() - started) * 1000)
                peer.list_tools()
                runs[name]["tools"].append((time.perf_counter() - started) * 1000)
                time.sleep(0.2)
                runs[name]["rss"].append(rss_kib(peer.pid))
                peer.close()
        return {name: {key: statistics.median(values) for key, values in run.items()} for name, run in runs.items()}
    finally:
        home.close()


def memory(junction, sessions, total_calls, checkpoints):
    """Scenario 5: the daemon's RSS (MiB) idle, with `sessions` concurrent sessions, after they
    left, and after every checkpoint of `total_calls` calls (flat means no growth)."""
    home = Home(junction)
    daemon = home.start_daemon()
    result = {}
    try:
        time.sleep(1)
        result["idle"] = rss_kib(daemon.pid) / 1024
        first = SocketPeer(home.socket_path, home.version)
        first.initialize()
        tool = next(name for name in first.tool_names() if name.endswith("echo"))
        first.call(tool, 0)
        time.sleep(0.5)
        result["idle, server started"] = rss_kib(daemon.pid) / 1024
        peers = []
        for _ in range(sessions):
            peer = SocketPeer(home.socket_path, home.version)
            peer.initialize()
            peer.list_tools()
            peer.call(tool, 0)
            peers.append(peer)
        time.sleep(0.5)
        result[f"{sessions} sessions"] = rss_kib(daemon.pid) / 1024
        for peer in peers:
            peer.close()
        time.sleep(1)
        result[f"after {sessions} sessions left"] = rss_kib(daemon.pid) / 1024
        done, growth = 0, []
        for checkpoint in checkpoints:
            while done < checkpoint:
                batch = min(10_000, checkpoint - done)
                first.pipelined(tool, batch)
                done += batch
            time.sleep(0.5)
            growth.append((checkpoint, rss_kib(daemon.pid) / 1024))
        result["calls"] = growth
        first.close()
        return result
    finally:
        home.close()


def run_swift(binary, *arguments):
    return subprocess.run([binary, *arguments], check=True, capture_output=True, text=True).stdout
