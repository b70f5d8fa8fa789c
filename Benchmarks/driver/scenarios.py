"""The benchmark scenarios that need processes: each returns plain numbers for report.py.

Every scenario runs its contenders side by side in one run, alternating, several repetitions, and
keeps the median of the per-repetition figures."""
import os
import statistics
import subprocess
import time

from fixtures import Home, proxy_command, server_command
from peers import HTTPPeer, ProcessPeer, SocketPeer, rss_kib, thread_count

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


def tools_list(junction, venv_python, servers, tools, repetitions, warm_lists, baseline=None):
    """Scenario 2: a complete tools/list (every page) of `servers` × `tools` tools, warm (the same
    session again) and as a new session's first request, in ms; one server listing as many tools
    directly is the baseline. With `baseline` (an older junction binary) its embedded and daemon
    paths run too, alternating with the others."""
    homes = [Home(junction, servers=servers, tools=tools)]
    home = homes[0]
    proxy_env = dict(os.environ, **FASTMCP_ENV)
    proxy_config = home.proxy_config(tools)
    commands = {
        "direct": lambda: ProcessPeer(server_command(servers * tools)),
        "embedded": lambda: ProcessPeer(home.embedded(), env=home.env),
        "daemon": lambda: ProcessPeer(home.through_daemon(), env=home.env),
        "fastmcp": lambda: ProcessPeer(proxy_command(venv_python, proxy_config), env=proxy_env),
    }
    if baseline:
        before = Home(baseline, servers=servers, tools=tools)
        homes.append(before)
        commands["embedded (before)"] = lambda: ProcessPeer(before.embedded(), env=before.env)
        commands["daemon (before)"] = lambda: ProcessPeer(before.through_daemon(), env=before.env)
    try:
        visible = None
        for each in homes:
            each.start_daemon()
            # Discovery once, so the catalog is stored and the daemon's servers run, as in daily use.
            with_count = ProcessPeer(each.through_daemon(), env=each.env)
            with_count.initialize()
            visible = visible or len(with_count.tool_names())
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
        for each in homes:
            each.close()


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


def memory(junction, sessions, total_calls, checkpoints, baseline=None):
    """Scenario 5: the daemon's RSS (MiB) idle, with `sessions` concurrent sessions, after they
    left, and after every checkpoint of `total_calls` calls (flat means no growth). With
    `baseline` (an older junction binary) its daemon runs beside this one, each step measured on
    both in turn; its figures are under "before"."""
    binaries = {"now": junction, **({"before": baseline} if baseline else {})}
    homes = {name: Home(binary) for name, binary in binaries.items()}
    try:
        daemons = {name: home.start_daemon() for name, home in homes.items()}
        results = {name: {} for name in binaries}

        def measure(key):
            for name, daemon in daemons.items():
                results[name][key] = rss_kib(daemon.pid) / 1024

        time.sleep(1)
        measure("idle")
        firsts, tools = {}, {}
        for name, home in homes.items():
            firsts[name] = SocketPeer(home.socket_path, home.version)
            firsts[name].initialize()
            tools[name] = next(tool for tool in firsts[name].tool_names() if tool.endswith("echo"))
            firsts[name].call(tools[name], 0)
        time.sleep(0.5)
        measure("idle, server started")
        for name, home in homes.items():
            peers = []
            for _ in range(sessions):
                peer = SocketPeer(home.socket_path, home.version)
                peer.initialize()
                peer.list_tools()
                peer.call(tools[name], 0)
                peers.append(peer)
            time.sleep(0.5)
            results[name][f"{sessions} sessions"] = rss_kib(daemons[name].pid) / 1024
            for peer in peers:
                peer.close()
        time.sleep(1)
        measure(f"after {sessions} sessions left")
        done = 0
        for name in binaries:
            results[name]["calls"] = []
        for checkpoint in checkpoints:
            batch = checkpoint - done
            for name in binaries:
                sent = 0
                while sent < batch:
                    step = min(10_000, batch - sent)
                    firsts[name].pipelined(tools[name], step)
                    sent += step
            done = checkpoint
            time.sleep(0.5)
            for name, daemon in daemons.items():
                results[name]["calls"].append((checkpoint, rss_kib(daemon.pid) / 1024))
        for first in firsts.values():
            first.close()
        result = results["now"]
        if baseline:
            result["before"] = results["before"]
        return result
    finally:
        for home in homes.values():
            home.close()


def threads(junction, sessions, baseline=None):
    """Scenario 6: the daemon's thread count idle, with one `junction stdio` session and with
    `sessions` of them open at once (each initialized, one call made), and after they left. With
    `baseline` its daemon is measured the same way, in turn; its figures are under "before"."""
    binaries = {"now": junction, **({"before": baseline} if baseline else {})}
    homes = {name: Home(binary) for name, binary in binaries.items()}
    results = {name: {} for name in binaries}
    try:
        for name, home in homes.items():
            daemon = home.start_daemon()
            time.sleep(1)
            results[name]["idle"] = thread_count(daemon.pid)
            peers = []
            try:
                for count in (1, sessions):
                    while len(peers) < count:
                        peer = ProcessPeer(home.through_daemon(), env=home.env)
                        peers.append(peer)
                        peer.initialize()
                        tool = next(tool for tool in peer.tool_names() if tool.endswith("echo"))
                        peer.call(tool, 0)
                    time.sleep(0.5)
                    results[name][f"{count} session" + ("s" if count > 1 else "")] = thread_count(daemon.pid)
            finally:
                for peer in peers:
                    peer.close()
            time.sleep(1)
            results[name][f"after {sessions} sessions left"] = thread_count(daemon.pid)
            home.stop_daemon()
        result = results["now"]
        if baseline:
            result["before"] = results["before"]
        return result
    finally:
        for home in homes.values():
            home.close()


def run_swift(binary, *arguments):
    return subprocess.run([binary, *arguments], check=True, capture_output=True, text=True).stdout
