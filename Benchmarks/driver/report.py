"""Renders the numbers of bench.py as the markdown of docs/benchmarks.md."""
import re
import time

LABELS = {
    "direct": "direct (the server itself)",
    "embedded": "`junction stdio --embedded`",
    "daemon": "`junction stdio` → daemon",
    "http": "daemon's `/mcp` (streamable HTTP)",
    "fastmcp": "FastMCP proxy (`create_proxy`)",
}


def label(name, labels=None):
    """A contender's label; "NAME (before)" is the baseline binary's NAME."""
    labels = labels or LABELS
    if name.endswith(" (before)"):
        return labels[name[: -len(" (before)")]] + " (before)"
    return labels[name]


def us(value):
    return f"{value:,.0f} µs"


def ms(value):
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def verdict(met):
    return "met" if met else "**missed**"


def aims(results):
    """Rows of (aim, measured, verdict) for what this run measured."""
    rows = []
    calls = results.get("calls")
    if calls:
        direct = calls["direct"]
        for name, limit in (("embedded", 40), ("daemon", 80), ("http", 150)):
            overhead = calls[name]["p50"] - direct["p50"]
            rows.append((f"tools/call overhead over direct, p50, {name} ≤ {limit} µs", f"{overhead:+,.0f} µs",
                         verdict(overhead <= limit)))
        for name in ("embedded", "daemon"):
            share = calls[name]["throughput"] / direct["throughput"]
            rows.append((f"pipelined throughput, {name} ≥ 50% of direct", f"{share:.0%}", verdict(share >= 0.5)))
        if "http" in calls and "fastmcp" in calls:
            ratio = calls["http"]["throughput"] / calls["fastmcp"]["throughput"]
            rows.append(("calls/s over `/mcp` ≥ 10× FastMCP's proxy", f"{ratio:,.1f}×", verdict(ratio >= 10)))
    listing = results.get("tools_list")
    if listing:
        for name in ("embedded", "daemon"):
            warm = listing[name]["warm"]
            rows.append((f"tools/list of {listing['visible']:,} tools warm, {name} ≤ 5 ms", ms(warm),
                         verdict(warm <= 5)))
    cold = results.get("cold_start")
    if cold:
        for name in ("embedded", "daemon"):
            value = cold[name]["initialize"]
            rows.append((f"cold start to initialize, {name} ≤ 150 ms", ms(value), verdict(value <= 150)))
    memory = results.get("memory")
    if memory:
        rows.append(("daemon RSS idle ≤ 40 MB", f"{memory['idle']:.1f} MiB", verdict(memory["idle"] <= 40)))
        (first_calls, first), (last_calls, last) = memory["calls"][0], memory["calls"][-1]
        growth = last - first
        rows.append((f"daemon RSS flat after {last_calls:,} calls",
                     f"{growth:+.1f} MiB from call {first_calls:,} to {last_calls:,}", verdict(growth <= 2)))
    threads = results.get("threads")
    if threads:
        sessions = results["settings"]["threads"]["sessions"]
        one, many = threads["1 session"], threads[f"{sessions} sessions"]
        rows.append((f"daemon threads with {sessions} sessions = with 1 session ± 4", f"{one} → {many}",
                     verdict(abs(many - one) <= 4)))
    audit = results.get("audit")
    if audit:
        rate = audit["records_per_second"]
        rows.append(("audit ≥ 20,000 records/s", f"{rate:,.0f} records/s", verdict(rate >= 20_000)))
    rows += remote_aims(results)
    return rows


