"""Real-world inputs through the real CLI and store: free dims, several inputs, int and bool dtypes, .npz data.

The models are built here: ONNX graphs with free dims (a detector with free height and
width, a four-input graph of float, int64, bool and an int64 scalar, weights held as
Constant nodes, control flow), an ExecuTorch program of two inputs, a factory returning a
dict of inputs and a Core ML model of two inputs for ``ios plan``.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import numpy as np
import pytest
from two_input_model import make_two_input_mlpackage

QUICK = ["--protocol", "quick", "--rounds", "1", "--inferences", "3", "--warmup", "1"]


def _onnx():
    import onnx
    from onnx import TensorProto as T
    from onnx import helper as h
    from onnx import numpy_helper as nh

    return onnx, T, h, nh


def write_detector(path: Path, hw: tuple = ("height", "width")) -> Path:
    """A conv 'detector' with input x [batch, 3, height, width] and its weight as a Constant node."""
    onnx, T, h, nh = _onnx()
    w = np.random.default_rng(0).standard_normal((8, 3, 3, 3)).astype(np.float32)
    nodes = [
        h.make_node("Constant", [], ["W"], value=nh.from_array(w, "W")),
        h.make_node("Conv", ["x", "W"], ["y"], pads=[1, 1, 1, 1]),
    ]
    g = h.make_graph(
        nodes,
        "det",
        [h.make_tensor_value_info("x", T.FLOAT, ["batch", 3, *hw])],
        [h.make_tensor_value_info("y", T.FLOAT, ["batch", 8, *hw])],
    )
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), str(path))
    return path


def write_multi(path: Path) -> Path:
    """Four inputs: a [batch, 16] float32, ids [batch, seq] int64, mask [batch, seq] bool, n [] int64."""
    onnx, T, h, nh = _onnx()
    rng = np.random.default_rng(1)
    nodes = [
        h.make_node("Constant", [], ["Wc"], value=nh.from_array(rng.standard_normal((16, 8)).astype(np.float32), "Wc")),
        h.make_node("Constant", [], ["E"], value=nh.from_array(rng.standard_normal((10, 8)).astype(np.float32), "E")),
        h.make_node("MatMul", ["a", "Wc"], ["am"]),
        h.make_node("Gather", ["E", "ids"], ["emb"]),
        h.make_node("Cast", ["mask"], ["mf"], to=T.FLOAT),
        h.make_node("Unsqueeze", ["mf", "ax"], ["mfu"]),
        h.make_node("Mul", ["emb", "mfu"], ["em"]),
        h.make_node("ReduceSum", ["em", "ax1"], ["es"], keepdims=0),
        h.make_node("Cast", ["n"], ["nf"], to=T.FLOAT),
        h.make_node("Add", ["am", "es"], ["s"]),
        h.make_node("Mul", ["s", "nf"], ["out"]),
    ]
    inits = [nh.from_array(np.array([-1], np.int64), "ax"), nh.from_array(np.array([1], np.int64), "ax1")]
    g = h.make_graph(
        nodes,
        "multi",
        [
            h.make_tensor_value_info("a", T.FLOAT, ["batch", 16]),
            h.make_tensor_value_info("ids", T.INT64, ["batch", "seq"]),
            h.make_tensor_value_info("mask", T.BOOL, ["batch", "seq"]),
            h.make_tensor_value_info("n", T.INT64, []),
        ],
        [h.make_tensor_value_info("out", T.FLOAT, ["batch", 8])],
        inits,
    )
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), str(path))
    return path


def write_if(path: Path) -> Path:
    """A MatMul inside an If branch: its MACs cannot be counted honestly."""
    onnx, T, h, nh = _onnx()
    w = nh.from_array(np.ones((4, 4), np.float32), "W")
    branch = h.make_graph(
        [h.make_node("MatMul", ["x", "W"], ["yb"])], "b", [], [h.make_tensor_value_info("yb", T.FLOAT, [1, 4])], [w]
    )
    other = h.make_graph(
        [h.make_node("Identity", ["x"], ["yo"])], "o", [], [h.make_tensor_value_info("yo", T.FLOAT, [1, 4])]
    )
    g = h.make_graph(
        [h.make_node("If", ["c"], ["y"], then_branch=branch, else_branch=other)],
        "ifg",
        [h.make_tensor_value_info("x", T.FLOAT, [1, 4]), h.make_tensor_value_info("c", T.BOOL, [])],
        [h.make_tensor_value_info("y", T.FLOAT, [1, 4])],
    )
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), str(path))
    return path


def multi_npz(path: Path, seq: int = 6, **over) -> Path:
    arrays = {
        "a": np.ones((1, 16), np.float32),
        "ids": np.arange(seq, dtype=np.int64).reshape(1, seq) % 10,
        "mask": np.ones((1, seq), bool),
        "n": np.array(3, np.int64),
    }
    arrays.update(over)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return path


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOBENCH_RESULTS", str(tmp_path / "results"))
    return tmp_path


def runs(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as con:
        return con.execute("SELECT model, status FROM runs ORDER BY id").fetchall()


def one_line_error(code: int, err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0 and len(lines) == 1 and lines[0].startswith("error:"), err
    return lines[0]


# --------------------------------------------------------------------------- cpu: a detector with free H and W


def test_free_height_and_width_need_input_and_each_shape_is_its_own_measurement(work, run_cli):
    det = write_detector(work / "det.onnx")
    db = work / "r.sqlite"
    code, _, err = run_cli(["bench", "-m", str(det), *QUICK, "--db", str(db)])
    line = one_line_error(code, err)
    assert "x: [batch?, 3, height?, width?] float32" in line and "--input x=1x3x224x224" in line
    assert runs(db) == []

    code, out, err = run_cli(["bench", "-m", str(det), "-i", "x=1x3x32x32", *QUICK, "--db", str(db), "--json"])
    assert code == 0, err
    first = json.loads(out)[0]["model"]
    assert first.startswith("det.onnx@") and first.endswith("+x=1x3x32x32")
    code, out, err = run_cli(["bench", "-m", str(det), "-i", "x=1x3x48x64", *QUICK, "--db", str(db), "--json"])
    assert code == 0, err
    assert json.loads(out)[0]["model"].endswith("+x=1x3x48x64")
    # the same shape again is the stored measurement (reused), another shape is not
    code, out, err = run_cli(["bench", "-m", str(det), "-i", "x=1x3x32x32", *QUICK, "--db", str(db), "--json"])
    assert code == 0, err
    assert [m for m, _ in runs(db)] == [first, first.replace("32x32", "48x64")]

    code, out, err = run_cli(["results", "export", "--format", "json", "--db", str(db)])
    assert code == 0, err
    rows = json.loads(out)
    assert [r["inputs"] for r in rows] == ["x: [1, 3, 32, 32] float32", "x: [1, 3, 48, 64] float32"]


@pytest.mark.parametrize(
    "inputs, words",
    [
        (["x=1x4x32x32"], "dim 1 is 4 but the model fixes it at 3"),
        (["y=1x3x32x32"], "has no input 'y'"),
        (["x=1x3x0x32"], "positive integer"),
        (["x=1x3xbig"], "not a list of sizes"),
        (["x"], "malformed"),
        (["x=1x3x32"], "3 dim(s) given"),
    ],
)
def test_bad_input_is_one_line_and_stores_nothing(work, run_cli, inputs, words):
    det = write_detector(work / "det.onnx")
    db = work / "r.sqlite"
    argv = ["bench", "-m", str(det), *[a for v in inputs for a in ("--input", v)], *QUICK, "--db", str(db)]
    code, _, err = run_cli(argv)
    assert words in one_line_error(code, err)
    assert runs(db) == []


def test_models_show_counts_at_the_chosen_shape(work, run_cli):
    det = write_detector(work / "det.onnx")
    code, out, err = run_cli(["models", "show", str(det), "--input", "x=1x3x64x64", "--json"])
    assert code == 0, err
    data = json.loads(out)
    # the weight is a Constant node: 8*3*3*3 params; MACs = 64*64*8 outputs x 27
    assert data["params_m"] == round(8 * 27 / 1e6, 3) and data["params_m"] is not None
    assert data["macs_m"] == round(64 * 64 * 8 * 27 / 1e6, 1)
    code, out, _ = run_cli(["models", "show", str(det), "--input", "x=1x3x128x128", "--json"])
    assert json.loads(out)["macs_m"] == round(128 * 128 * 8 * 27 / 1e6, 1)


def write_einsum(path: Path) -> Path:
    onnx, T, h, nh = _onnx()
    g = h.make_graph(
        [h.make_node("Einsum", ["x", "W"], ["y"], equation="ij,jk->ik")],
        "ein",
        [h.make_tensor_value_info("x", T.FLOAT, [1, 4])],
        [h.make_tensor_value_info("y", T.FLOAT, [1, 4])],
        [nh.from_array(np.ones((4, 4), np.float32), "W")],
    )
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), str(path))
    return path


def test_an_if_is_counted_as_the_branch_the_inputs_take(work, run_cli):
    from mobench.models.artifact import resolve_artifact
    from mobench.models.complexity import model_complexity

    cx = model_complexity(resolve_artifact(str(write_if(work / "if.onnx"))))
    assert cx["params"] == 16  # the initializer inside the If branch
    assert cx["macs"] == 16  # the seeded bool condition is True: the MatMul branch (1x4 @ 4x4)


def test_uncounted_macs_say_why_never_zero(work, run_cli):
    code, out, err = run_cli(["models", "show", str(write_einsum(work / "ein.onnx")), "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["params_m"] is not None
    assert (
        data["macs_m"] is None and data["macs_note"] == "not counted: the graph has Einsum, whose MACs are not counted"
    )


def test_a_graph_without_weights_has_params_not_counted(work, run_cli):
    onnx, T, h, _ = _onnx()
    g = h.make_graph(
        [h.make_node("Relu", ["x"], ["y"])],
        "relu",
        [h.make_tensor_value_info("x", T.FLOAT, [1, 4])],
        [h.make_tensor_value_info("y", T.FLOAT, [1, 4])],
    )
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), str(work / "relu.onnx"))
    code, out, err = run_cli(["models", "show", str(work / "relu.onnx"), "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["params_m"] is None and data["params_note"].startswith("not counted: the graph holds no")


# --------------------------------------------------------------------------- cpu: several inputs of several dtypes


def test_several_inputs_from_an_npz_are_fed_as_given(work, run_cli):
    m = write_multi(work / "multi.onnx")
    db = work / "r.sqlite"
    code, _, err = run_cli(["bench", "-m", str(m), *QUICK, "--db", str(db)])
    line = one_line_error(code, err)
    for spec in ("a: [batch?, 16] float32", "ids: [batch?, seq?] int64", "mask: [batch?, seq?] bool", "n: [] int64"):
        assert spec in line
    npz = multi_npz(work / "in.npz")
    code, out, err = run_cli(["bench", "-m", str(m), "--input-data", str(npz), *QUICK, "--db", str(db), "--json"])
    assert code == 0, err
    (row,) = json.loads(out)
    assert "+a=1x16,ids=1x6,mask=1x6,n=scalar+data=" in row["model"]
    code, out, _ = run_cli(["results", "export", "--format", "json", "--db", str(db)])
    (exp,) = json.loads(out)
    from mobench.core.util import sha256_path

    assert exp["input_data_sha256"] == sha256_path(npz)
    with sqlite3.connect(db) as con:  # stored with the run, in its own columns
        label, sha, spec = con.execute("SELECT input_label, input_data_sha256, inputs_json FROM runs").fetchone()
    assert label == f"a=1x16,ids=1x6,mask=1x6,n=scalar+data={sha256_path(npz)[:10]}" and sha == sha256_path(npz)
    assert [i["dtype"] for i in json.loads(spec)["inputs"]] == ["float32", "int64", "bool", "int64"]
    assert exp["inputs"] == "a: [1, 16] float32; ids: [1, 6] int64; mask: [1, 6] bool; n: [] int64"


def test_seeded_values_for_int_and_bool_inputs(work, run_cli):
    m = write_multi(work / "multi.onnx")
    db = work / "r.sqlite"
    code, out, err = run_cli(["bench", "-m", str(m), "-i", "ids=1x5", *QUICK, "--db", str(db), "--json"])
    assert code == 0, err  # mask takes the size of 'seq' from ids, the batch dims become 1
    assert json.loads(out)[0]["model"].endswith("+a=1x16,ids=1x5,mask=1x5,n=scalar")


def test_a_free_batch_becomes_one_and_the_output_says_so(work, run_cli):
    det = write_detector(work / "fixed.onnx", hw=(24, 24))
    db = work / "r.sqlite"
    code, out, err = run_cli(["bench", "-m", str(det), *QUICK, "--db", str(db), "--json"])
    assert code == 0, err
    model = json.loads(out)[0]["model"]
    assert "+" not in model  # the model's default inputs: no shape in its name
    assert "fixed.onnx: free batch dim of x set to 1" in err
    code, out, _ = run_cli(["models", "show", str(det), "--json"])
    assert json.loads(out)["input_notes"] == ["free batch dim of x set to 1"]


@pytest.mark.parametrize(
    "over, words",
    [
        ({"n": None}, "missing n"),
        ({"z": np.zeros(2, np.float32)}, "extra z"),
        ({"ids": np.zeros((1, 6), np.int32)}, "ids is int32, the model takes int64"),
        ({"a": np.zeros((1, 15), np.float32)}, "dim 1 is 15 but the model fixes it at 16"),
    ],
)
def test_bad_npz_is_one_line_and_stores_nothing(work, run_cli, over, words):
    m = write_multi(work / "multi.onnx")
    db = work / "r.sqlite"
    npz = multi_npz(work / "bad.npz", **over)
    code, _, err = run_cli(["bench", "-m", str(m), "--input-data", str(npz), *QUICK, "--db", str(db)])
    assert words in one_line_error(code, err)
    assert runs(db) == []


def test_compare_two_files_at_a_chosen_shape(work, run_cli):
    old = write_detector(work / "old.onnx")
    new = work / "new.onnx"
    new.write_bytes(old.read_bytes())
    code, out, err = run_cli(
        ["compare", str(old), str(new), "--input", "x=1x3x32x32", "--rounds", "12", "--inferences", "3", "--json"]
    )
    assert code == 0, err
    res = json.loads(out)
    assert "+x=1x3x32x32@cpu" in res["a_label"] and "+x=1x3x32x32@cpu" in res["b_label"]
    from mobench.workflows.compare import VERDICTS

    assert res["verdict"] in VERDICTS  # identical files: any verdict the measurement supports
    code, _, err = run_cli(["compare", str(old), str(new)])
    assert "height?" in one_line_error(code, err)


# --------------------------------------------------------------------------- executorch: a .pte of two inputs


@pytest.fixture(scope="module")
def two_input_pte(tmp_path_factory):
    pytest.importorskip("executorch.runtime")
    import torch
    from executorch.exir import to_edge

    class Two(torch.nn.Module):
        def forward(self, x, k):
            return x * 2.0 + k.to(torch.float32).sum()

    args = (torch.randn(1, 3, 8, 8), torch.zeros(1, 4, dtype=torch.int64))
    prog = to_edge(torch.export.export(Two(), args)).to_executorch()
    path = tmp_path_factory.mktemp("pte") / "two.pte"
    path.write_bytes(prog.buffer)
    return path


def test_executorch_program_inputs_are_read_and_fed(work, run_cli, two_input_pte):
    db = work / "r.sqlite"
    code, out, err = run_cli(["models", "show", str(two_input_pte), "--json"])
    assert code == 0, err
    assert json.loads(out)["inputs"] == ["x0: [1, 3, 8, 8] float32", "x1: [1, 4] int64"]
    code, out, err = run_cli(["bench", "-m", str(two_input_pte), "-d", "executorch", *QUICK, "--db", str(db), "--json"])
    assert code == 0, err
    assert json.loads(out)[0]["status"] == "ok"
    code, _, err = run_cli(["bench", "-m", str(two_input_pte), "-d", "executorch", "-i", "x0=1x3x9x9", "--db", str(db)])
    assert "fixes it at 8" in one_line_error(code, err)
    assert len(runs(db)) == 1


# --------------------------------------------------------------------------- torch: a factory returning a dict

FACTORY = textwrap.dedent("""
    import torch
    import torch.nn as nn


    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 8)
            self.conv = nn.Conv2d(3, 8, 3, padding=1)

        def forward(self, image, tokens):
            return self.conv(image).mean((2, 3)) + self.emb(tokens).mean(1)


    def build():
        return TwoInputs(), {"image": torch.randn(1, 3, 16, 16), "tokens": torch.zeros(1, 5, dtype=torch.int64)}


    def positional():
        return TwoInputs(), (torch.randn(1, 3, 16, 16), torch.zeros(1, 5, dtype=torch.int64))


    def old_form():
        return nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(2)), 40


    def square():
        net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
        return net, torch.randn(1, 3, 32, 32)
