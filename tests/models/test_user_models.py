"""Models the user brings: factories, model files, preset files, through the real CLI and store."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pytest

NET = textwrap.dedent('''
    import torch
    import torch.nn as nn


    class RepBlock(nn.Module):
        """Two parallel 3x3 convs that fuse into one (a minimal reparameterizable block)."""

        def __init__(self, c):
            super().__init__()
            self.a = nn.Conv2d(c, c, 3, padding=1)
            self.b = nn.Conv2d(c, c, 3, padding=1)
            self.fused = None

        def forward(self, x):
            return self.fused(x) if self.fused is not None else self.a(x) + self.b(x)

        def reparameterize(self):
            f = nn.Conv2d(self.a.in_channels, self.a.out_channels, 3, padding=1)
            f.weight.data = self.a.weight.data + self.b.weight.data
            f.bias.data = self.a.bias.data + self.b.bias.data
            self.fused = f
            del self.a, self.b


    def build():
        return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))


    def small():
        return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 32 * 32, 10)), (3, 32, 32)


    def rep():
        return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), RepBlock(8), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))


    def not_a_module():
        return 42


    def bad_forward():
        return nn.Linear(5, 10)
''')

QUICK = ["--protocol", "quick", "--rounds", "2", "--inferences", "5", "--warmup", "1"]


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOBENCH_RESULTS", str(tmp_path / "results"))
    (tmp_path / "net.py").write_text(NET)
    return tmp_path


def tiny_torch():
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, padding=1, groups=8),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 10),
    ).eval()


def write_onnx(path: Path, size: int = 48, dynamic_batch: bool = True) -> Path:
    import torch

    torch.onnx.export(
        tiny_torch(),
        (torch.randn(1, 3, size, size),),
        str(path),
        input_names=["x"],
        dynamic_axes={"x": {0: "batch"}} if dynamic_batch else None,
        dynamo=False,
        opset_version=17,
    )
    return path


def runs(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as con:
        return con.execute("select model, status, artifact_sha256, artifact_path from runs").fetchall()


# ------------------------------------------------------------------ factories


def test_factory_file_is_named_by_content_and_edits_make_a_new_model(work):
    from mobench.core.util import sha256_path
    from mobench.models import model_info, resolve_name

    key = resolve_name(str(work / "net.py") + ":build")
    sha = sha256_path(work / "net.py")
    assert key == f"net.py:build@{sha[:10]}"
    info = model_info(key)
    assert info.input_size == 224 and info.source == "user factory" and info.config["sha256"] == sha
    assert resolve_name("net.py:small").startswith("net.py:small@")  # relative to the working folder
    assert model_info(resolve_name("net.py:small")).input_size == 32  # (module, (3, S, S))
    (work / "net.py").write_text(NET + "\n# edited\n")
    key2 = resolve_name("net.py:build")
    assert key2 != key and key2.startswith("net.py:build@")


def test_module_factory_and_reparameterization(work, monkeypatch):
    from mobench.models import build_deployed, model_info, resolve_name
    from mobench.models.complexity import model_complexity

    pkg = work / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "nets.py").write_text(NET)
    monkeypatch.syspath_prepend(str(work))
    key = resolve_name("mypkg.nets:rep")
    assert key.startswith("mypkg.nets:rep@")
    info = model_info(key)
    assert info.reparameterizable is True
    fused = build_deployed(key)
    assert not any(hasattr(m, "a") for m in fused.modules() if type(m).__name__ == "RepBlock")
    c = model_complexity(key)
    # fused graph: 3->8 conv (216+8) + one fused 8->8 conv (576+8) + linear (80+10)
    assert c["params"] == 224 + 584 + 90
    assert c["macs"] == 224 * 224 * (8 * 27 + 8 * 72) + 80


def test_factory_bench_analyze_plot_report(work, run_cli):
    db = work / "r.sqlite"
    onnx = write_onnx(work / "tiny.onnx")
    code, out, err = run_cli(
        [
            "bench",
            "-m",
            "net.py:build",
            "-m",
            "net.py:rep",
            "-m",
            "net.py:small",
            "-m",
            str(onnx),
            *QUICK,
            "--db",
            str(db),
            "--json",
        ]
    )
    assert code == 0, err
    rows = json.loads(out)
    names = [r["model"] for r in rows]
    assert [n.split("@")[0] for n in names] == ["net.py:build", "net.py:rep", "net.py:small", "tiny.onnx"]
    stored = runs(db)
    assert len(stored) == 4 and all(s[1] == "ok" for s in stored)
    # the model file was timed as it is: no export, its own sha256
    from mobench.core.util import sha256_path

    file_run = next(s for s in stored if s[0].startswith("tiny.onnx@"))
    assert file_run[2] == sha256_path(onnx) and Path(file_run[3]) == onnx
    # the factory with reparameterize() was exported fused
    import onnx as onnx_lib

    rep_path = next(s[3] for s in stored if s[0].startswith("net.py:rep@"))
    convs = [n for n in onnx_lib.load(rep_path).graph.node if n.op_type == "Conv"]
    assert len(convs) == 2
    # a second run of the same sweep is reused, not re-timed (one model alone would be another
    # measurement: several interleaved models run the cpu device with ONNX Runtime's spinning off)
    again = ["bench", "-m", "net.py:build", "-m", "net.py:rep", "-m", "net.py:small", "-m", str(onnx), *QUICK]
    code, out, err = run_cli([*again, "--db", str(db), "--json"])
    assert code == 0 and len(runs(db)) == 4 and all(r["reused"] for r in json.loads(out))

    code, out, err = run_cli(["analyze", "--db", str(db), "--device", "cpu", "--json", "--bootstrap", "100"])
    assert code == 0, err
    res = json.loads(out)
    assert res["complexity_errors"] == {}
    (cpu,) = [t for t in res["latency_ms"] if t.startswith("cpu/")]  # one cpu target (cpu/ort-<version>/<n>t)
    assert len(res["latency_ms"][cpu]) == 4
    by_metric = {r["metric"]: r for r in res["correlations"] if r["device"] == cpu}
    assert by_metric["macs"]["n"] == 4 and by_metric["params"]["n"] == 4  # the file's counts joined in
    code, out, err = run_cli(
        ["plot", "--db", str(db), "--device", "cpu", "--kind", "complexity,distribution", "--out", str(work / "plots")]
    )
    assert code == 0, err
    assert list((work / "plots").glob("*.png"))
    code, out, err = run_cli(["report", "--db", str(db), "--device", "cpu", "--out", str(work / "rep")])
    assert code == 0, err
    html = (work / "rep" / "report.html").read_text()
    assert "net.py:build@" in html and "tiny.onnx@" in html


# ------------------------------------------------------------------ model files


def test_onnx_file_complexity_is_read_from_the_graph(work):
    from mobench.models import resolve_name
    from mobench.models.complexity import count_macs, count_params, model_complexity

    key = resolve_name(str(write_onnx(work / "tiny.onnx", size=48)))
    c = model_complexity(key)
    m = tiny_torch()
    assert c["params"] == count_params(m)
    assert c["macs"] == count_macs(m, 48)  # same convention as torch's FLOP counter
    assert c["input_size"] == 48


def test_onnx_with_uncountable_op_is_not_counted(work):
    import onnx
    from onnx import TensorProto, helper

    from mobench.models import resolve_name
    from mobench.models.complexity import model_complexity

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 4], [0.5] * 16)
    node = helper.make_node("Einsum", ["x", "w"], ["y"], equation="ij,jk->ik")
    model = helper.make_model(
        helper.make_graph([node], "g", [x], [y], [w]), opset_imports=[helper.make_opsetid("", 17)]
    )
    onnx.save(model, work / "einsum.onnx")
    c = model_complexity(resolve_name(str(work / "einsum.onnx")))
    assert c["params"] == 16 and c["macs"] is None and c["macs_m"] is None


def test_model_file_on_a_device_of_another_format_is_refused(work, run_cli):
    onnx = write_onnx(work / "tiny.onnx")
    db = work / "r.sqlite"
    code, _, err = run_cli(["bench", "-m", str(onnx), "--device", "torch", *QUICK, "--db", str(db)])
    assert code != 0
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "onnx file" in lines[0] and "--device cpu" in lines[0], err
    assert runs(db) == []


@pytest.fixture(scope="module")
def mlpackage(tmp_path_factory):
    ct = pytest.importorskip("coremltools")
    import torch

    m = tiny_torch()
    ep = torch.export.export(m, (torch.randn(1, 3, 32, 32),)).run_decompositions({})
    ml = ct.convert(
        ep, convert_to="mlprogram", minimum_deployment_target=ct.target.iOS16, compute_precision=ct.precision.FLOAT16
    )
    path = tmp_path_factory.mktemp("ml") / "tiny.mlpackage"
    ml.save(str(path))
    return path


def test_mlpackage_params_and_ios_plan(work, run_cli, mlpackage):
    from mobench.core.util import sha256_path
    from mobench.models import resolve_name
    from mobench.models.complexity import count_params, model_complexity

    before = sha256_path(mlpackage)
    key = resolve_name(str(mlpackage))
    c = model_complexity(key)
    assert c["params"] == count_params(tiny_torch()) and c["macs"] is None
    code, out, err = run_cli(["ios", "plan", "-m", str(mlpackage), "--protocol", "quick", "-o", str(work / "plan")])
    assert code == 0, err
    plan = json.loads((work / "plan" / "plan.json").read_text())
    (r,) = plan["runs"][:1]
    assert r["model"] == key and r["sha256"] == before
    assert sha256_path(work / "plan" / r["file"]) == before
    assert sha256_path(mlpackage) == before and mlpackage.exists()  # the user's file is copied, not moved
    code, out, err = run_cli(["models", "--preset", str(_preset(work, [str(mlpackage)])), "--json"])
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["name"] == key and row["macs_m"] is None


def test_pte_file(work, run_cli):
    pytest.importorskip("executorch.exir", reason="ExecuTorch is not installed")
    import torch
    from executorch.exir import to_edge_transform_and_lower

    from mobench.models import resolve_name
    from mobench.models.complexity import model_complexity

    ep = torch.export.export(tiny_torch(), (torch.randn(1, 3, 32, 32),))
    (work / "tiny.pte").write_bytes(to_edge_transform_and_lower(ep).to_executorch().buffer)
    key = resolve_name(str(work / "tiny.pte"))
    c = model_complexity(key)
    assert c["params"] is None and c["macs"] is None and c["input_size"] == 32
    from mobench.devices import DEVICES

    if "executorch" not in DEVICES:
        pytest.skip("no executorch device is registered in this checkout; the .pte was resolved and read only")
    db = work / "r.sqlite"
    code, _, err = run_cli(["bench", "-m", str(work / "tiny.pte"), "--device", "executorch", *QUICK, "--db", str(db)])
    assert code == 0, err
    assert runs(db)[0][1] == "ok"


# ------------------------------------------------------------------ preset files


def _preset(work: Path, models: list[str]) -> Path:
    p = work / "my.toml"
    p.write_text("models = [" + ", ".join(json.dumps(m) for m in models) + "]\n")
    return p


def test_preset_file_with_names_and_paths(work, run_cli):
    sub = work / "sub"
    sub.mkdir()
    (sub / "net.py").write_text(NET)
    write_onnx(sub / "tiny.onnx")
    preset = sub / "my.toml"
    preset.write_text('models = ["mobileone_s0", "net.py:build", "tiny.onnx"]\n')  # relative to the file
    code, out, err = run_cli(["models", "--preset", str(preset), "--json", "--no-counts"])
    assert code == 0, err
    names = [r["name"] for r in json.loads(out)]
    assert names[0] == "mobileone_s0" and names[1].startswith("net.py:build@") and names[2].startswith("tiny.onnx@")
    db = work / "r.sqlite"
    preset.write_text('models = ["net.py:build", "tiny.onnx"]\n')
    code, out, err = run_cli(["bench", "--preset", str(preset), *QUICK, "--db", str(db)])
    assert code == 0, err
    assert len(runs(db)) == 2


# ------------------------------------------------------------------ bad input: one line, non-zero, nothing stored


BAD = [
    (["net.py:nope"], "function 'nope' is missing"),
    (["missing.py:build"], "does not exist"),
    (["broken.py:build"], "does not import: ZeroDivisionError: division by zero"),
    (["net.py:not_a_module"], "not a torch.nn.Module"),
    (["net.py:bad_forward"], "forward pass fails at 1x3x224x224"),
    (["nothere.onnx"], "does not exist"),
    (["corrupt.onnx"], "not a readable ONNX model"),
    (["weights.bin"], "unknown model file kind '.bin'"),
    (["corrupt.mlpackage"], "not a readable Core ML model"),
    (["corrupt.pte"], "not a readable ExecuTorch program"),
    (["nosuchpkg.mod:build"], "does not import: ModuleNotFoundError"),
]


@pytest.mark.parametrize("models,message", BAD, ids=[m[0] for m, _ in BAD])
def test_bad_input_is_one_line_and_nothing_is_stored(work, run_cli, models, message):
    (work / "broken.py").write_text("import torch\nx = 1 / 0\ndef build():\n    pass\n")
    (work / "corrupt.onnx").write_bytes(b"\x08\x07garbage that is not a protobuf" * 3)
    (work / "weights.bin").write_bytes(b"\0" * 64)
    (work / "corrupt.mlpackage").mkdir()
    (work / "corrupt.pte").write_bytes(b"not a flatbuffer")
    db = work / "r.sqlite"
    argv = ["bench", *[a for m in models for a in ("-m", m)], *QUICK, "--db", str(db)]
    code, _, err = run_cli(argv)
    assert code != 0
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert message in lines[0], lines[0]
    assert "Traceback" not in err
    assert runs(db) == []


def test_model_file_without_a_fixed_input_shape_is_refused(work, run_cli):
    import torch

    torch.onnx.export(
        tiny_torch(),
        (torch.randn(1, 3, 32, 32),),
        str(work / "dyn.onnx"),
        input_names=["x"],
        dynamic_axes={"x": {0: "b", 2: "h", 3: "w"}},
        dynamo=False,
        opset_version=17,
    )
    db = work / "r.sqlite"
    code, _, err = run_cli(["bench", "-m", "dyn.onnx", *QUICK, "--db", str(db)])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0 and len(lines) == 1 and "x: [b?, 3, h?, w?] float32" in lines[0], err
    assert "--input x=1x3x224x224" in lines[0]
    assert runs(db) == []


def test_model_file_show_and_export_refusal(work, run_cli):
    onnx = write_onnx(work / "tiny.onnx")
    code, out, err = run_cli(["models", "show", str(onnx), "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["source"] == "user artifact" and data["params_m"] == pytest.approx(394 / 1e6, abs=1e-3)
    code, _, err = run_cli(["export", "-m", str(onnx), "--format", "onnx", "--out", str(work / "ex")])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0 and len(lines) == 1 and "timed as it is" in lines[0], err


def test_torch_device_feeds_the_factory_input_size(work, run_cli):
    db = work / "r.sqlite"
    code, _, err = run_cli(["bench", "-m", "net.py:small", "--device", "torch", *QUICK, "--db", str(db)])
    assert code == 0, err
    assert runs(db)[0][1] == "ok"
    code, _, err = run_cli(
        ["bench", "-m", "net.py:small", "-m", "net.py:build", "--device", "torch", *QUICK, "--db", str(db)]
    )
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0 and len(lines) == 1 and "different input sizes (32, 224)" in lines[0], err


def _einsum_onnx(path: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 4], [0.5] * 16)
    node = helper.make_node("Einsum", ["x", "w"], ["y"], equation="ij,jk->ik")
    onnx.save(
        helper.make_model(helper.make_graph([node], "g", [x], [y], [w]), opset_imports=[helper.make_opsetid("", 17)]),
        path,
    )
    return path


def test_not_counted_is_shown_as_such_in_report_and_plots(work, run_cli):
    db = work / "r.sqlite"
    models = [
        str(_einsum_onnx(work / "einsum.onnx")),
        str(write_onnx(work / "tiny.onnx")),
        "net.py:build",
        "net.py:small",
    ]
    code, _, err = run_cli(["bench", *[a for m in models for a in ("-m", m)], *QUICK, "--db", str(db)])
    assert code == 0, err
    code, out, err = run_cli(["analyze", "--db", str(db), "--device", "cpu", "--json", "--bootstrap", "100"])
    assert code == 0, err
    by_metric = {r["metric"]: r for r in json.loads(out)["correlations"] if r["device"].startswith("cpu/")}
    assert by_metric["params"]["n"] == 4 and by_metric["macs"]["n"] == 3  # the Einsum file's MACs are not 0
    code, _, err = run_cli(
        ["plot", "--db", str(db), "--device", "cpu", "--kind", "complexity", "--out", str(work / "p")]
    )
    assert code == 0, err
    code, _, err = run_cli(["report", "--db", str(db), "--device", "cpu", "--out", str(work / "rep")])
    assert code == 0, err
    html = (work / "rep" / "report.html").read_text()
    row = html[html.index("einsum.onnx@", html.index("Complexity metrics")) :][:400]
    assert "not counted" in row


def test_a_new_process_finds_the_model_by_its_stored_name(work):
    import os
    import subprocess
    import sys

    import mobench

    env = {
        **os.environ,
        "PYTHONPATH": str(Path(mobench.__file__).resolve().parents[1]),
        "MOBENCH_CACHE_DIR": str(work / "cache"),
    }

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "mobench", *args],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=work,
            check=False,
        )

    p = cli("models", "show", "net.py:small", "--json", "--no-counts")
    assert p.returncode == 0, p.stderr
    key = json.loads(p.stdout)["name"]
    p = cli("models", "show", key, "--json")  # a new process: found through the index, built, counted
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["input_size"] == 32
    assert data["params_m"] == pytest.approx((4 * 27 + 4 + 4 * 32 * 32 * 10 + 10) / 1e6, abs=1e-3)
    (work / "net.py").write_text(NET + "\n# edited\n")
    (work / "cache" / "complexity.json").unlink()
    p = cli("models", "show", key, "--json")  # the stored name no longer matches the file
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode != 0 and len(lines) == 1 and "changed since" in lines[0], p.stderr
    env["MOBENCH_CACHE_DIR"] = str(work / "fresh-cache")
    p = cli("models", "show", key, "--json", "--no-counts")
    assert p.returncode != 0 and "is not known on this machine" in p.stderr


def test_unfused_factory_at_its_own_input_size(work, run_cli):
    import onnx as onnx_lib

    db = work / "r.sqlite"
    code, _, err = run_cli(["bench", "-m", "net.py:small", "-m", "net.py:rep", "--unfused", *QUICK, "--db", str(db)])
    assert code == 0, err
    stored = runs(db)
    assert [s[1] for s in stored] == ["ok", "ok"]
    rep_path = next(s[3] for s in stored if s[0].startswith("net.py:rep@"))
    assert len([n for n in onnx_lib.load(rep_path).graph.node if n.op_type == "Conv"]) == 3  # both branches kept
    small_path = next(s[3] for s in stored if s[0].startswith("net.py:small@"))
    dims = onnx_lib.load(small_path).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [1, 3, 32, 32]
