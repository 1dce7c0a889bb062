"""`mobench ios serve`'s server with real HTTP requests on 127.0.0.1 (ephemeral port, server in a thread)."""

from __future__ import annotations

import http.client
import json
import subprocess
import threading

import pytest
from iphone_helpers import STANDIN_CMD

from mobench.core.util import sha256_path
from mobench.devices.remote.server import make_server, safe_relpath
from mobench.results import Store


@pytest.fixture
def served(tmp_path, plan_dir):
    """A running server for the tiny plan; yields (server, request function)."""
    server = make_server(
        plan_dir, port=0, db=tmp_path / "r.sqlite", reports_dir=tmp_path / "reports", max_body=256 * 1024
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def request(method, path, body=None, token=server.state.token, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        h = dict(headers or {})
        if token is not None:
            h.setdefault("Authorization", f"Bearer {token}")
        if body is not None:
            h.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    yield server, request
    server.shutdown()
    server.server_close()


def _stored(tmp_path) -> int:
    db = tmp_path / "r.sqlite"
    if not db.exists():
        return 0
    with Store(db, readonly=True) as s:
        return len(s.find_by_extra())


def _report_for(plan, golden_report):
    """The golden report re-addressed to this plan (same shapes, this plan's ids and hashes)."""
    rep = json.loads(json.dumps(golden_report))
    rep["plan_id"] = plan["plan_id"]
    rep["protocol"] = plan["protocol"]
    runs = []
    for spec, src in zip(plan["runs"], rep["runs"], strict=False):
        run = {**src, **{k: spec[k] for k in ("run_id", "model", "file", "sha256", "compute_units")}}
        n, r = plan["protocol"]["inferences"], plan["protocol"]["rounds"]
        run["samples_ms"] = [[0.9 + 0.01 * i for i in range(n)] for _ in range(r)]
        run["warmup_ms"] = [[1.0] for _ in range(r)]
        run["rounds"] = src["rounds"][:r]
        run["load_ms"], run["first_prediction_ms"] = [20.0], [2.0]
        runs.append(run)
    rep["runs"] = runs
    return rep


def test_binds_to_loopback_by_default(served):
    server, _ = served
    assert server.server_address[0] == "127.0.0.1"
    assert server.url().startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/plan.json"),
        ("GET", "/files"),
        ("GET", "/files/plan.json"),
        ("POST", "/report"),
        ("POST", "/progress"),
        ("GET", "/nope"),
    ],
)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token-0123456789", "Basic {token}", "Bearer", "{token}"])
def test_every_request_needs_the_token(served, method, path, auth, tmp_path):
    server, request = served
    headers = {} if auth is None else {"Authorization": auth.format(token=server.state.token)}
    status, body = request(method, path, body=b"{}" if method == "POST" else None, token=None, headers=headers)
    assert status == 401
    assert json.loads(body) == {"error": "unauthorized"}  # nothing else leaks
    assert _stored(tmp_path) == 0


def test_plan_files_and_downloads(served, plan_dir):
    server, request = served
    status, body = request("GET", "/plan.json")
    assert status == 200
    plan = json.loads(body)
    assert plan["plan_id"] == server.state.plan["plan_id"]
    assert plan["report_url"] == f"http://127.0.0.1:{server.port}/report"
    assert "token" not in plan
    status, body = request("GET", "/files")
    listing = json.loads(body)["files"]
    assert {f["path"] for f in listing} == {
        "tiny.mlpackage/Manifest.json",
        "tiny.mlpackage/Data/com.apple.CoreML/weights/weight.bin",
        "tiny.onnx",
    }
    for f in listing:
        status, data = request("GET", "/files/" + f["path"])
        assert status == 200 and len(data) == f["size"]
        assert f["sha256"] == sha256_path(plan_dir / f["path"])


@pytest.mark.parametrize(
    "path",
    [
        "/files/../plan.json",
        "/files/%2e%2e/plan.json",
        "/files/tiny.mlpackage/../../plan.json",
        "/files//etc/passwd",
        "/files/%2Fetc%2Fpasswd",
        "/files/tiny.mlpackage%5C..%5Cplan.json",
        "/files/tiny.mlpackage/./Manifest.json",
        "/files/tiny.onnx%00.txt",
    ],
)
def test_path_traversal_is_refused(served, path):
    _, request = served
    status, body = request("GET", path)
    assert status == 400 and json.loads(body) == {"error": "bad file name"}


def test_only_files_named_by_the_plan_are_served(served):
    _, request = served
    for path in ("/files/plan.json", "/files/secret.txt", "/files/tiny.mlpackage"):
        status, _ = request("GET", path)
        assert status == 404


