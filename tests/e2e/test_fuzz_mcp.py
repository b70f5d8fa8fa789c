"""Fuzz the MCP front: 10,000 random and mutated JSON-RPC lines per mode, against
`junction stdio --embedded` and `junction stdio` through the daemon.

The messages are valid initialize / ping / tools/list / tools/call / prompts/list lines, mutated
(wrong types, huge numbers, deep nesting, invalid UTF-8, truncation, duplicate keys, null ids,
batch arrays, stray bytes, blank lines), from a seeded generator (FUZZ_SEED to replay another
run). A model of JSON-RPC decides, for every line, whether it is a request Junction must answer
under its id; each of those must get exactly one answer, nothing else may be answered under an
id, and afterwards the process is alive and answers a ping.
"""

from __future__ import annotations

import json
import os
import queue
import random
import time
from collections import Counter
from typing import Any

import pytest

from harness import Home, RawPeer, pid_alive, stress_report

MESSAGES = int(os.environ.get("FUZZ_MESSAGES", "10000"))
SEED = int(os.environ.get("FUZZ_SEED", "15"))
BATCH = 100  # lines written before waiting for their answers
ANSWER_TIMEOUT = 60.0  # for one batch's answers: generous, it only matters when something hangs

WHITESPACE = b" \t\r"


# --------------------------------------------------------------------------------------------------
# What must be answered: a model of how Junction reads a line


class _Constant(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _Constant(name)  # NaN, Infinity: Python accepts them, JSON does not


def _depth(value: Any) -> int:
    depth, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        depth = max(depth, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return depth


def parse(piece: bytes) -> Any:
    """A line as Junction's scanner reads it (strings may hold invalid UTF-8, nothing else may),
    or raises ValueError."""
    text = piece.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):
        raise ValueError("BOM")
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError, _Constant) as error:
        raise ValueError(str(error)) from None
    if _depth(value) >= 512:  # Junction's nesting limit (the generator never comes near it)
        raise ValueError("too deep")
    return value


def valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def key(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)


def expected_answer(piece: bytes) -> str | None:
    """The id (as key()) a line must be answered under, or None when it has none to answer under
    (a parse error, a batch, a notification, a response, or an id that is not a string or a number)."""
    if piece.endswith(b"\r"):
        piece = piece[:-1]
    if all(byte in WHITESPACE for byte in piece):
        return None  # skipped like an empty line
    try:
        message = parse(piece)
    except ValueError:
        return None
    if not isinstance(message, dict) or "id" not in message or not valid_id(message["id"]):
        return None
    # A valid id is answered unless the line is a well-formed response (which a client may send).
    if message.get("jsonrpc") != "2.0" or "method" in message:
        return key(message["id"])
    if "result" in message or "error" in message:
        return None
    return key(message["id"])


# --------------------------------------------------------------------------------------------------
# Generating lines