""")


def test_factory_returning_a_dict_runs_on_torch_at_its_and_a_chosen_shape(work, run_cli):
    (work / "net.py").write_text(FACTORY)
    db = work / "r.sqlite"
    code, out, err = run_cli(["models", "show", "net.py:build", "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["inputs"] == ["image: [1, 3, 16, 16] float32", "tokens: [1, 5] int64"]
    assert data["macs_m"] is not None and data["params_m"] is not None
    code, out, err = run_cli(["bench", "-m", "net.py:build", "-d", "torch", *QUICK, "--db", str(db), "--json"])
    assert code == 0, err
    code, out, err = run_cli(
        ["bench", "-m", "net.py:build", "-d", "torch", "-i", "image=1x3x32x32", *QUICK, "--db", str(db), "--json"]
    )
    assert code == 0, err
    assert json.loads(out)[0]["model"].endswith("+image=1x3x32x32,tokens=1x5")
    code, out, err = run_cli(["models", "show", "net.py:build", "-i", "image=1x3x32x32", "--json"])
    bigger = json.loads(out)["macs_m"]
    assert bigger > data["macs_m"]  # counted at the chosen shape
    code, _, err = run_cli(["bench", "-m", "net.py:build", "-d", "torch", "-i", "img=1x3x32x32", "--db", str(db)])
    assert "has no input 'img'" in one_line_error(code, err)
    code, out, err = run_cli(["bench", "-m", "net.py:positional", "-d", "torch", *QUICK, "--db", str(db), "--json"])
    assert code == 0, err
    assert len(runs(db)) == 3


def test_old_factory_form_keeps_its_square_input(work, run_cli):
    (work / "net.py").write_text(FACTORY)
    code, out, err = run_cli(["models", "show", "net.py:old_form", "--json", "--no-counts"])
    assert code == 0, err
    assert json.loads(out)["inputs"] == ["x: [1, 3, 40, 40] float32"]


def test_registered_models_take_no_input_option(work, run_cli):
    code, _, err = run_cli(["bench", "-m", "mobileone_s0", "-d", "torch", "-i", "x=1x3x64x64"])
    assert "registered model" in one_line_error(code, err)


# --------------------------------------------------------------------------- ios plan: a Core ML model of two inputs


@pytest.fixture(scope="module")
def two_input_mlpackage(tmp_path_factory):
    return make_two_input_mlpackage(tmp_path_factory.mktemp("ml") / "two.mlpackage")


def test_ios_plan_writes_every_input_and_the_values(work, run_cli, two_input_mlpackage):
    from mobench.core.util import sha256_path
    from mobench.devices.remote.schema import validate_plan

    code, out, err = run_cli(["models", "show", str(two_input_mlpackage), "--json"])
    assert code == 0, err
    # an fp16 ML program declares a float16 input (coremltools >= 8)
    assert json.loads(out)["inputs"] == ["x: [1, 3, 8, 8] float16", "k: [1, 4] int32"]
    np.savez(work / "v.npz", x=np.full((1, 3, 8, 8), 0.5, np.float16), k=np.arange(4, dtype=np.int32).reshape(1, 4))
    plan_dir = work / "plan"
    code, out, err = run_cli(
        ["ios", "plan", "-m", str(two_input_mlpackage), "--input-data", "v.npz", "-o", str(plan_dir)]
    )
    assert code == 0, err
    plan = json.loads((plan_dir / "plan.json").read_text())
    validate_plan(plan)
    inputs = plan["runs"][0]["inputs"]
    assert [(i["name"], i["shape"], i["dtype"]) for i in inputs] == [
        ("x", [1, 3, 8, 8], "float16"),
        ("k", [1, 4], "int32"),
    ]
    k = inputs[1]
    raw = (plan_dir / k["values_file"]).read_bytes()
    assert np.frombuffer(raw, "<i4").tolist() == [0, 1, 2, 3]
    assert sha256_path(plan_dir / k["values_file"]) == k["values_sha256"]
    # a bad input: one line, no plan folder
    bad = work / "plan2"
    code, _, err = run_cli(["ios", "plan", "-m", str(two_input_mlpackage), "-i", "x=1x3x9x9", "-o", str(bad)])
    assert "fixes it at 8" in one_line_error(code, err)
    assert not bad.exists()
    # ios run makes its plan the same way: the same one line before any phone is reached
    code, _, err = run_cli(
        [
            "ios",
            "run",
            "-m",
            str(two_input_mlpackage),
            "-i",
            "x=1x3x9x9",
            "-o",
            str(bad),
            "--transport",
            "folder",
            "--documents",
            str(work / "docs"),
            "--app-command",
            "true",
        ]
    )
    assert "fixes it at 8" in one_line_error(code, err)
    assert not bad.exists()


def test_export_a_factory_at_a_chosen_size_and_with_several_inputs(work, run_cli):
    (work / "net.py").write_text(FACTORY)
    out_dir = work / "ex"
    code, out, err = run_cli(
        ["export", "-m", "net.py:square", "-i", "input=1x3x48x48", "--format", "onnx", "--out", str(out_dir), "--json"]
    )
    assert code == 0, err
    (res,) = json.loads(out)
    manifest = json.loads(Path(res["manifest"]).read_text())
    assert manifest["artifacts"]["onnx"]["input"]["shape"] == [1, 3, 48, 48]
    code, out, err = run_cli(
        ["export", "-m", "net.py:build", "-i", "image=1x3x32x32", "--format", "onnx", "--out", str(out_dir), "--json"]
    )
    assert code == 0, err  # several inputs: exported with them (tests/exporters/test_export_inputs.py)
    manifest = json.loads(Path(json.loads(out)[0]["manifest"]).read_text())
    assert [i["name"] for i in manifest["artifacts"]["onnx"]["inputs"]["inputs"]] == ["image", "tokens"]
    code, _, err = run_cli(["export", "-m", "s0", "--format", "onnx", "--input", "video"])
    assert "unknown input kind" in one_line_error(code, err)


def test_profile_and_run_take_the_input_rules(work, run_cli):
    det = write_detector(work / "det.onnx")
    db = work / "r.sqlite"
    code, out, err = run_cli(["profile", "-m", str(det), "-i", "x=1x3x32x32", "--runs", "3", "--db", str(db), "--json"])
    assert code == 0, err
    assert json.loads(out)["model"].endswith("+x=1x3x32x32")
    code, _, err = run_cli(["profile", "-m", str(det), "--db", str(db)])
    assert "height?" in one_line_error(code, err)
    code, _, err = run_cli(["run", "-m", str(det), "--out", str(work / "out")])
    assert "height?" in one_line_error(code, err)
    code, _, err = run_cli(["run", "--input", "x=1x3x32x32", "--out", str(work / "out")])
    assert "apply to the models given with --model" in one_line_error(code, err)
    assert not (work / "out" / "mobench.sqlite").exists()


def test_core_ml_descriptions_give_dtypes_flexible_dims_and_images():
    pytest.importorskip("coremltools")
    from coremltools.proto import FeatureTypes_pb2 as ft
    from coremltools.proto import Model_pb2

    from mobench.models.artifact import coreml_input_specs

    spec = Model_pb2.Model()
    a = spec.description.input.add()
    a.name = "tokens"
    a.type.multiArrayType.shape.extend([1, 16])
    a.type.multiArrayType.dataType = ft.ArrayFeatureType.INT32
    for n in (16, 32, 64):
        a.type.multiArrayType.enumeratedShapes.shapes.add().shape.extend([1, n])
    b = spec.description.input.add()
    b.name = "image"
    b.type.imageType.width, b.type.imageType.height = 320, 240
    b.type.imageType.colorSpace = ft.ImageFeatureType.RGB
    r = b.type.imageType.imageSizeRange
    r.widthRange.lowerBound, r.widthRange.upperBound = 64, 1024
    r.heightRange.lowerBound, r.heightRange.upperBound = 64, 1024
    c = spec.description.input.add()
    c.name = "x"
    c.type.multiArrayType.shape.extend([1, 3, 8, 8])
    c.type.multiArrayType.dataType = ft.ArrayFeatureType.FLOAT16

    tokens, image, x = coreml_input_specs(spec)
    assert tokens.describe() == "tokens: [1, 16] int32" and [d.fixed for d in tokens.dims] == [True, False]
    assert image.describe() == "image: [1, 3, 240, 320] uint8 image" and not image.dims[2].fixed
    assert x.describe() == "x: [1, 3, 8, 8] float16" and all(d.fixed for d in x.dims)
    from mobench.core.inputs import resolve

    chosen = resolve("m.mlpackage", [tokens, image, x], {"tokens": (1, 64), "image": (1, 3, 480, 640)})
    assert chosen.label() == "tokens=1x64,image=1x3x480x640,x=1x3x8x8"
    with pytest.raises(Exception, match="fixes it at 8"):
        resolve("m.mlpackage", [x], {"x": (1, 3, 16, 16)})