def render(results):
    machine = results["machine"]
    out = ["# Junction benchmarks", ""]
    out.append(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {machine['cpu']} · {machine['os']} · "
               f"{machine['swift']} · {machine['python']} · load average at start {machine['load']}")
    out.append("")
    out.append(f"Command: `{results['command']}` (release build; {results['duration_sec'] / 60:.0f} minutes). "
               "Every scenario runs its contenders in the same run, alternating, over several repetitions, "
               "and reports medians. The machine is shared: compare rows of one run, not runs with each other.")
    out += ["", HOW_TO_RUN]
    out += ["", "## Aims", "", "| aim | measured | |", "|---|---:|---|"]
    out += [f"| {aim} | {measured} | {status} |" for aim, measured, status in aims(results)]
    out += before_and_after(results)

    calls = results.get("calls")
    if calls:
        setting = results["settings"]["calls"]
        direct = calls["direct"]
        out += ["", "## 1. tools/call: round trip and throughput", "",
                "| path | p50 | p99 | p50 over direct | pipelined calls/s | of direct |",
                "|---|---:|---:|---:|---:|---:|"]
        for name, row in calls.items():
            out.append(f"| {label(name)} | {us(row['p50'])} | {us(row['p99'])} | {row['p50'] - direct['p50']:+,.0f} µs "
                       f"| {row['throughput']:,.0f} | {row['throughput'] / direct['throughput']:.0%} |")
        out += ["", f"{setting['repetitions']} alternating repetitions of {setting['calls_per_run']:,} sequential "
                f"calls (at most {setting['budget']} s each) and up to {setting['pipelined_calls']:,} pipelined calls "
                "(128 in flight, written 32 at a time; fewer for a slow contender) per contender; medians of the per-repetition figures. "
                "The downstream is `Benchmarks/driver/minimal_server.py` (stdlib Python, one `echo` tool), "
                "the client a Python driver; everything on the same machine. `/mcp` is called over 16 keep-alive "
                "connections for the pipelined figure (HTTP/1.1 answers one request at a time per connection), "
                "one for the round trips; the answers are JSON."]

    listing = results.get("tools_list")
    if listing:
        setting = results["settings"]["tools_list"]
        out += ["", f"## 2. tools/list: {setting['servers']} servers × {setting['tools']} tools", "",
                "| path | a new session's first list | warm (same session again) | pages | bytes |",
                "|---|---:|---:|---:|---:|"]
        for name, row in listing.items():
            if name == "visible":
                continue
            text = f"direct (one server with {setting['servers'] * setting['tools']:,} tools)" \
                if name == "direct" else label(name)
            out.append(f"| {text} | {ms(row['first'])} | {ms(row['warm'])} | {row['pages']} | {row['bytes']:,} |")
        out += ["", f"A complete listing, every page, until the answer arrives in full (answers are not parsed). "
                f"{listing['visible']:,} tools visible. Junction's catalog was discovered once before (stored), and "
                "the daemon's servers run. The first list of an embedded session is served from the stored catalog "
                f"while its servers start in the background. {setting['repetitions']} repetitions, "
                f"{setting['warm_lists']} warm lists each."]

    if "routing" in results:
        out += ["", "## 3. Route resolution (`Benchmarks/RoutingBench`)", "", results["routing"].strip()]

    cold = results.get("cold_start")
    if cold:
        setting = results["settings"]["cold_start"]
        out += ["", "## 4. Cold start", "",
                "| path | start → initialize answer | start → first complete tools/list | RSS after |",
                "|---|---:|---:|---:|"]
        for name in ("direct", "embedded", "daemon", "fastmcp"):
            row = cold[name]
            out.append(f"| {LABELS[name]} | {ms(row['initialize'])} | {ms(row['tools'])} | {row['rss'] / 1024:.1f} MiB |")
        out += ["", f"From spawning the process to the answer; {setting['repetitions']} alternating repetitions. "
                "Junction's home knows its one server (catalog stored); for `junction stdio` the daemon is already "
                "running (RSS is then the thin stdio process's own)."]

    memory = results.get("memory")
    if memory:
        before = memory.get("before")
        rows = [(key, value) for key, value in memory.items() if key not in ("calls", "before")]
        rows += [(f"after {count:,} calls", value) for count, value in memory["calls"]]
        if before:
            old = {key: value for key, value in before.items() if key != "calls"}
            old.update({f"after {count:,} calls": value for count, value in before["calls"]})
            out += ["", "## 5. Daemon memory (VmRSS)", "", "| moment | RSS | before | now / before |",
                    "|---|---:|---:|---:|"]
            out += [f"| {key} | {value:.1f} MiB | {old[key]:.1f} MiB | {value / old[key]:.2f}× |" for key, value in rows]
        else:
            out += ["", "## 5. Daemon memory (VmRSS)", "", "| moment | RSS |", "|---|---:|"]
            out += [f"| {key} | {value:.1f} MiB |" for key, value in rows]
        out += ["", "Sessions are opened on the daemon's socket as `junction stdio` opens them; each initializes, "
                "lists its tools and makes one call, and all stay open together. Calls are pipelined on one session."
                + (" The baseline's daemon runs beside this one; every step is taken on both in turn." if before else "")]

    threads = results.get("threads")
    if threads:
        before = threads.get("before")
        rows = [(key, value) for key, value in threads.items() if key != "before"]
        if before:
            out += ["", "## Daemon threads", "", "| moment | threads | before |", "|---|---:|---:|"]
            out += [f"| {key} | {value} | {before[key]} |" for key, value in rows]
        else:
            out += ["", "## Daemon threads", "", "| moment | threads |", "|---|---:|"]
            out += [f"| {key} | {value} |" for key, value in rows]
        out += ["", "The daemon's thread count (`/proc/PID/status`), idle, with `junction stdio` processes connected "
                "at once (each initialized and one call made), and a second after they left."]

    audit = results.get("audit")
    if audit:
        out += ["", "## 6. Audit (`Benchmarks/AuditBench`)", "", "| measure | value |", "|---|---:|",
                f"| records written per second, sustained | {audit['records_per_second']:,.0f} |",
                f"| queuing one record (what a call pays), p50 | {audit['record_p50_ns']:,.0f} ns |",
                f"| queuing one record, p99 | {audit['record_p99_ns']:,.0f} ns |",
                f"| queuing one record, max | {audit['record_max_ns'] / 1000:,.0f} µs |",
                f"| records dropped | {audit['dropped']:.0f} |", "",
                f"{audit['records']:,.0f} records per run, {audit['runs']:.0f} runs, median: a producer thread builds "
                "each record, redacts its arguments (as the engine does, off the call's path) and queues it; the "
                "batched writer commits to a real SQLite file (WAL) meanwhile. Calls never wait on the audit: "
                "`record()` only appends to an in-memory queue under a lock, whatever the database is doing."]
    out += remote_section(results)
    out.append("")
    return "\n".join(out)


