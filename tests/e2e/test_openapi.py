"""The admin API's OpenAPI document (openapi/openapi.yaml) kept true against a live daemon.

The daemon serves exactly the committed document. schemathesis reads it and sends every operation
generated requests, valid and invalid: no answer may be a 5xx, and every answer must be documented
(its status, its content type, its body's schema). The daemon has a little real data first (a
workspace, the fixture server, rules, an auth scope, audit records and an approval from real
calls), and about half of the ids the fuzzer sends name those, so requests reach real objects and
reads answer with filled-in ones.

The streams (`/events`, `/api/v1/events`, `/api/v1/audit/stream`, `/api/v1/approvals/stream`)
never end, so schemathesis leaves them out; they are checked by hand instead: documented as
text/event-stream, and answering as documented. So are the routes that write AI clients'
configuration, in folders of the test's own.

Settings (environment):
  JUNCTION_SCHEMATHESIS_EXAMPLES  examples per operation and phase (default 50)
  JUNCTION_SCHEMATHESIS_SEED      the generation seed (default fixed, so a failure reproduces)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
import requests
import schemathesis
import yaml

from harness import REPO, START_TIMEOUT, Home, api, call_error, eventually, gateway, serve, text_of
from sse import SSEStream

pytestmark = pytest.mark.anyio

DOCUMENT = REPO / "openapi" / "openapi.yaml"
STREAMS = ["/events", "/api/v1/events", "/api/v1/audit/stream", "/api/v1/approvals/stream"]
# The streams that resume after a Last-Event-ID (and refuse one that is not theirs).
RESUMABLE = ["/events", "/api/v1/events", "/api/v1/audit/stream"]
EXAMPLES = int(os.environ.get("JUNCTION_SCHEMATHESIS_EXAMPLES", "50"))
SEED = os.environ.get("JUNCTION_SCHEMATHESIS_SEED", "5")
CHECKS = ["not_a_server_error", "response_schema_conformance", "status_code_conformance", "content_type_conformance"]
# One schemathesis run: well under a minute at the default examples on a 2-core machine.
FUZZ_TIMEOUT = 600


def url(home: Home) -> str:
    info = home.daemon_info()
    assert info is not None
    return str(info["url"])


def document() -> dict[str, Any]:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


async def configure_and_serve(home: Home) -> subprocess.Popen[str]:
    """The fixture server with an auth scope, workspace A with a deny rule and an approve rule, a
    served daemon, and what real calls leave behind: audit records of an allowed, a denied and an
    approved call, and the approval."""
    home.add_fixture()
    home.add_scope("fixture-token", "fixture", FIXTURE_TOKEN="not-a-secret")
    home.add_workspace("A")
    home.add_route("--workspace", "A", "--tool", "fixture__add", "--policy", "deny", "--name", "a-no-add")
    home.add_route("--workspace", "A", "--tool", "fixture__peek", "--policy", "approve", "--name", "a-ask-peek")
    with sandboxed_environment(home):
        daemon = serve(home)
    async with gateway(home, cwd=home.work / "ws" / "A", daemon=True) as session:
        assert text_of(await session.call_tool("fixture__echo", {"text": "hello"})) == "hello"
        assert "denied" in await call_error(session, "fixture__add", {"a": 1, "b": 2})

        async def parked() -> None:
            assert not (await session.call_tool("fixture__peek", {})).is_error

        def pending() -> Any:
            status, approvals = api(home, "GET", "/api/v1/approvals")
            assert status == 200
            return approvals

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(parked)
            approval = (await eventually(pending))[0]
            status, _ = api(home, "POST", f"/api/v1/approvals/{approval['id']}/resolve", body={"approved": True})
            assert status == 200
    return daemon


@contextmanager
def sandboxed_environment(home: Home) -> Iterator[None]:
    """The environment the fuzzed daemon starts with. Servers the fuzzer defines have made-up
    commands: one that is started must not find a real program through PATH (the fixture server's
    command is an absolute path). The AI clients' configuration the install routes read and write
    is looked for under a home folder of the test's own."""
    sandbox = home.work / "sandbox"
    (sandbox / "bin").mkdir(parents=True)
    overrides: dict[str, str | None] = {
        "PATH": str(sandbox / "bin"),
        "HOME": str(sandbox / "home"),
        "XDG_CONFIG_HOME": str(sandbox / "home" / ".config"),
        "CODEX_HOME": str(sandbox / "home" / ".codex"),
        "APPDATA": None,
        "USERPROFILE": None,
    }
    saved = {name: os.environ.get(name) for name in overrides}
    try:
        set_environment(overrides)
        yield
    finally:
        set_environment(saved)


def set_environment(values: dict[str, str | None]) -> None:
    """Sets each variable to its value; None unsets it."""
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def stop(daemon: subprocess.Popen[str]) -> None:
    daemon.terminate()
    daemon.wait(timeout=START_TIMEOUT)


