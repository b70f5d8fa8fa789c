"""MCP clients for the benchmarks: a stdio peer (a process we start) and a socket peer (a session
on the Junction daemon's unix socket, as `junction stdio` opens it). Requests are encoded by hand
and big answers are not parsed, so the client costs little next to what it measures."""
import json
import os
import socket
import subprocess
import threading
import time

PROTOCOL_VERSION = "2025-06-18"


class Peer:
    """One MCP session over a byte stream: `send` writes bytes, `readline` returns one line."""

    def __init__(self, send, readline):
        self.send = send
        self.readline = readline
        self.next_id = 0

    def _next(self):
        self.next_id += 1
        return self.next_id

    @staticmethod
    def encode(request_id, method, params=None):
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        return (json.dumps(message, separators=(",", ":")) + "\n").encode()

    def request_raw(self, method, params=None):
        """Sends a request and returns its answer's line unparsed (notifications are skipped)."""
        request_id = self._next()
        self.send(self.encode(request_id, method, params))
        return self._await(request_id)

    def _await(self, request_id):
        while True:
            line = self.readline()
            if not line:
                raise RuntimeError("the peer closed its output")
            head = line[:200]
            if b'"method"' in head and b'"result"' not in head and b'"error"' not in head:
                continue  # a notification or a request of the server: not our answer
            if len(line) > 65536:
                return line  # a big answer (a tools/list): trust it is ours, do not parse it
            reply = json.loads(line)
            if reply.get("id") == request_id:
                if "error" in reply:
                    raise RuntimeError(f"error answer: {reply['error']}")
                return line

    def request(self, method, params=None):
        return json.loads(self.request_raw(method, params))["result"]

    def initialize(self):
        result = self.request(
            "initialize",
            {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
        )
        self.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        return result

    def list_tools(self):
        """Every page of tools/list; returns (pages, bytes). Cursors are found without parsing."""
        pages, size, cursor = 0, 0, None
        while True:
            line = self.request_raw("tools/list", {"cursor": cursor} if cursor else None)
            pages += 1
            size += len(line)
            at = line.rfind(b'"nextCursor"')
            if at < 0:
                return pages, size
            cursor = json.loads(line)["result"]["nextCursor"]

    def tool_names(self):
        names, cursor = [], None
        while True:
            result = self.request("tools/list", {"cursor": cursor} if cursor else None)
            names += [tool["name"] for tool in result["tools"]]
            cursor = result.get("nextCursor")
            if not cursor:
                return names

    def call(self, tool, index):
        return self.request_raw("tools/call", {"name": tool, "arguments": {"n": index, "text": "hello"}})

    def pipelined(self, tool, total, window=128, batch=32):
        """Calls `tool` `total` times keeping up to `window` calls in flight, written `batch` at a
        time by a writer thread while this thread reads answers. Returns calls per second."""
        first = self.next_id + 1
        self.next_id += total
        requests = [
            self.encode(first + index, "tools/call", {"name": tool, "arguments": {"n": index, "text": "hello"}})
            for index in range(total)
        ]
        room = threading.Semaphore(window)
        failure = []

        def write():
            try:
                for start in range(0, total, batch):
                    chunk = requests[start:start + batch]
                    for _ in chunk:
                        room.acquire()
                    self.send(b"".join(chunk))
            except Exception as error:  # noqa: BLE001 - reported by the reader
                failure.append(error)

        writer = threading.Thread(target=write, daemon=True)
        started = time.perf_counter()
        writer.start()
        answered = 0
        while answered < total:
            line = self.readline()
            if not line:
                raise RuntimeError(f"the peer closed its output after {answered} answers ({failure})")
            if b'"result"' not in line and b'"error"' not in line:
                continue
            if b'"error"' in line[:200] and b'"result"' not in line[:200]:
                raise RuntimeError(f"error answer: {line[:300]!r}")
            answered += 1
            room.release()
        elapsed = time.perf_counter() - started
        writer.join()
        return total / elapsed


class ProcessPeer(Peer):
    """A process speaking MCP on its stdin and stdout."""

    def __init__(self, command, env=None, cwd=None):
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd,
            bufsize=0,
        )
        stdin, stdout = self.process.stdin, self.process.stdout
        reader = os.fdopen(os.dup(stdout.fileno()), "rb", buffering=1 << 16)
        self._reader = reader

        def send(data):
            view = memoryview(data)
            while view:
                written = stdin.write(view)
                view = view[written:]

        super().__init__(send, reader.readline)

    @property
    def pid(self):
        return self.process.pid

    def close(self):
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.close()
        self.process.stdout.close()


