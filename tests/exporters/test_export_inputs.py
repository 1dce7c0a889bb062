"""A factory of its own inputs through the real CLI: exported with every input named and typed as the
factory gives it, parity checked on the seeded feed, timed on ``cpu`` and ``executorch`` from the
manifest's inputs, planned for the phone; what a format cannot take is one line.

The factories are built here: a dict of a non-square float image, a bool mask and int64 token
ids; a dict of a float image and int64 ids (what Core ML holds); a one-input factory at a
non-square size.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import numpy as np
import pytest

QUICK = ["--protocol", "quick", "--rounds", "1", "--inferences", "3", "--warmup", "1"]

FACTORY = textwrap.dedent("""
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.bn = nn.BatchNorm2d(8)
            self.emb = nn.Embedding(4, 8)
            self.head = nn.Linear(8, 5)

        def forward(self, image, mask, ids):
            x = torch.relu(self.bn(self.conv(image))) * mask.to(torch.float32)
            return self.head(x.mean(dim=(2, 3)) + self.emb(ids).mean(dim=1))


    class ImageIds(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = Net()

        def forward(self, image, ids):
            mask = torch.ones(1, 1, image.shape[2], image.shape[3], dtype=torch.bool)
            return self.net(image, mask, ids)


    def build():
        return Net(), {
            "image": torch.randn(1, 3, 32, 24),
            "mask": torch.ones(1, 1, 32, 24, dtype=torch.bool),
            "ids": torch.zeros(1, 6, dtype=torch.int64),
        }


    def image_ids():
        return ImageIds(), {"image": torch.randn(1, 3, 32, 24), "ids": torch.zeros(1, 6, dtype=torch.int64)}


    def wide():
        net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
        return net, torch.randn(1, 3, 24, 40)
""")

SPECS = [("image", [1, 3, 32, 24], "float32"), ("mask", [1, 1, 32, 24], "bool"), ("ids", [1, 6], "int64")]


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOBENCH_RESULTS", str(tmp_path / "results"))
    (tmp_path / "net.py").write_text(FACTORY)
    return tmp_path


def one_line_error(code: int, err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0 and len(lines) == 1 and lines[0].startswith("error:"), err
    return lines[0]


def runs(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as con:
        return con.execute("SELECT model, status FROM runs ORDER BY id").fetchall()


def export_entry(run_cli, model: str, fmt: str, out: Path, *extra: str) -> dict:
    code, stdout, err = run_cli(["export", "-m", model, "--format", fmt, "--out", str(out), "--json", *extra])
    assert code == 0, err
    (res,) = json.loads(stdout)
    return json.loads(Path(res["manifest"]).read_text())["artifacts"][fmt]


def specs_of(entry: dict) -> list[tuple]:
    return [(i["name"], i["shape"], i["dtype"]) for i in entry["inputs"]["inputs"]]


def test_onnx_export_names_and_types_every_input_and_checks_parity(work, run_cli):
    import onnx
    import onnxruntime as ort

    entry = export_entry(run_cli, "net.py:build", "onnx", work / "ex")
    assert specs_of(entry) == SPECS
    assert entry["parity"]["status"] == "passed"
    assert entry["parity"]["max_abs_diff"] <= 1e-4
    assert entry["params"] > 0 and entry["macs"] > 0
    path = next((work / "ex").rglob(entry["file"]))
    graph = onnx.load(str(path)).graph
    got = [
        (
            i.name,
            [d.dim_value for d in i.type.tensor_type.shape.dim],
            onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type).name,
        )
        for i in graph.input
    ]
    assert got == SPECS
    # the artifact runs on the feed every device gives it, by name
    from mobench.core.inputs import Inputs, feed

    arrays = feed(Inputs.from_dict(entry["inputs"]), 0)
    out = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, arrays)[0]
    assert out.shape == (1, 5) and np.isfinite(out).all()


def test_executorch_export_takes_the_example_tuple(work, run_cli):
    pytest.importorskip("executorch")
    entry = export_entry(run_cli, "net.py:build", "executorch", work / "ex")
    assert specs_of(entry) == SPECS
    assert entry["parity"]["status"] == "passed"
    assert entry["parity"]["max_abs_diff"] <= 1e-4


def test_coreml_conversion_has_a_tensor_type_per_input(work, run_cli):
    ct = pytest.importorskip("coremltools")
    entry = export_entry(run_cli, "net.py:image_ids", "coreml", work / "ex", "--recipe", "fp32")
    # Core ML holds no 64-bit integers: ids is an int32 multi-array, and the manifest says so
    assert specs_of(entry) == [("image", [1, 3, 32, 24], "float32"), ("ids", [1, 6], "int32")]
    spec = ct.utils.load_spec(str(next((work / "ex").rglob(entry["file"]))))
    got = [(i.name, list(i.type.multiArrayType.shape), i.type.multiArrayType.dataType) for i in spec.description.input]
    Array = ct.proto.FeatureTypes_pb2.ArrayFeatureType
    assert got == [("image", [1, 3, 32, 24], Array.FLOAT32), ("ids", [1, 6], Array.INT32)]
    assert entry["parity"]["status"] in ("passed", "skipped")  # Core ML predicts on macOS only


@pytest.mark.parametrize("device", ["cpu", "executorch"])
def test_bench_a_factory_of_several_inputs_on_artifact_devices(work, run_cli, device):
    if device == "executorch":
        pytest.importorskip("executorch")
    db = work / "r.sqlite"
    code, out, err = run_cli(["bench", "-m", "net.py:build", "-d", device, *QUICK, "--db", str(db), "--json"])
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["status"] == "ok" and row["median_ms"] > 0
    # another shape is another export and another measurement
    code, out, err = run_cli(
        ["bench", "-m", "net.py:build", "-d", device, "-i", "image=1x3x48x40", "-i", "mask=1x1x48x40"]
        + [*QUICK, "--db", str(db), "--json"]
    )
    assert code == 0, err
    assert json.loads(out)[0]["model"].endswith("+image=1x3x48x40,mask=1x1x48x40,ids=1x6")
    assert [s for _, s in runs(db)] == ["ok", "ok"]
    manifests = [json.loads(p.read_text()) for p in (work / "results").rglob("manifest.json")]
    shapes = sorted(tuple(e["inputs"]["inputs"][0]["shape"]) for m in manifests for e in m["artifacts"].values())
    assert shapes == [(1, 3, 32, 24), (1, 3, 48, 40)]


def test_a_non_square_factory_is_exported_with_its_shape(work, run_cli):
    entry = export_entry(run_cli, "net.py:wide", "onnx", work / "ex")
    assert specs_of(entry) == [("input", [1, 3, 24, 40], "float32")]  # nn.Sequential.forward(input)
    assert entry["parity"]["status"] == "passed"


def test_the_zoo_form_keeps_its_one_image_input(work, run_cli):
    (work / "sq.py").write_text(
        "import torch, torch.nn as nn\n"
        "def build():\n"
        "    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten()), torch.randn(1, 3, 32, 32)\n"
    )
    entry = export_entry(run_cli, "sq.py:build", "onnx", work / "ex")
    assert "inputs" not in entry
    assert entry["input"]["name"] == "input" and entry["input"]["shape"] == [1, 3, 32, 32]
    assert entry["stem"].startswith("sq.py-build-") and entry["stem"].endswith("_r32")  # the stem as before


def test_ios_plan_writes_each_input_of_a_factory(work, run_cli):
    pytest.importorskip("coremltools")
    from mobench.devices.remote.schema import validate_plan

    code, _, err = run_cli(["ios", "plan", "-m", "net.py:image_ids", "-o", str(work / "plan")])
    assert code == 0, err
    plan = json.loads((work / "plan" / "plan.json").read_text())
    validate_plan(plan)
    got = [(i["name"], i["shape"], i["dtype"]) for i in plan["runs"][0]["inputs"]]
    assert got == [("image", [1, 3, 32, 24], "float32"), ("ids", [1, 6], "int32")]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (
            ["export", "-m", "net.py:build", "--format", "onnx", "--recipe", "int8"],
            "export it with a float recipe (fp32, fp16)",
        ),
        (["export", "-m", "net.py:build", "--format", "coreml"], "Core ML multi-array inputs hold float32"),
        (
            ["export", "-m", "net.py:build", "--format", "onnx", "--input-kind", "image"],
            "--input-kind image applies to one",
        ),
        (
            ["bench", "-m", "net.py:build", "-d", "executorch", "--recipe", "int8"],
            "the quantized recipe int8 is calibrated and parity-checked on one",
        ),
    ],
)
def test_what_a_format_cannot_take_is_one_line(work, run_cli, argv, words):
    code, _, err = run_cli(
        [*argv, "--out" if argv[0] == "export" else "--db", str(work / ("ex" if argv[0] == "export" else "r.sqlite"))]
    )
    assert words in one_line_error(code, err)
    assert not list((work / "ex").rglob("*.onnx")) and not list((work / "ex").rglob("*.mlpackage"))
    assert runs(work / "r.sqlite") == []
