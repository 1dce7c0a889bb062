"""`mobench export` end to end in-process: exit codes, one-line errors, the summary table."""

from __future__ import annotations

import json

import pytest

from mobench.exporters import onnx as onnx_exporter


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--model", "nosuch_net", "--format", "onnx"], "unknown model 'nosuch_net'"),
        (["--model", "s0", "--format", "tflite"], "unknown export format 'tflite'"),
        (["--model", "s0", "--format", "onnx", "--recipe", "int4"], "unknown recipe"),
        (["--model", "s0", "--format", "coreml", "--format-option", "target=iOS99"], "unknown Core ML target"),
        (
            ["--model", "s0", "--format", "onnx", "--format-option", "target=iOS17"],
            "no selected export format has the option",
        ),
        (["--model", "s0", "--format", "onnx", "--input", "video"], "unknown input kind"),
        (["--preset", "nosuch", "--format", "onnx"], "unknown preset"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(tmp_path, run_cli, args, needle):
    out_dir = tmp_path / "exports"
    code, out, err = run_cli(["export", *args, "--out", str(out_dir)])
    assert code == 2
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out_dir.exists()


def test_unwritable_folder(tmp_path, run_cli):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run_cli(["export", "--model", "s0", "--format", "onnx", "--out", str(blocker / "x")])
    assert code == 2 and "not writable" in err


def test_export_then_exists_without_force(tmp_path, run_cli, tiny_rep):
    args = ["export", "--model", tiny_rep, "--format", "onnx", "--resolution", "64", "--out", str(tmp_path)]
    code, out, _ = run_cli(args)
    assert code == 0 and "1 of 1 ok" in out
    manifest = tmp_path / f"{tiny_rep}_r64" / "manifest.json"
    before = manifest.read_bytes()
    code, _, err = run_cli(args)
    assert code == 2 and "already exists; pass --force" in err
    assert manifest.read_bytes() == before
    code, out, _ = run_cli([*args, "--force"])
    assert code == 0


def test_multi_model_failure_table_and_exit_code(tmp_path, run_cli, tiny_rep, tiny_plain, monkeypatch):
    real = onnx_exporter.OnnxFormat.convert

    def convert(self, job):
        if job.model == tiny_plain:
            raise NotImplementedError("unsupported op 'aten::unfold'")
        return real(self, job)

    monkeypatch.setattr(onnx_exporter.OnnxFormat, "convert", convert)
    code, out, err = run_cli(
        [
            "export",
            "-m",
            tiny_plain,
            "-m",
            tiny_rep,
            "-f",
            "onnx",
            "--resolution",
            "64",
            "--out",
            str(tmp_path),
            "--json",
        ]
    )
    assert code == 1
    rows = json.loads(out)
    assert [(r["model"], r["ok"]) for r in rows] == [(tiny_plain, False), (tiny_rep, True)]
    assert "aten::unfold" in rows[0]["error"] and rows[1]["parity"] == "passed"

    code, out, err = run_cli(
        ["export", "-m", tiny_plain, "-m", tiny_rep, "-f", "onnx", "--resolution", "64", "--out", str(tmp_path / "b")]
    )
    assert code == 1
    assert "1 of 2 ok" in out and "failed" in out and "aten::unfold" in out.replace("\n", "")
    assert "1 of 2 exports failed" in err


def test_help_has_examples(run_cli):
    code, out, _ = run_cli(["export", "--help"])
    assert code == 0 and "mobench export --model s0 --format coreml" in out and "--no-reparam" in out


def _help(run_cli, argv, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    code, out, _ = run_cli([*argv, "--help"])
    assert code == 0
    return " ".join(out.replace("│", " ").split())


@pytest.mark.parametrize("argv", [["export"], ["bench"], ["run"]])
def test_helps_list_the_registered_formats_and_recipes(run_cli, monkeypatch, argv):
    """Every help that lists recipes (and formats) says what the registry holds, nothing hand-kept."""
    from mobench.exporters import FORMATS, format_recipes

    text = _help(run_cli, argv, monkeypatch)
    for f in FORMATS.names():
        assert f"{f}: {', '.join(format_recipes(f))}" in text
    assert "--precision" not in text
    if argv == ["export"]:
        assert f"{', '.join(FORMATS.names())} or all" in text
        assert "--target" not in text and "--opset" not in text and "--delegate" not in text


def test_ios_plan_help_lists_the_core_ml_recipes(run_cli, monkeypatch):
    from mobench.exporters import format_recipes

    text = _help(run_cli, ["ios", "plan"], monkeypatch)
    assert ", ".join(format_recipes("coreml")) in text and "--precision" not in text