class SocketPeer(Peer):
    """An MCP session on the daemon's socket, opened with the hello `junction stdio` sends."""

    def __init__(self, path, version, cwd="/"):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.connect(path)
        reader = self.socket.makefile("rb", buffering=1 << 16)
        self._reader = reader
        hello = {"junction": "hello", "version": version, "cwd": cwd, "pid": os.getpid()}
        self.socket.sendall((json.dumps(hello) + "\n").encode())
        welcome = json.loads(reader.readline())
        if welcome.get("junction") != "welcome":
            raise RuntimeError(f"the daemon refused the session: {welcome}")
        super().__init__(self.socket.sendall, reader.readline)

    def close(self):
        self._reader.close()
        self.socket.close()


def status_field(pid, field):
    """A number of a process's /proc status (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for pid {pid}")


def rss_kib(pid):
    """Resident set size of a process (VmRSS), in KiB."""
    return status_field(pid, "VmRSS")


def thread_count(pid):
    """How many threads a process runs."""
    return status_field(pid, "Threads")


class HTTPPeer(Peer):
    """An MCP session on Junction's `/mcp` (streamable HTTP): one keep-alive connection for
    sequential calls, several for pipelined ones (HTTP/1.1 answers one request at a time per
    connection). Answers come as JSON or as an SSE stream; only the answer is kept."""

    def __init__(self, url, key, connections=16):
        import http.client
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self._connect = lambda: http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.path = parts.path or "/mcp"
        self.headers = {
            "Authorization": f"Bearer {key}", "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        }
        self.connection = self._connect()
        self.connections = connections
        self.next_id = 0

    def _post(self, connection, body):
        connection.request("POST", self.path, body=body, headers=self.headers)
        response = connection.getresponse()
        data = response.read()
        if response.status == 202:
            return b""
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {data[:300]!r}")
        if response.getheader("Mcp-Session-Id"):
            self.headers["Mcp-Session-Id"] = response.getheader("Mcp-Session-Id")
        if response.getheader("Content-Type", "").startswith("text/event-stream"):
            lines = [line[5:].strip() for line in data.splitlines() if line.startswith(b"data:")]
            return lines[-1] if lines else b""
        return data

    def request_raw(self, method, params=None):
        line = self._post(self.connection, self.encode(self._next(), method, params))
        if b'"error"' in line[:200] and b'"result"' not in line[:200]:
            raise RuntimeError(f"error answer: {line[:300]!r}")
        return line

    def initialize(self):
        result = self.request(
            "initialize",
            {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
        )
        self._post(self.connection, b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
        return result

    def pipelined(self, tool, total, window=128, batch=32):
        """`total` calls over `self.connections` connections at once (each sequential). Returns
        calls per second."""
        first = self.next_id + 1
        self.next_id += total
        counter = iter(range(total))
        lock = threading.Lock()
        failure = []

        def work():
            connection = self._connect()
            try:
                while True:
                    with lock:
                        index = next(counter, None)
                    if index is None:
                        return
                    body = self.encode(first + index, "tools/call", {"name": tool, "arguments": {"n": index, "text": "hello"}})
                    self._post(connection, body)
            except Exception as error:  # noqa: BLE001 - reported below
                failure.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, daemon=True) for _ in range(min(self.connections, window))]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failure:
            raise RuntimeError(f"pipelined calls failed: {failure[0]}")
        return total / (time.perf_counter() - started)

    def close(self):
        try:
            self.connection.request("DELETE", self.path, headers=self.headers)
            self.connection.getresponse().read()
        except OSError:
            pass
        self.connection.close()
