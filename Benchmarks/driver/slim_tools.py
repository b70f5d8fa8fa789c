"""What token-saving mode (`slim_tools`) saves: the size of `tools/list` as a client gets it from
`junction stdio --embedded` with a 500-tool catalog, every tool listed and slim, and what one
`junction__search_tools` answer costs instead. Tokens are estimated as bytes / 4 (the usual rule
of thumb for English and JSON with GPT- and Claude-style tokenisers). Stdlib only.

Usage: python3 Benchmarks/driver/slim_tools.py [--bin .build/debug/junction] [--tools 500]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def tokens(size: int) -> int:
    return round(size / 4)


class Client:
    """`junction stdio --embedded` spoken to line by line."""

    def __init__(self, binary: str, env: dict[str, str], cwd: str) -> None:
        self.proc = subprocess.Popen(
            [binary, "stdio", "--embedded"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env, cwd=cwd, text=True,
        )  # fmt: skip
        self.next_id = 0
        self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                    "clientInfo": {"name": "slim-bench", "version": "1"}})  # fmt: skip
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: dict) -> tuple[dict, int]:
        """The result and the size in bytes of the response line."""
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit(f"junction ended while answering {method}")
            message = json.loads(line)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise SystemExit(f"{method}: {message['error']}")
                return message["result"], len(line.encode())

    def list_tools(self) -> tuple[list, int]:
        tools, size, cursor = [], 0, None
        while True:
            result, line = self.request("tools/list", {"cursor": cursor} if cursor else {})
            tools += result["tools"]
            size += line
            cursor = result.get("nextCursor")
            if not cursor:
                return tools, size

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/debug/junction", help="the junction binary")
    parser.add_argument("--tools", type=int, default=500, help="tools in the catalog")
    args = parser.parse_args()
    binary = str(Path(args.bin).resolve())
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ) | {"JUNCTION_HOME": str(Path(work) / "home")}

        def cli(*words: str) -> None:
            subprocess.run([binary, *words], env=env, cwd=work, check=True, capture_output=True)

        cli("server", "add", "bench", "--", sys.executable, str(HERE / "minimal_server.py"), "--tools", str(args.tools))
        rows = []
        for slim in (False, True):
            cli("settings", "set", "slim_tools", "true" if slim else "false")
            client = Client(binary, env, work)
            try:
                listed, size = client.list_tools()
                rows.append(("slim" if slim else "every tool", len(listed), size))
                if slim:
                    query = {"name": "junction__search_tools", "arguments": {"query": "file limit", "limit": 10}}
                    found, search_size = client.request("tools/call", query)
                    assert len(found["structuredContent"]["tools"]) == 10, found
            finally:
                client.close()
    full, slim = rows[0][2], rows[1][2]
    print(f"tools/list with {args.tools} tools, as a client gets it (tokens ≈ bytes / 4):\n")
    print("| mode | tools listed | bytes | ≈ tokens |")
    print("| --- | ---: | ---: | ---: |")
    for mode, count, size in rows:
        print(f"| {mode} | {count} | {size:,} | {tokens(size):,} |")
    print(f"| one junction__search_tools answer (10 tools) | 10 | {search_size:,} | {tokens(search_size):,} |")
    print(f"\nslim mode saves {full - slim:,} bytes (≈ {tokens(full - slim):,} tokens, "
          f"{100 * (full - slim) / full:.1f} %) of every conversation's tool list.")  # fmt: skip


if __name__ == "__main__":
    main()
