"""An HTTP server that is no MCP server, for tests/e2e/test_http_downstream.py.

Run: python tests/e2e/broken_http_server.py MODE PORT
  MODE  500   every request answered 500 with a short text
        html  every POST answered 200 with an HTML page
        json  every POST answered 200 with JSON that is not JSON-RPC
        silent  every POST answered 200 with an event stream that never carries an event (only
              keep-alive comments, until the client hangs up)
"""

from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = sys.argv[1]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if MODE == "silent":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b": still thinking\n\n")
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                return
        elif MODE == "500":
            self._answer(500, "text/plain", b"upstream exploded")
        elif MODE == "html":
            self._answer(200, "text/html", b"<html><body>Sign in to continue</body></html>")
        else:
            self._answer(200, "application/json", b'{"hello": "world"}')

    def do_GET(self) -> None:  # noqa: N802
        self._answer(500 if MODE == "500" else 405, "text/plain", b"no")

    def do_DELETE(self) -> None:  # noqa: N802
        self._answer(200, "text/plain", b"")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler).serve_forever()
