"""Configuration as a document: `junction config export` from one home applied to another makes
the same configuration (the round trip), never carries a secret value, and an invalid document is
refused whole with nothing changed, by the CLI and by the daemon's REST API alike."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from harness import Home, api, serve

pytestmark = pytest.mark.anyio


def configure(home: Home) -> None:
    home.add_fixture()
    home.add_scope("fixture-token", "fixture", FIXTURE_TOKEN="very-secret-value")
    home.add_workspace("A", default_policy="deny")
    home.add_route("--workspace", "A", "--tool", "fixture__echo", "--policy", "allow", "--name", "a-echo",
                   "--scope", "fixture-token")  # fmt: skip
    home.add_route("--global", "--tool", "fixture__add", "--policy", "deny")


def test_export_apply_round_trip_and_invalid_document_changes_nothing(empty_home: Home, tmp_path) -> None:
    source = empty_home
    configure(source)
    exported = source.cli("config", "export").stdout
    assert "very-secret-value" not in exported
    document = yaml.safe_load(exported)
    assert document["version"] == 1
    assert [s["name"] for s in document["auth_scopes"]] == ["fixture-token"]
    assert document["auth_scopes"][0]["env_keys"] == ["FIXTURE_TOKEN"]

    target = Home(path=tmp_path / "target-home", work=source.work, stderr_path=tmp_path / "target.stderr",
                  fixture_log=source.fixture_log)  # fmt: skip
    # Scopes travel by reference: the target has its own, with its own secret.
    target.add_fixture()
    target.add_scope("fixture-token", "fixture", FIXTURE_TOKEN="another-secret")
    document_file = tmp_path / "junction.yaml"
    document_file.write_text(exported, encoding="utf-8")

    preview = target.cli("config", "apply", str(document_file), "--dry-run").stdout
    assert "+ workspace A" in preview and "+ route a-echo" in preview
    assert "A" not in [w["name"] for w in target.cli_json("workspace", "list")]
    applied = target.cli("config", "apply", str(document_file)).stdout
    assert "Applied" in applied
    assert yaml.safe_load(target.cli("config", "export").stdout) == document
    assert "No changes" in target.cli("config", "validate", str(document_file)).stdout

    # JSON too, through the daemon: an invalid document (a route naming an unknown server, and a
    # new workspace before it) is refused whole.
    before = target.cli("config", "export", "--format", "json").stdout
    broken = json.loads(before)
    broken["workspaces"].append({"name": "B", "root_path": str(source.work / "ws" / "B")})
    broken["routes"].append({"tool_pattern": "x__*", "server": "nope"})
    bad_file = tmp_path / "broken.json"
    bad_file.write_text(json.dumps(broken), encoding="utf-8")
    refused = target.cli("config", "apply", str(bad_file), check=False)
    assert refused.returncode != 0 and "server 'nope'" in refused.stderr, refused.stderr
    assert target.cli("config", "export", "--format", "json").stdout == before

    daemon = serve(target)
    try:
        status, body = api(target, "POST", "/api/v1/config/apply", body=broken)
        assert status == 400 and "server 'nope'" in body["error"], body
        status, body = api(target, "POST", "/api/v1/config/validate", body=broken)
        assert status == 200 and body["data"]["valid"] is False
        status, body = api(target, "GET", "/api/v1/config")
        assert status == 200 and body["data"]["config"] == json.loads(before)
        status, body = api(target, "POST", "/api/v1/config/apply?dry_run=true", body=json.loads(before))
        assert status == 200 and body["data"]["changes"] == []
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        shutil.rmtree(target.path, ignore_errors=True)
