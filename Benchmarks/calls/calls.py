"""tools/call round trips: the minimal server called directly, through `junction stdio --embedded`,
and through `junction stdio` and the daemon (`junction serve`), measured side by side in one run (alternating, several repetitions), reported as medians.

Usage: python3 calls.py JUNCTION_BIN [--calls N] [--repetitions R]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER = [sys.executable, str(HERE / "minimal_server.py")]


class Peer:
    def __init__(self, command, env=None):
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, bufsize=0
        )
        self.next_id = 0

    def request(self, method, params=None):
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("peer closed its output")
            reply = json.loads(line)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return reply["result"]

    def initialize(self):
        self.request(
            "initialize",
            {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
        )
        self.process.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


def measure(peer, tool, calls):
    samples = []
    for index in range(calls):
        started = time.perf_counter_ns()
        peer.request("tools/call", {"name": tool, "arguments": {"n": index, "text": "hello"}})
        samples.append((time.perf_counter_ns() - started) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("junction")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="junction-bench-")
    env = dict(os.environ, JUNCTION_HOME=home)
    subprocess.run([args.junction, "server", "add", "mini", "--", *SERVER], env=env, check=True, capture_output=True)
    # Results of `echo` must not come from the cache: turn read-only caching off.
    subprocess.run([args.junction, "settings", "set", "read_only_cache_ttl_sec", "0"], env=env, check=True,
                   capture_output=True)

    direct = Peer(SERVER)
    direct.initialize()
    gateway = Peer([args.junction, "stdio", "--embedded"], env=env)
    gateway.initialize()
    gateway.request("tools/list")
    daemon = subprocess.Popen([args.junction, "serve", "--port", "0"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not os.path.exists(os.path.join(home, "daemon.json")):
        if time.monotonic() > deadline or daemon.poll() is not None:
            raise RuntimeError("junction serve did not start")
        time.sleep(0.05)
    through_daemon = Peer([args.junction, "stdio"], env=env)
    through_daemon.initialize()
    through_daemon.request("tools/list")
    warmup = max(100, args.calls // 10)
    measure(direct, "echo", warmup)
    measure(gateway, "mini__echo", warmup)
    measure(through_daemon, "mini__echo", warmup)

    results = {"direct": [], "junction stdio --embedded": [], "junction stdio → daemon": []}
    for _ in range(args.repetitions):
        results["direct"].append(measure(direct, "echo", args.calls))
        results["junction stdio --embedded"].append(measure(gateway, "mini__echo", args.calls))
        results["junction stdio → daemon"].append(measure(through_daemon, "mini__echo", args.calls))
    direct.close()
    gateway.close()
    through_daemon.close()
    daemon.terminate()
    daemon.wait(timeout=30)

    base_p50 = statistics.median(p50 for p50, _ in results["direct"])
    print(f"| path | p50 | p99 | p50 overhead |")
    print(f"|---|---:|---:|---:|")
    for name, runs in results.items():
        p50 = statistics.median(p50 for p50, _ in runs)
        p99 = statistics.median(p99 for _, p99 in runs)
        print(f"| {name} | {p50:.0f} µs | {p99:.0f} µs | {p50 - base_p50:+.0f} µs |")
    print()
    print(f"({args.repetitions} alternating repetitions of {args.calls} sequential calls each; medians of the "
          f"per-repetition p50 and p99; client and servers in Python on the same machine)")


if __name__ == "__main__":
    main()