async def test_the_document_is_served_as_committed_and_documents_the_streams(empty_home: Home) -> None:
    daemon = serve(empty_home)
    try:
        committed = DOCUMENT.read_bytes()
        for path in ["/api/v1/openapi.yaml", "/swagger/swagger.yaml"]:
            # Public, like health: no key.
            with urllib.request.urlopen(url(empty_home) + path, timeout=30) as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("application/yaml")
                assert response.read() == committed, f"{path}: run scripts/embed-openapi and rebuild"

        spec = document()
        assert spec["openapi"].startswith("3.1")
        for path in STREAMS:
            operation = spec["paths"][path]["get"]
            ok = operation["responses"]["200"]
            if "$ref" in ok:
                ok = spec["components"]["responses"][ok["$ref"].rsplit("/", 1)[-1]]
            assert list(ok["content"]) == ["text/event-stream"], path
            for status in ["400", "401"]:
                assert status in operation["responses"], f"{path}: {status} undocumented"

            stream = SSEStream(url(empty_home), path, empty_home.api_key())
            assert stream.status == 200, path
            assert stream.content_type.startswith("text/event-stream"), path
            stream.close()
            assert SSEStream(url(empty_home), path, None).status == 401, path
            if path in RESUMABLE:
                assert any(p["name"] == "Last-Event-ID" for p in parameters(spec, operation)), path
                refused = SSEStream(url(empty_home), path, empty_home.api_key(), last_event_id="not an id")
                assert refused.status == 400, path
                refused.close()
    finally:
        stop(daemon)


@pytest.mark.timeout(3 * FUZZ_TIMEOUT + 120)
async def test_schemathesis_finds_no_server_error_and_every_answer_is_documented(empty_home: Home) -> None:
    home = empty_home
    daemon = await configure_and_serve(home)
    try:
        spec = document()
        operations = {
            f"{method.upper()} {path}"
            for path, item in spec["paths"].items()
            if path not in STREAMS
            for method in item
            if method in {"get", "put", "post", "delete", "patch"}
        }
        config = write_config(home)
        tested: set[str] = set()
        # Starting servers first, while the fixture server is as configured; the servers the fuzzer
        # defines or changes later are never started (their made-up commands and URLs stay unused).
        # The doctor starts every enabled server; the seed surfaces' starts and refreshes too.
        starts = "/(discover|restart|restart_all|reconnect|start|refresh-proxy-tools)$|^/api/v1/doctor$"
        # Writing client configuration is checked by hand below, in folders of the test's own: a
        # fuzzed `project` would be any folder of this machine.
        writes = "^/api/v1/mcp-install/[^/]+/(install|uninstall)$"
        tested |= fuzz(home, "starts", config, ["--include-path-regex", starts], examples=10)
        tested |= fuzz(
            home, "reads-and-writes", config, ["--exclude-method", "DELETE"], exclude=f"{starts}|{writes}"
        )
        # Deletions last: they may take the fixture data with them.
        tested |= fuzz(home, "deletes", config, ["--include-method", "DELETE"])
        tested |= check_client_installs(home)

        assert operations <= tested, f"operations schemathesis did not test: {sorted(operations - tested)}"
        status, health = api(home, "GET", "/api/v1/health")
        assert status == 200 and health["status"] == "ok"
    finally:
        stop(daemon)


def check_client_installs(home: Home) -> set[str]:
    """Install into and uninstall from a client's project configuration in a folder of the test's
    own, and the refusals; every answer must be documented. Returns the operations checked."""
    schema = schemathesis.openapi.from_path(str(DOCUMENT))
    install = schema["/api/v1/mcp-install/{clientId}/install"]["POST"]
    uninstall = schema["/api/v1/mcp-install/{clientId}/uninstall"]["POST"]
    project = home.work / "sandbox" / "project"
    project.mkdir(parents=True)
    headers = {"X-API-Key": home.api_key()}

    def post(operation: Any, client: str, action: str, body: Any = None) -> requests.Response:
        response = requests.post(
            f"{url(home)}/api/v1/mcp-install/{client}/{action}", json=body, headers=headers, timeout=30
        )
        operation.validate_response(response)
        return response

    cases = [
        (install, "cursor", "install", {"project": str(project)}, 200, "installed"),
        (install, "CURSOR", "install", {"project": str(project)}, 200, "unchanged"),
        (uninstall, "cursor", "uninstall", {"project": str(project)}, 200, "removed"),
        (uninstall, "cursor", "uninstall", {"project": str(project)}, 200, "absent"),
        (uninstall, "cursor", "uninstall", None, 200, "absent"),
        (install, "claude-desktop", "install", None, 409, "not_detected"),
        (install, "claude-desktop", "install", {"workspace": "no-such-workspace"}, 400, "invalid_request"),
        (install, "claude-desktop", "install", {"force": "yes"}, 400, "invalid_request"),
        (install, "no-such-client", "install", None, 404, "not_found"),
        (uninstall, "no-such-client", "uninstall", None, 404, "not_found"),
    ]
    for operation, client, action, body, status, outcome in cases:
        response = post(operation, client, action, body)
        assert response.status_code == status, (client, action, body, response.text)
        assert response.json().get("action" if status == 200 else "code") == outcome, (client, action, body)
    return {"POST /api/v1/mcp-install/{clientId}/install", "POST /api/v1/mcp-install/{clientId}/uninstall"}