class Generator:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.counter = 0

    def next_id(self) -> Any:
        self.counter += 1
        return self.counter if self.random.random() < 0.5 else f"m{self.counter}"

    def base(self) -> dict[str, Any]:
        r = self.random
        message_id = self.next_id()
        kind = r.choice(["initialize", "ping", "tools/list", "call", "call", "call", "prompts/list", "notify"])
        if kind == "initialize":
            params: Any = {
                "protocolVersion": r.choice(["2025-11-25", "2025-06-18", "1999-01-01"]),
                "capabilities": {},
                "clientInfo": {"name": "fuzz", "version": "1"},
            }
            return {"jsonrpc": "2.0", "id": message_id, "method": "initialize", "params": params}
        if kind == "call":
            name, arguments = r.choice(
                [
                    ("fixture__echo", {"text": "fuzz"}),
                    ("fixture__add", {"a": r.randint(-9, 9), "b": 2}),
                    ("fixture__peek", {}),
                    ("fixture__no_such_tool", {}),
                    ("nobody__echo", {"text": "x"}),
                ]
            )
            return {
                "jsonrpc": "2.0",
                "id": message_id,
                "method": "tools/call",
                "params": {"name": name, "arguments": arguments},
            }
        if kind == "notify":
            return {"jsonrpc": "2.0", "method": "notifications/initialized"}
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": message_id, "method": kind}
        if kind == "tools/list" and r.random() < 0.3:
            message["params"] = {"cursor": r.choice(["0", "1", "-1", "x"])}
        return message

    # ----- mutations of the message as a value
    def mutate_value(self, message: dict[str, Any]) -> dict[str, Any]:
        r = self.random
        wrong = [None, True, [1, 2], {"a": 1}, "text", 10**40, -1.5, 0]
        choice = r.randrange(9)
        params = message.get("params")
        if choice == 0:
            message["id"] = r.choice(wrong + [None, None])
        elif choice == 1:
            message["method"] = r.choice(wrong)
        elif choice == 2:
            message["params"] = r.choice(wrong)
        elif choice == 3 and isinstance(params, dict):
            params["arguments" if "arguments" in params else "name"] = r.choice(wrong)
        elif choice == 4 and isinstance(params, dict):
            params["name"] = r.choice(wrong)
        elif choice == 5:
            message["jsonrpc"] = r.choice(["1.0", 2.0, None, "2.0 "])
        elif choice == 6:
            del message["jsonrpc"]
        elif choice == 7:
            message.pop("id", None)
        else:
            message["result"] = {}
            if r.random() < 0.5:
                message.pop("method", None)
        return message

    # ----- mutations of the bytes
    def mutate_bytes(self, data: bytes) -> bytes:
        r = self.random
        choice = r.randrange(10)
        at = r.randrange(len(data) + 1)
        if choice == 0:
            return data[:at]  # truncated
        if choice == 1 and data:
            index = r.randrange(len(data))
            flipped = r.randrange(256)
            if flipped == 0x0A:
                flipped = 0x0B
            return data[:index] + bytes([flipped]) + data[index + 1 :]
        if choice == 2:
            return data[:at] + r.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]) + data[at:]
        if choice == 3:
            depth = r.choice([20, 100, 3000])
            return data.replace(b'"params":', b'"params":{"deep":' + b"[" * depth + b"1" + b"]" * depth + b"},", 1)
        if choice == 4:
            # Duplicate keys: the first spelling of each is rewritten by a second one after it.
            return data.replace(b'"id":', b'"id":"dup","id":', 1).replace(b'"method":', b'"method":7,"method":', 1)
        if choice == 5:
            return b"[" + data + b"," + data + b"]"  # a batch
        if choice == 6:
            return data.replace(b":", b":" + r.choice([b"1e400", b"-0", b"123456789012345678901234567890"]) + b",", 1)
        if choice == 7:
            return bytes(r.randrange(256) for _ in range(r.randrange(1, 40))).replace(b"\n", b" ")
        if choice == 8:
            return r.choice([b"", b"   ", b"\t \r", b"\xef\xbb\xbf" + data, b"null", b"[]", b"{}", b'"x"'])
        return data + r.choice([b" ", b"\r", b" \t"])

    def line(self) -> list[bytes]:
        """One or two lines (a deliberate duplicate id in flight), without their newline."""
        r = self.random
        message = self.base()
        if r.random() < 0.35:
            message = self.mutate_value(message)
        data = json.dumps(message, separators=(",", ":")).encode()
        if r.random() < 0.45:
            data = self.mutate_bytes(data)
        if r.random() < 0.02:
            return [data, data]
        return [data]


# --------------------------------------------------------------------------------------------------
# Running against a peer


def read_answers(peer: RawPeer, answers: Counter[str], null_answers: list[dict[str, Any]], wait: float) -> None:
    """Takes every line junction wrote within `wait` seconds (at least one poll) into `answers`."""
    deadline = time.monotonic() + wait
    while True:
        try:
            line = peer._lines.get(timeout=max(0.0, deadline - time.monotonic()))  # noqa: SLF001 - raw bytes
        except queue.Empty:
            return
        if line is None:
            raise AssertionError(f"junction closed its output (exit {peer.proc.poll()})")
        try:
            message = json.loads(line.decode("utf-8", errors="surrogateescape"))
        except ValueError as error:
            raise AssertionError(f"junction wrote a line that is not JSON: {line[:300]!r}") from error
        if "method" in message:
            continue  # a notification or a request of junction's own
        assert "result" in message or "error" in message, message
        if message.get("id") is None:
            null_answers.append(message)
        else:
            answers[key(message["id"])] += 1


