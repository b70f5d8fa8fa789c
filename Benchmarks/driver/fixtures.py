"""Throwaway Junction homes, the daemon, and the contenders' commands, for the benchmarks."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER_SCRIPT = str(HERE / "minimal_server.py")
PROXY_SCRIPT = str(HERE / "fastmcp_proxy.py")


def server_command(tools=1):
    command = [sys.executable, SERVER_SCRIPT]
    return command + ["--tools", str(tools)] if tools > 1 else command


class Home:
    """A JUNCTION_HOME of its own with `servers` minimal servers of `tools` tools each: one named
    `mini` (tools `mini__echo` …), or `s00` … `sNN` when there are several."""

    def __init__(self, junction, servers=1, tools=1):
        self.junction = junction
        self.path = tempfile.mkdtemp(prefix="junction-bench-")
        self.env = dict(os.environ, JUNCTION_HOME=self.path)
        self.daemon = None
        self.names = ["mini"] if servers == 1 else [f"s{index:02d}" for index in range(servers)]
        for name in self.names:
            self.cli("server", "add", name, "--", *server_command(tools))
        # Results of `echo` must not come from the cache: turn read-only caching off.
        self.cli("settings", "set", "read_only_cache_ttl_sec", "0")
        self.version = self.cli("--version").strip()

    def cli(self, *arguments):
        done = subprocess.run([self.junction, *arguments], env=self.env, check=True, capture_output=True, text=True)
        return done.stdout

    def embedded(self):
        return [self.junction, "stdio", "--embedded"]

    def through_daemon(self):
        return [self.junction, "stdio"]

    @property
    def socket_path(self):
        return os.path.join(self.path, "junction.sock")

    def start_daemon(self):
        """Starts `junction serve` and waits until its socket answers."""
        self.daemon = subprocess.Popen(
            [self.junction, "serve", "--port", "0"], env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(self.path, "daemon.json")):
            if time.monotonic() > deadline or self.daemon.poll() is not None:
                raise RuntimeError("junction serve did not start")
            time.sleep(0.02)
        return self.daemon

    def mcp_url(self):
        """The running daemon's `/mcp`."""
        with open(os.path.join(self.path, "daemon.json")) as file:
            return json.load(file)["url"] + "/mcp"

    def api_key(self):
        with open(os.path.join(self.path, "api-key")) as file:
            return file.read().strip()

    def stop_daemon(self):
        if self.daemon is None:
            return
        self.daemon.terminate()
        try:
            self.daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait()
        self.daemon = None

    def proxy_config(self, tools=1):
        """An mcpServers file for FastMCP's proxy with the same servers."""
        servers = {}
        for name in self.names:
            command = server_command(tools)
            servers[name] = {"command": command[0], "args": command[1:]}
        path = os.path.join(self.path, "fastmcp.json")
        with open(path, "w") as file:
            json.dump({"mcpServers": servers}, file)
        return path

    def close(self):
        self.stop_daemon()
        shutil.rmtree(self.path, ignore_errors=True)


def proxy_command(venv_python, config_path):
    return [venv_python, PROXY_SCRIPT, config_path]