def test_bad_reports_get_4xx_and_store_nothing(served, tmp_path, golden_report):
    server, request = served
    good = _report_for(server.state.plan, golden_report)
    cases = {
        "not json": (b"{nope", 400),
        "truncated": (json.dumps(good).encode()[:500], 400),
        "unknown version": (json.dumps({**good, "schema_version": 7}).encode(), 422),
        "schema violation": (json.dumps({**good, "device": {}}).encode(), 422),
        "other plan": (json.dumps({**good, "plan_id": "someone-elses-plan"}).encode(), 422),
        "array": (b"[]", 422),
    }
    for name, (body, expected) in cases.items():
        status, resp = request("POST", "/report", body=body)
        assert status == expected, name
        assert "error" in json.loads(resp)
    assert _stored(tmp_path) == 0
    assert not (tmp_path / "reports").exists()


def test_body_cap_and_length(served, tmp_path):
    _, request = served
    status, _ = request("POST", "/report", body=b" " * (256 * 1024 + 1))
    assert status == 413
    conn = http.client.HTTPConnection("127.0.0.1", served[0].port, timeout=30)
    conn.putrequest("POST", "/report")
    conn.putheader("Authorization", f"Bearer {served[0].state.token}")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b"2\r\n{}\r\n0\r\n\r\n")
    assert conn.getresponse().status == 411
    conn.close()
    assert _stored(tmp_path) == 0


def test_same_report_twice_is_stored_once(served, tmp_path, golden_report):
    server, request = served
    body = json.dumps(_report_for(server.state.plan, golden_report)).encode()
    status, resp = request("POST", "/report", body=body)
    assert status == 200 and json.loads(resp) == {"stored": 2, "duplicates": 0}
    status, resp = request("POST", "/report", body=body)
    assert status == 200 and json.loads(resp) == {"stored": 0, "duplicates": 2}
    assert _stored(tmp_path) == 2


def test_concurrent_duplicate_posts_store_once(served, tmp_path, golden_report):
    server, request = served
    body = json.dumps(_report_for(server.state.plan, golden_report)).encode()
    results = []
    threads = [threading.Thread(target=lambda: results.append(request("POST", "/report", body=body))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(s for s, _ in results) == [200] * 4
    assert sum(json.loads(b)["stored"] for _, b in results) == 2
    assert _stored(tmp_path) == 2


def test_progress_is_accepted_and_checked(served):
    server, request = served
    prog = {"plan_id": server.state.plan["plan_id"], "done": 0, "total": 2, "current": None, "state": "running"}
    assert request("POST", "/progress", body=json.dumps(prog).encode())[0] == 204
    assert server.state.progress == prog
    assert request("POST", "/progress", body=b'{"done": "x"}')[0] == 422


def test_other_methods(served):
    _, request = served
    assert request("DELETE", "/plan.json")[0] == 405
    assert request("PUT", "/report", body=b"{}")[0] == 405


def test_stand_in_over_http(served, tmp_path):
    """Network mode end to end: the stand-in fetches plan and models over HTTP, times, posts the report."""
    server, _ = served
    docs = tmp_path / "phone-docs"
    proc = subprocess.run(
        [
            *STANDIN_CMD,
            "--server",
            server.url(),
            "--token",
            server.state.token,
            "--autostart",
            "--documents",
            str(docs),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert server.state.reports and server.state.reports[-1]["stored"] == 2
    assert _stored(tmp_path) == 2
    assert server.state.progress["state"] == "finished"
    assert sha256_path(docs / "tiny.mlpackage") == server.state.plan["runs"][0]["sha256"]


def test_stand_in_with_a_wrong_token_gets_nothing(served, tmp_path):
    server, _ = served
    proc = subprocess.run(
        [
            *STANDIN_CMD,
            "--server",
            server.url(),
            "--token",
            "x" * 32,
            "--autostart",
            "--documents",
            str(tmp_path / "docs"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "401" in proc.stderr
    assert not (tmp_path / "docs" / "tiny.onnx").exists()
    assert _stored(tmp_path) == 0


def test_safe_relpath():
    assert safe_relpath("a.mlpackage/Data/w.bin") == "a.mlpackage/Data/w.bin"
    for bad in ("", "/a", "a/../b", "..", "a//b", "a\\b", "a/./b", "a\x00b", "a/"):
        assert safe_relpath(bad) is None


def test_server_refuses_short_tokens_and_busy_ports(plan_dir, tmp_path):
    from mobench.core.errors import UsageError

    with pytest.raises(UsageError, match="at least 16 characters"):
        make_server(plan_dir, port=0, token="short")
    first = make_server(plan_dir, port=0, reports_dir=tmp_path)
    try:
        with pytest.raises(UsageError, match="choose another --port"):
            make_server(plan_dir, port=first.port, reports_dir=tmp_path)
    finally:
        first.server_close()
