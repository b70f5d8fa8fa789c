"""Fixtures for the end-to-end tests. Helpers live in harness.py (importable from test modules)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

import harness
from harness import Home


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _new_home(tmp_path: Path) -> Home:
    home = Home(
        path=tmp_path / "junction-home",
        work=tmp_path / "work",
        stderr_path=tmp_path / "junction.stderr",
        fixture_log=tmp_path / "fixture.log",
    )
    home.work.mkdir(parents=True)
    return home


@pytest.fixture
def empty_home(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Home]:
    """A fresh JUNCTION_HOME with nothing configured. On failure, junction's stderr is printed."""
    home = _new_home(tmp_path)
    yield home
    home.stop_daemon()
    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False) for when in ("setup", "call")
    )
    if failed:
        text = home.stderr_text()
        if text:
            print(f"\n===== junction stderr ({home.stderr_path}) =====\n{text[-20000:]}")
        events = home.fixture_events()
        if events:
            print("===== fixture events =====\n" + "\n".join(events))
        for log in sorted(home.work.glob("*.log")):  # the era fixtures' logs (test_eras.py)
            print(f"===== {log.name} =====\n{log.read_text(encoding='utf-8', errors='replace')[-5000:]}")


@pytest.fixture(scope="session")
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository with one commit and one untracked file (read-only for tests)."""
    return harness.make_git_repo(tmp_path_factory.mktemp("git") / "repo")


@pytest.fixture
def home(empty_home: Home) -> Home:
    """JUNCTION_HOME with the fixture server and workspaces A and B (nothing denied yet)."""
    empty_home.add_fixture()
    empty_home.add_workspace("A")
    empty_home.add_workspace("B")
    return empty_home


@pytest.fixture
def full_home(home: Home, git_repo: Path) -> Home:
    """`home` plus the real mcp-server-time and mcp-server-git servers."""
    home.add_time()
    home.add_git(git_repo)
    return home


@pytest.fixture(scope="session")
def reference(git_repo: Path) -> dict[str, Any]:
    """Results of calling the downstreams directly (no junction), to compare gateway results with."""
    out: dict[str, Any] = {}

    async def fixture() -> None:
        async with harness.direct([str(harness.FIXTURE_SERVER)]) as s:
            out["fixture_tools"] = {t.name: t for t in (await s.list_tools()).tools}
            out["fixture_echo"] = await s.call_tool("echo", {"text": "héllo, wörld"})
            out["fixture_add"] = await s.call_tool("add", {"a": 2, "b": 40})
            out["fixture_prompts"] = {p.name: p for p in (await s.list_prompts()).prompts}

    async def time() -> None:
        async with harness.direct(["-m", "mcp_server_time", "--local-timezone", "UTC"]) as s:
            out["time_tools"] = {t.name: t for t in (await s.list_tools()).tools}
            out["time_convert"] = await s.call_tool(
                "convert_time", {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}
            )
            out["time_now"] = await s.call_tool("get_current_time", {"timezone": "UTC"})

    async def git() -> None:
        async with harness.direct(["-m", "mcp_server_git", "--repository", str(git_repo)]) as s:
            out["git_tools"] = {t.name: t for t in (await s.list_tools()).tools}
            out["git_status"] = await s.call_tool("git_status", {"repo_path": str(git_repo)})

    async def collect() -> dict[str, Any]:
        with harness.unwrap_lone_exception():
            async with anyio.create_task_group() as tg:
                tg.start_soon(fixture)
                tg.start_soon(time)
                tg.start_soon(git)
        return out

    return anyio.run(collect)


def pytest_report_header(config: pytest.Config) -> list[str]:
    binary = harness.junction_bin()
    return [f"junction: {binary} (a fresh JUNCTION_HOME per test)", f"python: {harness.PYTHON}"]


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (selenium); closed after the test."""
    import web

    available, reason = web.browser_available()
    if not available:
        raise RuntimeError(reason)
    driver = web.make_browser()
    try:
        yield driver
    finally:
        driver.quit()