HOW_TO_RUN = (
    "How to run: `scripts/bench` (release build; `--quick` for a short run, `--only calls,memory` for some "
    "scenarios, `--no-write` to leave this page alone). `scripts/bench --baseline [REF]` also builds `junction` "
    "from REF (default `main`) in a git worktree under `.build-baseline/` and runs it beside this build in the "
    "calls, tools/list, memory and threads scenarios, alternating: every figure is then shown beside the "
    "figure from before, from the same run.")


def before_and_after(results):
    """The "before and after" table: each figure of the baseline binary beside this build's."""
    if "baseline" not in results:
        return []
    rows = []

    def row(what, old, new, unit):
        ratio = f"{new / old:.2f}×" if old else "-"
        rows.append(f"| {what} | {unit(old)} | {unit(new)} | {ratio} |")

    calls = results.get("calls")
    if calls and "embedded (before)" in calls:
        direct = calls["direct"]["p50"]
        for name in ("embedded", "daemon"):
            old, new = calls[f"{name} (before)"], calls[name]
            row(f"tools/call p50 over direct, {name}", old["p50"] - direct, new["p50"] - direct,
                lambda value: f"{value:+,.0f} µs")
            row(f"pipelined calls/s, {name}", old["throughput"], new["throughput"], lambda value: f"{value:,.0f}")
    listing = results.get("tools_list")
    if listing and "embedded (before)" in listing:
        for name in ("embedded", "daemon"):
            row(f"tools/list of {listing['visible']:,} tools warm, {name}", listing[f"{name} (before)"]["warm"],
                listing[name]["warm"], ms)
    memory = results.get("memory")
    if memory and "before" in memory:
        before = memory["before"]
        mib = lambda value: f"{value:.1f} MiB"  # noqa: E731
        row("daemon RSS idle", before["idle"], memory["idle"], mib)
        (count, last), (_, old_last) = memory["calls"][-1], before["calls"][-1]
        row(f"daemon RSS after {count:,} calls", old_last, last, mib)
        grow = lambda figures: figures["calls"][-1][1] - figures["calls"][0][1]  # noqa: E731
        rows.append(f"| daemon RSS growth over the calls | {grow(before):+.1f} MiB | {grow(memory):+.1f} MiB | - |")
    threads = results.get("threads")
    if threads and "before" in threads:
        sessions = results["settings"]["threads"]["sessions"]
        for key in ("1 session", f"{sessions} sessions"):
            row(f"daemon threads, {key}", threads["before"][key], threads[key], str)
    return ["", f"## Before and after (baseline: {results['baseline']})", "",
            "| figure | before | now | now / before |", "|---|---:|---:|---:|", *rows]


