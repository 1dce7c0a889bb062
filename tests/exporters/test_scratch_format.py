"""A new export format is one file plus one registration line, and nothing else changes.

``SCRATCH`` is a complete format, written the way CONTRIBUTING.md describes: TorchScript
(``torch.jit.trace``, ``.pt``), with its own options class, its op names and a device that
times its artifacts. It is written to a fresh folder (no file of mobench is touched) and
registered by one line: ``FORMATS.register(...)`` in-process, or an installed distribution's
``mobench.exporters`` entry point (a ``.dist-info`` on the path) for a fresh ``mobench``
process. ``export``, the pipeline's checks and manifest, ``bench`` and every ``--help`` that
lists formats or recipes pick it up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRATCH = textwrap.dedent(
    '''
    """TorchScript (.pt) export format: torch.jit.trace, optionally frozen; and a device that times it."""

    from __future__ import annotations

    import collections
    import json
    from dataclasses import dataclass

    from mobench.devices.base import LocalDevice, seeded_tensor
    from mobench.exporters.format import Converted, ExportFormat, FormatOptions, option


    @dataclass(frozen=True)
    class TorchScriptOptions(FormatOptions):
        freeze: bool = option(True, "torch.jit.freeze the traced module")

        def stem_suffixes(self):
            return [] if self.freeze else ["nofreeze"]


    class TorchScriptFormat(ExportFormat):
        name = "torchscript"
        extension = ".pt"
        description = "TorchScript module (.pt), torch.jit.trace"
        recipes = ("fp32",)
        options = TorchScriptOptions
        ops = {
            "conv": ("aten::_convolution", "aten::conv2d"),
            "batch_norm": ("aten::batch_norm",),
            "add": ("aten::add", "aten::add_"),
        }

        def convert(self, job):
            import torch

            job.step("torch.jit.trace")
            with torch.no_grad():
                module = torch.jit.trace(job.prep.model, job.prep.example)
                if job.options.freeze:
                    module = torch.jit.freeze(module)
            torch.jit.save(module, str(job.path), _extra_files={"mobench.json": json.dumps(job.metadata)})
            histogram = collections.Counter(n.kind() for n in module.inlined_graph.nodes())
            return Converted(
                path=job.path,
                op_histogram=dict(histogram),
                input={"name": "x", "shape": list(job.input_shape), "dtype": "float32", "layout": "NCHW"},
                output={"name": "output", "shape": job.output_shape, "dtype": "float32"},
                exporter={"name": f"torch.jit.trace (torch {torch.__version__})", "frozen": job.options.freeze},
            )

        def predict(self, path, inputs, job):
            import torch

            module = torch.jit.load(str(path))
            with torch.no_grad():
                return [module(torch.from_numpy(x)).numpy() for x in inputs]

        def runtime(self):
            import torch

            return f"torch.jit {torch.__version__} CPU"


    class TorchScriptDevice(LocalDevice):
        name = "torchscript"
        artifact_format = "torchscript"
        description = "TorchScript (.pt) on this CPU"
        runtime = "torchscript"
        runtime_package = "torch"

        def target(self, artifact=None):
            return self.host_target(artifact)

        @classmethod
        def profiler(cls):
            return None

        def load(self, model_name, artifact):
            import torch

            return torch.jit.load(str(artifact.path))

        def make_input(self, handle, artifact, config):
            import torch

            return torch.from_numpy(seeded_tensor(artifact.manifest["input"]["shape"], config.seed, "float32"))

        def bind(self, handle, inputs):
            import torch

            def predict():
                with torch.no_grad():
                    return handle(inputs)

            return predict
    '''
)


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """``scratch_torchscript.py`` in a fresh folder on the path, registered by one line each."""
    from mobench.devices import DEVICES
    from mobench.exporters import FORMATS

    folder = tmp_path / "plugin"
    folder.mkdir()
    (folder / "scratch_torchscript.py").write_text(SCRATCH)
    monkeypatch.syspath_prepend(str(folder))
    FORMATS.register("torchscript", "scratch_torchscript:TorchScriptFormat")  # the one line
    DEVICES.register("torchscript", "scratch_torchscript:TorchScriptDevice", description="TorchScript on this CPU")
    yield folder
    del FORMATS["torchscript"]
    del DEVICES["torchscript"]
    sys.modules.pop("scratch_torchscript", None)


def test_export_runs_the_scratch_format_through_the_pipeline(scratch, tiny_rep, cfg):
    from mobench.exporters import ExportConfig, export, export_format, find_artifact, read_manifest

    art = export(tiny_rep, "torchscript", cfg)
    m = art.manifest
    assert art.path.suffix == ".pt" and art.path.is_file() and art.path.parent.name == f"{tiny_rep}_r64"
    assert m["format"] == "torchscript" and m["recipe"]["name"] == "fp32"
    checks = {c["name"]: c["passed"] for c in m["structural_check"]["checks"]}
    assert checks == {"no_batch_norm": True, "one_conv_per_block": True, "conv_count": True}  # the fused tiny net
    assert m["parity"]["status"] == "passed" and m["parity"]["runtime"].startswith("torch.jit")
    assert m["parity"]["max_abs_diff"] <= m["parity"]["rtol"] * m["parity"]["max_abs_ref"] + m["parity"]["atol"]
    assert m["config"]["freeze"] is True and m["exporter"]["frozen"] is True
    assert read_manifest(art.manifest_path)["artifacts"]["torchscript"]["sha256"] == m["sha256"]
    assert find_artifact(tiny_rep, "torchscript", cfg) is not None

    # its own options: typed, validated, a stem suffix, a fingerprint of their own
    opts = export_format("torchscript").options
    unfrozen = ExportConfig(out_dir=cfg.out_dir, resolution=64, format_options=(opts(freeze=False),))
    art2 = export(tiny_rep, "torchscript", unfrozen)
    assert art2.path.parent.name == f"{tiny_rep}_r64_nofreeze" and art2.manifest["config"]["freeze"] is False


def test_cli_export_and_bench_pick_it_up(scratch, tiny_rep, tmp_path, run_cli, monkeypatch):
    from mobench.results import load

    monkeypatch.setenv("MOBENCH_RESULTS", str(tmp_path / "results"))
    out = tmp_path / "exports"
    args = ["export", "-m", tiny_rep, "-f", "torchscript", "--resolution", "64", "--out", str(out), "--json"]
    code, stdout, err = run_cli([*args, "--format-option", "freeze=false"])
    assert code == 0, err
    (row,) = json.loads(stdout)
    assert row["ok"] and row["recipe"] == "fp32" and row["parity"] == "passed" and row["path"].endswith("_nofreeze.pt")
    code, _, err = run_cli([*args, "--format-option", "opset=18"])
    assert code != 0 and "no selected export format has the option 'opset'" in err and "torchscript: freeze" in err

    db = tmp_path / "r.sqlite"
    bench = ["bench", "-m", tiny_rep, "--device", "torchscript", "--protocol", "quick", "--db", str(db), "--json"]
    code, stdout, err = run_cli(bench)
    assert code == 0, err
    runs = load(db)
    assert len(runs) == 1 and runs.loc[0, "status"] == "ok" and runs.loc[0, "format"] == "torchscript"
    assert runs.loc[0, "recipe"] == "fp32" and runs.loc[0, "n_samples"] > 0
    assert list((tmp_path / "results" / "exports").rglob("*.pt"))  # bench exported it through the pipeline


def _entry_point_env(tmp_path: Path, folder: Path) -> dict[str, str]:
    """An installed distribution with the format's entry point (the other one-line registration)."""
    dist = folder / "scratch_torchscript-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: scratch-torchscript\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[mobench.exporters]\ntorchscript = scratch_torchscript:TorchScriptFormat\n")
    root = Path(__file__).resolve().parents[2]
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(folder)])}


@pytest.mark.parametrize("command", [["export"], ["bench"], ["run"]])
def test_help_listings_read_the_registry(scratch, tmp_path, command):
    """A format installed by an entry point shows in the helps that list formats and recipes."""
    env = _entry_point_env(tmp_path, scratch)
    code = (
        "import sys; from mobench.cli import main\n"
        f"sys.argv = ['mobench', *{command!r}, '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env={**env, "COLUMNS": "400"}, capture_output=True, text=True, timeout=120
    )
    text = " ".join(out.stdout.split())
    assert "torchscript: fp32" in text, out.stdout + out.stderr
    if command == ["export"]:
        assert "coreml, onnx, executorch, torchscript or all" in text and "torchscript: freeze=True" in text
