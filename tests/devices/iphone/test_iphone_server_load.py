"""`mobench ios serve` under a lab's load, on 127.0.0.1: 50 clients at once, a few hundred requests
(report posts, plan and model downloads, clients that disconnect mid-request); it stops by itself."""

from __future__ import annotations

import http.client
import json
import random
import socket
import threading

from test_iphone_server import _report_for

from mobench.devices.remote.server import make_server
from mobench.results import Store

CLIENTS = 50
ROUNDS = 6  # requests per client: 300 in all
REPORTS = 10  # distinct reports, each posted by several clients


def test_fifty_clients_at_once(tmp_path, plan_dir, golden_report, capfd):
    events: list[tuple[str, dict]] = []
    ev_lock = threading.Lock()

    def on_event(kind, data):
        with ev_lock:
            events.append((kind, data))

    server = make_server(plan_dir, port=0, db=tmp_path / "r.sqlite", reports_dir=tmp_path / "rep", on_event=on_event)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    plan = server.state.plan
    token = server.state.token
    auth = {"Authorization": f"Bearer {token}"}
    reports = []
    for k in range(REPORTS):
        rep = _report_for(plan, golden_report)
        for run in rep["runs"]:
            run["samples_ms"] = [[v + 0.001 * k for v in rnd] for rnd in run["samples_ms"]]
        reports.append(json.dumps(rep).encode())
    model_file = next(f["path"] for f in server.state.listing if f["path"].endswith(".onnx"))

    statuses: list[tuple[str, int]] = []
    failures: list[str] = []
    dropped_by_clients = 0
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def request(method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            headers = dict(auth)
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, data
        finally:
            conn.close()

    def drop_mid_request(kind: int) -> None:
        """Connect, send part of a request, go away (an app killed mid-upload)."""
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        try:
            if kind == 0:  # headers announce a body that never comes in full
                s.sendall(
                    f"POST /report HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                    'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"plan_id"'.encode()
                )
            else:  # a download abandoned right after asking
                s.sendall(
                    f"GET /files/{model_file} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
                )
                s.recv(10)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
        finally:
            s.close()

    def client(i: int) -> None:
        nonlocal dropped_by_clients
        rng = random.Random(i)
        barrier.wait()  # all 50 connect at the same moment
        for r in range(ROUNDS):
            what = (i + r) % 4
            try:
                if i % 10 == 9 and r == 0:
                    drop_mid_request(i % 2)
                    with lock:
                        dropped_by_clients += 1
                    continue
                if what == 0:
                    status, body = request("POST", "/report", reports[rng.randrange(REPORTS)])
                    ok = status == 200 and {"stored", "duplicates"} <= set(json.loads(body))
                elif what == 1:
                    status, body = request("GET", "/plan.json")
                    ok = status == 200 and json.loads(body)["plan_id"] == plan["plan_id"]
                elif what == 2:
                    status, body = request("GET", f"/files/{model_file}")
                    ok = status == 200 and len(body) == (plan_dir / model_file).stat().st_size
                else:
                    status, body = request("GET", "/files")
                    ok = status == 200
                with lock:
                    statuses.append((["report", "plan", "model", "files"][what], status))
                    if not ok:
                        failures.append(f"client {i}: {status} {body[:200]!r}")
            except OSError as exc:  # a reset, a refused connection, a timeout
                with lock:
                    failures.append(f"client {i}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    try:
        assert not any(t.is_alive() for t in threads)
        # every report client posted: exactly once each in the store, all others duplicates
        for rep in reports:
            status, body = request("POST", "/report", rep)  # each one once more: all duplicates now
            assert status == 200 and json.loads(body)["stored"] == 0
    finally:
        server.shutdown()
        server.server_close()

    assert failures == [], failures[:5]
    assert len(statuses) == CLIENTS * ROUNDS - dropped_by_clients >= 250
    assert {s for _, s in statuses} == {200}
    runs_per_report = len(json.loads(reports[0])["runs"])
    with Store(tmp_path / "r.sqlite", readonly=True) as st:
        keys = [(r["model"], r["extra_json"]) for r in st._query("SELECT model, extra_json FROM runs")]
        assert len(keys) == REPORTS * runs_per_report == len(set(keys))  # each report's runs stored exactly once
        assert st.integrity_problems() == []
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    dropped = [d for k, d in events if k == "dropped"]
    assert 1 <= len(dropped) <= dropped_by_clients  # each is one event (one line in `mobench ios serve`)
    assert not [d for k, d in events if k == "error"]