# Scenarios whose section `bench.py --only` can replace in place (between markers), the rest of
# the page kept as it is.
SECTIONS = {"remote"}
REMOTE_LABELS = {
    "direct": "direct: HTTP to the server (keep-alive, POST, JSON/SSE answer)",
    "embedded": "`junction stdio --embedded` → HTTP (`server add --url`)",
    "daemon": "`junction stdio` → daemon → HTTP",
    "fastmcp": "FastMCP proxy of the URL (`create_proxy`, stdio) → HTTP",
}


def remote_aims(results):
    remote = results.get("remote")
    if not remote:
        return []
    direct, rows = remote["direct"], []
    for name in ("embedded", "daemon"):
        overhead = remote[name]["p50"] - direct["p50"]
        rows.append((f"remote server: tools/call p50 over direct HTTP, {name} ≤ 150 µs", f"{overhead:+,.0f} µs",
                     verdict(overhead <= 150)))
        share = remote[name]["throughput"] / direct["throughput"]
        rows.append((f"remote server: pipelined calls/s, {name} ≥ 80% of direct", f"{share:.0%}",
                     verdict(share >= 0.8)))
    return rows


def remote_section(results):
    remote = results.get("remote")
    if not remote:
        return []
    setting, direct = results["settings"]["remote"], remote["direct"]
    machine = results["machine"]
    out = ["", "<!-- bench:remote -->", "## 7. Remote server: tools/call over streamable HTTP", "",
           f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · command `{results['command']}` · "
           f"load average at start {machine['load']}", "",
           "| path | p50 | p99 | p50 over direct | pipelined calls/s | of direct |",
           "|---|---:|---:|---:|---:|---:|"]
    for name, row in remote.items():
        out.append(f"| {REMOTE_LABELS[name]} | {us(row['p50'])} | {us(row['p99'])} | "
                   f"{row['p50'] - direct['p50']:+,.0f} µs | {row['throughput']:,.0f} | "
                   f"{row['throughput'] / direct['throughput']:.0%} |")
    out += ["", "| aim | measured | |", "|---|---:|---|"]
    out += [f"| {aim} | {measured} | {status} |" for aim, measured, status in remote_aims(results)]
    out += ["", "The server is `Benchmarks/driver/http_server.py` (FastMCP, one `echo` tool, streamable HTTP on "
            "127.0.0.1). Every path is driven by the same thin client of `Benchmarks/driver/peers.py` (requests "
            "encoded by hand, answers not parsed): over HTTP for the direct path (a keep-alive connection; an SSE answer "
            "is returned at its event and the stream's end drained off the timed path, as a pooled client does), over "
            "stdio for the gateways, which therefore also pay stdio framing and a second process hop. FastMCP's proxy "
            "opens a new session to the URL per call (its default isolation). "
            f"{setting['repetitions']} alternating repetitions of {setting['calls_per_run']:,} sequential calls "
            f"(at most {setting['budget']} s each) and up to {setting['pipelined_calls']:,} pipelined calls with "
            "16 in flight (16 keep-alive connections for the direct path, a window of 16 on stdio); medians of "
            "the per-repetition figures. Everything on the same shared 2-core machine.", "<!-- /bench:remote -->"]
    return out


def splice(page, results, chosen):
    """`page` with the sections of `chosen` (all in SECTIONS) replaced by this run's, or appended."""
    for name in chosen:
        section = "\n".join(globals()[f"{name}_section"](results)[1:])
        pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.S)
        if pattern.search(page):
            page = pattern.sub(lambda _: section, page)
        else:
            page = page.rstrip("\n") + "\n\n" + section + "\n"
    return page
