"""A minimal Server-Sent Events reader over http.client, for the daemon's streams."""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class SSEEvent:
    id: str | None
    event: str
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


class SSEStream:
    """Opens `path` on the daemon at `url` and yields events as they arrive."""

    def __init__(self, url: str, path: str, key: str | None, last_event_id: str | None = None,
                 timeout: float = 30.0) -> None:  # fmt: skip
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if key is not None:
            headers["X-API-Key"] = key
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.connection.request("GET", path, headers=headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.content_type = self.response.getheader("Content-Type", "")

    def next(self, timeout: float = 30.0) -> SSEEvent | None:
        """The next event (comments and retry hints skipped), or None when the stream ends."""
        deadline = time.monotonic() + timeout
        event_id: str | None = None
        name = "message"
        data: list[str] = []
        while time.monotonic() < deadline:
            raw = self.response.readline()  # chunk-aware: the response ends where its body does
            if not raw:
                return None
            line = raw.decode().rstrip("\r\n")
            if line == "":
                if data:
                    return SSEEvent(event_id, name, "\n".join(data))
                event_id, name, data = None, "message", []
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "id":
                event_id = value
            elif field == "event":
                name = value
            elif field == "data":
                data.append(value)
        raise AssertionError(f"no event within {timeout} s")

    def until(self, predicate: Any, timeout: float = 30.0) -> list[SSEEvent]:
        """Events up to and including the first that satisfies `predicate`."""
        seen: list[SSEEvent] = []
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(timeout=max(0.1, deadline - time.monotonic()))
            if event is None:
                raise AssertionError(f"stream ended before the expected event; saw {[e.event for e in seen]}")
            seen.append(event)
            if predicate(event):
                return seen

    def close(self) -> None:
        self.connection.close()
