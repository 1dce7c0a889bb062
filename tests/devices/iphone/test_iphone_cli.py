"""`mobench ios ...` as a user runs it: help texts, one-line errors, run/serve end to end with the stand-in."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from iphone_helpers import STANDIN_CMD

from mobench.results import load


@pytest.mark.parametrize("sub", ["devices", "plan", "run", "serve", "ingest"])
def test_help_texts_teach(cli, sub):
    code, out, _ = cli("ios", sub, "--help")
    assert code == 0
    if sub != "devices":
        assert "Examples:" in out
    assert f"mobench ios {sub}" in out


def test_ios_help_lists_commands(cli):
    code, out, _ = cli("ios", "--help")
    assert code == 0
    for sub in ("devices", "plan", "run", "serve", "ingest"):
        assert sub in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["ios", "plan", "-m", "mobilenet_v3_small", "-c", "all,tpu", "-o", "x"], "unknown compute units 'tpu'"),
        (["ios", "plan", "-o", "x"], "no models given"),
        (["ios", "run"], "give --plan DIR or --model NAME"),
        (["ios", "run", "--plan", "p", "--transport", "usb"], "unknown transport 'usb'"),
        (["ios", "run", "--plan", "p", "--transport", "folder"], "--transport folder needs --documents"),
        (["ios", "run", "--plan", "p", "--transport", "devicectl"], "devicectl needs the device: pass --udid"),
        (["ios", "ingest", "/nonexistent/report.json"], "cannot read /nonexistent/report.json"),
        (["ios", "serve", "--plan", "/nonexistent"], "cannot read /nonexistent/plan.json"),
    ],
)
def test_bad_input_is_one_line(cli, args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(*args)
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], err


def test_plan_refuses_to_overwrite(cli, tmp_path, plan_dir):
    code, _, err = cli("ios", "plan", "-m", "mobilenet_v3_small", "-o", plan_dir)
    assert code == 2 and "exists and is not empty; pass --force" in err


def test_run_with_the_stand_in_then_results_list(cli, tmp_path, plan_dir):
    db = tmp_path / "r.sqlite"
    app = " ".join(STANDIN_CMD)
    code, out, err = cli(
        "ios",
        "run",
        "--plan",
        plan_dir,
        "--transport",
        "folder",
        "--documents",
        tmp_path / "docs",
        "--app-command",
        app,
        "--db",
        db,
        "--poll",
        "0.1",
        "--timeout",
        "300",
    )
    assert code == 0, err
    assert "stored 2 run(s) (0 already stored)" in out
    assert "cpuAndNeuralEngine" in out and "PythonStandIn" in out
    code, out, err = cli("results", "list", "--db", db, "--device", "iphone")
    assert code == 0, err
    assert out.count("tiny") == 2
    assert len(load(db)) == 2


def _start_serve(plan_dir, tmp_path, *extra):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mobench",
            "ios",
            "serve",
            "--plan",
            str(plan_dir),
            "--port",
            "0",
            "--db",
            str(tmp_path / "r.sqlite"),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    url = token = None
    deadline = time.monotonic() + 120
    lines = []
    while time.monotonic() < deadline and not (url and token):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if m := re.search(r"at (http://\S+)", line):
            url = m.group(1)
        if m := re.match(r"token: (\S+)", line):
            token = m.group(1)
    if not (url and token):
        proc.kill()
        raise AssertionError(f"serve did not start: {lines} {proc.stderr.read()}")
    return proc, url, token


def test_serve_command_end_to_end(tmp_path, plan_dir):
    proc, url, token = _start_serve(plan_dir, tmp_path, "--max-reports", "1")
    try:
        host, port = urlsplit(url).hostname, urlsplit(url).port
        assert host == "127.0.0.1"

        def req(method, path, body=None, auth=True):
            c = http.client.HTTPConnection(host, port, timeout=30)
            c.request(method, path, body=body, headers={"Authorization": f"Bearer {token}"} if auth else {})
            r = c.getresponse()
            out = (r.status, r.read())
            c.close()
            return out

        assert req("GET", "/plan.json", auth=False)[0] == 401
        assert req("POST", "/report", body=b'{"schema_version": 3}')[0] == 422
        assert req("POST", "/report", body=b"garbage")[0] == 400
        app = subprocess.run(
            [*STANDIN_CMD, "--server", url, "--token", token, "--autostart", "--documents", str(tmp_path / "phone")],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert app.returncode == 0, app.stderr
        out, err = proc.communicate(timeout=60)  # --max-reports 1: the server stops by itself
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, err
    assert "report plan" in out and "2 run(s) stored" in out
    assert out.count("rejected") == 1  # the wrong-version report (the garbage one never reached validation)
    assert len(load(tmp_path / "r.sqlite")) == 2


@pytest.mark.slow
def test_new_user_flow_with_real_exports(cli, tmp_path):
    """`mobench ios plan` (real Core ML + ONNX exports) -> run on the stand-in -> store -> results list."""
    plan = tmp_path / "plans" / "v3s"
    code, out, err = cli(
        "ios",
        "plan",
        "-m",
        "mobilenet_v3_small",
        "-c",
        "all,ane",
        "--rounds",
        "2",
        "--inferences",
        "5",
        "--warmup",
        "1",
        "--trim",
        "1",
        "--with-onnx",
        "-o",
        plan,
    )
    assert code == 0, err
    p = json.loads((plan / "plan.json").read_text())
    assert [r["compute_units"] for r in p["runs"]] == ["all", "cpuAndNeuralEngine"]
    assert (plan / "mobilenet_v3_small.mlpackage" / "Manifest.json").exists()
    import coremltools as ct

    spec = ct.utils.load_spec(str(plan / "mobilenet_v3_small.mlpackage"))
    assert spec.description.input[0].type.WhichOneof("Type") == "imageType"  # image input, as the app expects
    db = tmp_path / "r.sqlite"
    code, out, err = cli(
        "ios",
        "run",
        "--plan",
        plan,
        "--transport",
        "folder",
        "--documents",
        tmp_path / "docs",
        "--app-command",
        " ".join(STANDIN_CMD),
        "--db",
        db,
        "--poll",
        "0.2",
        "--timeout",
        "600",
    )
    assert code == 0, err
    code, out, _ = cli("results", "list", "--db", db)
    assert code == 0 and out.count("mobilenet_v3_small") == 2
    df = load(db)
    assert (df["device"] == "iphone").all() and (df["median_ms"] > 0).all()


def test_inference_override_scales_the_trim():
    from mobench.cli.ios import _config

    cfg = _config("modelbench", 2, 5, None, None, None)  # modelbench trims 10 of 50
    assert (cfg.rounds, cfg.inferences, cfg.trim, cfg.reload_per_round) == (2, 5, 1, True)
    assert cfg.input_kind == "image" and cfg.name == "modelbench+custom"
    assert _config("modelbench", None, None, None, None, None).name == "modelbench"
    assert _config("quick", None, 7, None, 3, None).trim == 3


def test_run_help_example_with_a_relative_app_command(cli, tmp_path, plan_dir, monkeypatch):
    """The --help example passes the stand-in by a relative path; it must work from the repo root."""
    import os

    from iphone_helpers import STANDIN

    monkeypatch.chdir(STANDIN.parents[3])
    rel = os.path.relpath(STANDIN)
    assert not os.path.isabs(rel)
    code, out, err = cli(
        "ios",
        "run",
        "--plan",
        plan_dir,
        "--transport",
        "folder",
        "--documents",
        tmp_path / "docs",
        "--app-command",
        f"{sys.executable} {rel}",
        "--db",
        tmp_path / "r.sqlite",
        "--poll",
        "0.1",
    )
    assert code == 0, err
    assert "stored 2 run(s)" in out