def fuzz(peer: RawPeer) -> dict[str, int]:
    generator = Generator(SEED)
    expected: Counter[str] = Counter()
    answers: Counter[str] = Counter()
    null_answers: list[dict[str, Any]] = []
    sent = 0
    started = time.monotonic()
    peer.initialize()
    while sent < MESSAGES:
        batch: list[bytes] = []
        while len(batch) < BATCH and sent < MESSAGES:
            lines = generator.line()
            batch.extend(lines)
            sent += len(lines)
        stream = b"".join(piece + b"\n" for piece in batch)
        # As junction frames it: a mutation may have put a newline inside a line.
        for piece in stream.split(b"\n")[:-1]:
            answer = expected_answer(piece)
            if answer is not None:
                expected[answer] += 1
        peer.send_bytes(stream)
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while any(answers[k] < n for k, n in expected.items()):
            assert peer.proc.poll() is None, f"junction exited ({peer.proc.returncode}) after {sent} lines"
            if time.monotonic() > deadline:
                missing = {k: n - answers[k] for k, n in expected.items() if answers[k] < n}
                raise AssertionError(f"after {sent} lines, unanswered within {ANSWER_TIMEOUT} s: {list(missing)[:20]}")
            read_answers(peer, answers, null_answers, 0.2)
    # Late extras would show up here.
    read_answers(peer, answers, null_answers, 1.0)
    extra = {k: n - expected[k] for k, n in answers.items() if n > expected[k]}
    missing = {k: n - answers[k] for k, n in expected.items() if answers[k] < n}
    assert not missing, f"requests without an answer: {list(missing.items())[:20]}"
    assert not extra, f"answered more often than asked (or under an id never sent): {list(extra.items())[:20]}"
    # Alive and still serving.
    peer.send({"jsonrpc": "2.0", "id": "final-ping", "method": "ping"})
    reply = peer.response()
    while reply.get("id") != "final-ping":
        reply = peer.response()
    assert reply.get("result") == {}, reply
    assert peer.proc.poll() is None
    return {
        "lines": sent,
        "answered_by_id": sum(expected.values()),
        "answered_null_id": len(null_answers),
        "seconds": round(time.monotonic() - started, 1),
    }


@pytest.mark.timeout(240)
@pytest.mark.parametrize("daemon", [False, True], ids=["embedded", "daemon"])
def test_fuzz_mcp(home: Home, daemon: bool) -> None:
    """10,000 fuzzed lines: every request with a valid id answered exactly once; alive after."""
    peer = RawPeer(home, embedded=not daemon)
    try:
        stats = fuzz(peer)
        stress_report(
            f"fuzz: 10,000 random and mutated JSON-RPC lines, {'through the daemon' if daemon else 'embedded'}",
            made=stats["lines"], note=f"seed {SEED}; every request with an id answered once; ping after; {stats['seconds']} s",
        )
        if daemon:
            info = home.daemon_info()
            assert info is not None and pid_alive(int(info["pid"])), "the daemon survived the fuzzing"
    finally:
        peer.close()


def test_model_agrees_with_known_cases() -> None:
    """The model behind the fuzzer, on lines whose treatment is documented."""
    cases: list[tuple[bytes, str | None]] = [
        (b'{"jsonrpc":"2.0","id":1,"method":"ping"}', "1"),
        (b'{"jsonrpc":"2.0","id":null,"method":"ping"}', None),
        (b'{"jsonrpc":"1.0","id":"a","method":"ping"}', '"a"'),
        (b'{"jsonrpc":"2.0","id":2,"result":{}}', None),
        (b'{"jsonrpc":"2.0","id":3}', "3"),
        (b'{"jsonrpc":"2.0","id":true,"method":"ping"}', None),
        (b'[{"jsonrpc":"2.0","id":4,"method":"ping"}]', None),
        (b'{"jsonrpc":"2.0","id":"\xff","method":"ping"}', key("\udcff")),
        (b'{"jsonrpc":"2.0","id":5,"method":"ping",\xff}', None),
        (b'{"jsonrpc":"2.0","id":NaN,"method":"ping"}', None),
        (b"   \t", None),
        (b'{"jsonrpc":"2.0","id":"dup","id":6,"method":"ping"}', "6"),
    ]
    for line, answer in cases:
        assert expected_answer(line) == answer, line
