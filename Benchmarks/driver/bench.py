"""Junction's benchmarks, every contender side by side in one run: prints markdown and, unless
--no-write, writes it to docs/benchmarks.md. scripts/bench builds the binaries and runs this with
the benchmark venv's python (FastMCP is a contender).

Usage: python bench.py --bin RELEASE_BIN_DIR [--quick] [--only SCENARIO,...] [--no-write]
                       [--baseline OLD_JUNCTION [--baseline-ref REF]]
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import remote
import report
import scenarios

ROOT = Path(__file__).resolve().parents[2]

FULL = {
    "calls": {"calls_per_run": 2000, "repetitions": 5, "pipelined_calls": 20_000, "budget": 20},
    "tools_list": {"servers": 50, "tools": 100, "repetitions": 3, "warm_lists": 5},
    "cold_start": {"repetitions": 9},
    "memory": {"sessions": 100, "total_calls": 100_000, "checkpoints": [10_000, 50_000, 100_000]},
    "threads": {"sessions": 100},
    "remote": {"calls_per_run": 1000, "repetitions": 5, "pipelined_calls": 5_000, "budget": 20},
}
QUICK = {
    "calls": {"calls_per_run": 500, "repetitions": 3, "pipelined_calls": 5_000, "budget": 5},
    "tools_list": {"servers": 50, "tools": 100, "repetitions": 1, "warm_lists": 5},
    "cold_start": {"repetitions": 3},
    "memory": {"sessions": 100, "total_calls": 20_000, "checkpoints": [5_000, 20_000]},
    "threads": {"sessions": 100},
    "remote": {"calls_per_run": 300, "repetitions": 3, "pipelined_calls": 2_000, "budget": 5},
}
SCENARIOS = ["calls", "tools_list", "routing", "cold_start", "memory", "threads", "audit", "remote"]


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
            memory = f" · {kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()
    return {
        "cpu": f"{model} · {os.cpu_count()} cores{memory}",
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "swift": swift[0] if swift else "swift ?",
        "python": f"Python {platform.python_version()}",
        "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="the release build's bin directory")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--json", help="also write the raw numbers to this file")
    parser.add_argument(
        "--baseline",
        help="an older junction binary (scripts/bench --baseline REF builds one): it runs beside this one in calls, "
        "tools_list, memory and threads, and each figure is reported beside its figure from before",
    )
    parser.add_argument("--baseline-ref", help="what the baseline binary was built from, for the report")
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    chosen = args.only.split(",") if args.only else SCENARIOS
    junction = os.path.join(args.bin, "junction")
    venv_python = sys.executable
    started = time.time()
    results = {"machine": machine(), "quick": args.quick, "settings": settings}
    if args.baseline:
        results["baseline"] = args.baseline_ref or args.baseline

    def step(name, function):
        if name not in chosen:
            return
        print(f"== {name}", file=sys.stderr, flush=True)
        began = time.time()
        results[name] = function()
        print(f"   {time.time() - began:.0f} s", file=sys.stderr, flush=True)

    step("calls", lambda: scenarios.calls(junction, venv_python, baseline=args.baseline, **settings["calls"]))
    step("tools_list", lambda: scenarios.tools_list(junction, venv_python, baseline=args.baseline,
                                                    **settings["tools_list"]))
    quick = ["--quick"] if args.quick else []
    step("routing", lambda: scenarios.run_swift(os.path.join(args.bin, "RoutingBench"), *quick))
    step("cold_start", lambda: scenarios.cold_start(junction, venv_python, **settings["cold_start"]))
    step("memory", lambda: scenarios.memory(junction, baseline=args.baseline, **settings["memory"]))
    step("threads", lambda: scenarios.threads(junction, baseline=args.baseline, **settings["threads"]))
    step("audit", lambda: json.loads(scenarios.run_swift(os.path.join(args.bin, "AuditBench"), *quick)))
    step("remote", lambda: remote.remote(junction, venv_python, **settings["remote"]))
    results["duration_sec"] = time.time() - started
    results["command"] = "scripts/bench" + (" --quick" if args.quick else "")
    if args.baseline:
        results["command"] += f" --baseline {args.baseline_ref or args.baseline}"
    if args.only:
        results["command"] += f" --only {args.only}"

    markdown = report.render(results)
    print(markdown)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=2)
    if not args.no_write and not args.only:
        (ROOT / "docs" / "benchmarks.md").write_text(markdown)
        print("wrote docs/benchmarks.md", file=sys.stderr)
    elif not args.no_write and report.SECTIONS.issuperset(chosen):
        # Only scenarios with a section of their own: replace those sections, keep the rest.
        page = ROOT / "docs" / "benchmarks.md"
        page.write_text(report.splice(page.read_text(), results, chosen))
        print(f"updated {', '.join(chosen)} in docs/benchmarks.md", file=sys.stderr)


if __name__ == "__main__":
    main()