def write_config(home: Home) -> Path:
    """schemathesis.toml: the ids and names of what is configured, used for about half of the ids
    and references the fuzzer sends, so requests reach real objects and not only 404s and 400s."""
    known: dict[str, list[str]] = {}
    for collection in ["workspaces", "downstreams", "routes", "auth-scopes"]:
        status, items = api(home, "GET", f"/api/v1/{collection}")
        assert status == 200 and items, collection
        known[collection] = [key for item in items for key in (item["id"], item.get("name")) if key]
    status, page = api(home, "GET", "/api/v1/audit")
    assert status == 200 and page["records"]
    known["audit"] = [record["id"] for record in page["records"]]
    status, approvals = api(home, "GET", "/api/v1/approvals?status=all")
    assert status == 200 and approvals
    known["approvals"] = [approval["id"] for approval in approvals]

    def binding(dictionary: str) -> str:
        return f'{{ dictionary = "{dictionary}", probability = 0.5 }}'

    references = {
        "query.workspace_id": "workspaces",
        "query.server_id": "downstreams",
        "query.auth_scope": "auth-scopes",
        "body.workspace_id": "workspaces",
        "body.server_id": "downstreams",
        "body.auth_scope_id": "auth-scopes",
        "body.rules[*].workspace_id": "workspaces",
        "body.rules[*].server_id": "downstreams",
        "body.rules[*].auth_scope_id": "auth-scopes",
    }
    lines: list[str] = []
    for name, values in known.items():
        lines += [f'[dictionaries."{name}"]', "values = [" + ", ".join(f'"{v}"' for v in values) + "]", ""]
    lines.append("[parameters]")
    lines += [f'"{key}" = {binding(name)}' for key, name in references.items()]
    # `{id}` names an object of the collection in the path.
    for name in known:
        lines += ["", "[[operations]]", f'include-path-regex = "^/api/v1/{name}/"']
        lines.append(f'parameters = {{ "path.id" = {binding(name)} }}')
    config = home.work / "schemathesis.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def fuzz(
    home: Home, name: str, config: Path, selection: list[str], *, exclude: str | None = None, examples: int = EXAMPLES
) -> set[str]:
    """One schemathesis run over the selected operations, never the streams nor paths matching
    `exclude`; fails the test on any problem found. Returns the operations it tested."""
    excluded = "^(" + "|".join(re.escape(path) for path in STREAMS) + ")$"
    if exclude:
        excluded += "|" + exclude
    report = home.work / f"schemathesis-{name}.ndjson"
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file", str(config),
        "run",
        # The committed document: the other test checks the daemon serves exactly it. (Given the
        # daemon's own URL, schemathesis would leave the operation that serves it untested.)
        str(DOCUMENT),
        "--url", url(home),
        "--header", f"X-API-Key: {home.api_key()}",
        "--checks", ",".join(CHECKS),
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(examples),
        "--seed", SEED,
        # One worker: with two, CPython 3.11 sometimes fails parsing in hypothesis (an `ast` race).
        "--workers", "1",
        "--exclude-path-regex", excluded,
        *selection,
        "--generation-with-security-parameters", "false",
        "--generation-database", "none",
        "--request-timeout", "30",
        "--report", "ndjson",
        "--report-ndjson-path", str(report),
        "--no-color",
    ]  # fmt: skip
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, cwd=home.work, timeout=FUZZ_TIMEOUT, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as timeout:
        out = timeout.stdout or ""
        partial = out.decode(errors="replace") if isinstance(out, bytes) else out
        raise AssertionError(f"schemathesis ({name}) ran over {FUZZ_TIMEOUT} s:\n{partial[-30000:]}") from None
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"schemathesis ({name}) found problems:\n{output[-30000:]}"
    return operations_in(report)


def parameters(spec: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's parameters, references resolved."""
    resolved = []
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        resolved.append(parameter)
    return resolved


def operations_in(report: Path) -> set[str]:
    """`METHOD /path` of every operation the ndjson report shows a scenario for."""
    found: set[str] = set()
    pattern = re.compile(r'"label":\s*"((?:GET|PUT|POST|DELETE|PATCH) /[^"]*)"')
    for line in report.read_text(encoding="utf-8").splitlines():
        found.update(pattern.findall(line))
    return found
