"""The export pipeline's guarantees: atomic writes, --force semantics, reuse, per-model failures."""

from __future__ import annotations

import dataclasses
import os

import pytest

from mobench.core.errors import ArtifactExistsError, ExportError, ModelNotFoundError, UsageError
from mobench.core.util import sha256_path
from mobench.exporters import ExportConfig, export, export_many, find_artifact, read_manifest
from mobench.exporters import onnx as onnx_exporter


def _tree(folder):
    """Every path under ``folder`` (hidden temp folders included)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def _fail_after_writing(monkeypatch, exc):
    """Make the ONNX converter write its file, then fail (as a crash mid-export would)."""
    real = onnx_exporter.OnnxFormat.convert

    def convert(self, job):
        result = real(self, job)
        assert result.path.exists()  # the partial output really was on disk
        raise exc

    monkeypatch.setattr(onnx_exporter.OnnxFormat, "convert", convert)


def test_export_writes_artifact_and_manifest(tiny_rep, cfg):
    art = export(tiny_rep, "onnx", cfg)
    assert art.path == cfg.out_dir / f"{tiny_rep}_r64" / f"{tiny_rep}_r64.onnx"
    assert set(_tree(cfg.out_dir)) == {
        f"{tiny_rep}_r64",
        f"{tiny_rep}_r64/.manifest.lock",
        f"{tiny_rep}_r64/{tiny_rep}_r64.onnx",
        f"{tiny_rep}_r64/manifest.json",
    }
    umask = os.umask(0)
    os.umask(umask)
    assert art.manifest_path.stat().st_mode & 0o777 == 0o666 & ~umask  # not the temp file's 0600
    m = art.manifest
    assert m["structural_check"]["status"] == "passed" and m["op_histogram"]["Conv"] == 3
    assert m["parity"]["status"] == "passed"


@pytest.mark.parametrize("exc", [RuntimeError("converter crashed"), KeyboardInterrupt()])
def test_exception_mid_export_leaves_nothing(tiny_rep, cfg, monkeypatch, exc):
    _fail_after_writing(monkeypatch, exc)
    with pytest.raises((ExportError, KeyboardInterrupt)):
        export(tiny_rep, "onnx", cfg)
    assert _tree(cfg.out_dir) == []  # no stem folder, no .partial leftovers


def test_existing_output_needs_force_and_is_untouched(tiny_rep, cfg):
    art = export(tiny_rep, "onnx", cfg)
    before = (sha256_path(art.path), art.path.stat().st_mtime_ns, art.manifest_path.read_bytes())
    with pytest.raises(ArtifactExistsError, match="already exists; pass --force"):
        export(tiny_rep, "onnx", cfg)
    assert (sha256_path(art.path), art.path.stat().st_mtime_ns, art.manifest_path.read_bytes()) == before


def test_failed_force_reexport_keeps_the_old_artifact(tiny_rep, cfg, monkeypatch):
    art = export(tiny_rep, "onnx", cfg)
    before = (sha256_path(art.path), art.manifest_path.read_bytes(), _tree(cfg.out_dir))
    _fail_after_writing(monkeypatch, RuntimeError("converter crashed"))
    with pytest.raises(ExportError, match="converter crashed"):
        export(tiny_rep, "onnx", dataclasses.replace(cfg, force=True))
    assert (sha256_path(art.path), art.manifest_path.read_bytes(), _tree(cfg.out_dir)) == before


def test_failure_while_committing_restores_the_old_artifact(tiny_rep, cfg, monkeypatch):
    from mobench.exporters import manifest as manifest_mod

    art = export(tiny_rep, "onnx", cfg)
    before = (sha256_path(art.path), art.manifest_path.read_bytes(), _tree(cfg.out_dir))

    def broken_write(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(manifest_mod, "write_entry", broken_write)
    with pytest.raises(ExportError, match="No space left"):
        export(tiny_rep, "onnx", dataclasses.replace(cfg, force=True))
    assert (sha256_path(art.path), art.manifest_path.read_bytes(), _tree(cfg.out_dir)) == before


def test_force_replaces_and_cleans_up(tiny_rep, cfg):
    first = export(tiny_rep, "onnx", cfg)
    second = export(tiny_rep, "onnx", dataclasses.replace(cfg, force=True))
    assert second.manifest["created"] >= first.manifest["created"]
    assert second.manifest["sha256"] == sha256_path(second.path)
    assert not [p for p in _tree(cfg.out_dir) if p.endswith((".old", ".partial"))]


def test_structural_failure_fails_the_export(tiny_rep, cfg, monkeypatch):
    from mobench.exporters import pipeline

    real = pipeline.structural_checks
    monkeypatch.setattr(
        pipeline,
        "structural_checks",
        lambda hist, fmt, exp, rep: real({**hist, "BatchNormalization": 1}, fmt, exp, rep),
    )
    with pytest.raises(ExportError, match="structural check failed: no_batch_norm"):
        export(tiny_rep, "onnx", cfg)
    assert _tree(cfg.out_dir) == []


def test_bad_input_writes_nothing(tmp_path, tiny_rep):
    out = tmp_path / "exports"
    with pytest.raises(ModelNotFoundError, match="unknown model 'mobileone_s9'"):
        export("mobileone_s9", "onnx", ExportConfig(out_dir=out))
    with pytest.raises(UsageError, match="unknown export format"):
        export(tiny_rep, "tflite", ExportConfig(out_dir=out))
    assert not out.exists()
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="not writable"):
        export(tiny_rep, "onnx", ExportConfig(out_dir=blocker / "exports"))
    assert blocker.read_text() == "x"


def test_find_artifact_matches_config_and_hash(tiny_rep, cfg):
    assert find_artifact(tiny_rep, "onnx", cfg) is None
    art = export(tiny_rep, "onnx", cfg)
    found = find_artifact(tiny_rep, "onnx", cfg)
    assert found is not None and found.path == art.path and found.manifest == art.manifest
    assert find_artifact(tiny_rep, "onnx", dataclasses.replace(cfg, recipe="fp16")) is None
    assert find_artifact(tiny_rep, "onnx", dataclasses.replace(cfg, reparameterize=False)) is None
    with open(art.path, "ab") as fh:  # a changed file no longer matches its sha256
        fh.write(b"\0")
    assert find_artifact(tiny_rep, "onnx", cfg) is None


def test_formats_share_one_manifest(tiny_rep, cfg):
    onnx_art = export(tiny_rep, "onnx", cfg)
    ml_art = export(tiny_rep, "coreml", cfg)
    assert onnx_art.manifest_path == ml_art.manifest_path
    doc = read_manifest(ml_art.manifest_path)
    assert set(doc["artifacts"]) == {"onnx", "coreml"}
    assert doc["artifacts"]["onnx"] == onnx_art.manifest  # the ONNX entry survived the Core ML write
    assert ml_art.manifest["op_histogram"]["conv"] == 3 and "batch_norm" not in ml_art.manifest["op_histogram"]


def test_unfused_tiny_keeps_branches(tiny_rep, cfg):
    art = export(tiny_rep, "onnx", dataclasses.replace(cfg, reparameterize=False))
    m = art.manifest
    # stem: 2 branches + scale; dw: 2 + scale; pw (1x1): 2 branches -> 8 convs, 3 blocks
    assert m["op_histogram"]["Conv"] == 8 and m["structural_check"]["status"] == "passed"
    assert m["reparameterized"] is False and art.path.name.startswith(f"{tiny_rep}_unfused")


def test_checkpoint_is_loaded_and_recorded(tiny_rep, cfg, tmp_path):
    import torch

    from tests.exporters.conftest import _tiny_rep

    torch.manual_seed(123)
    model = _tiny_rep()
    ckpt = tmp_path / "tiny.pth"
    torch.save(model.state_dict(), ckpt)
    art = export(tiny_rep, "onnx", dataclasses.replace(cfg, checkpoint=str(ckpt)))
    w = art.manifest["weights"]
    assert w["source"] == "checkpoint" and w["checkpoint_sha256"] == sha256_path(ckpt) and w["bn_calibrated"] is False
    assert art.path.parent.name == f"{tiny_rep}_r64_ckpt{sha256_path(ckpt)[:8]}"
    assert art.manifest["parity"]["status"] == "passed"


def test_export_many_goes_on_after_a_converter_failure(tiny_rep, tiny_plain, cfg, monkeypatch):
    real = onnx_exporter.OnnxFormat.convert

    def convert(self, job):
        if job.model == tiny_plain:
            raise NotImplementedError("Conversion for op 'fancy_attention' not implemented")
        return real(self, job)

    monkeypatch.setattr(onnx_exporter.OnnxFormat, "convert", convert)
    results = export_many([tiny_plain, tiny_rep], "onnx", cfg)
    assert [(r.model, r.ok) for r in results] == [(tiny_plain, False), (tiny_rep, True)]
    assert "fancy_attention" in results[0].error and results[0].artifact is None
    assert results[1].artifact.path.exists() and results[0].seconds >= 0
    assert not (cfg.out_dir / f"{tiny_plain}_r64").exists()


def test_export_many_validates_everything_first(tiny_rep, cfg):
    with pytest.raises(ModelNotFoundError):
        export_many([tiny_rep, "no_such_model"], "onnx", cfg)
    with pytest.raises(UsageError, match="unknown export format"):
        export_many([tiny_rep], ["onnx", "tflite"], cfg)
    with pytest.raises(UsageError, match="one model"):
        export_many([tiny_rep, "s0"], "onnx", dataclasses.replace(cfg, checkpoint=os.__file__))
    assert not cfg.out_dir.exists()


def test_export_many_reuses_matching_artifacts(tiny_rep, cfg):
    first = export_many([tiny_rep], "onnx", cfg)
    again = export_many([tiny_rep], "onnx", cfg, reuse=True)
    assert again[0].reused and again[0].artifact.manifest == first[0].artifact.manifest


def test_deleted_artifact_can_be_exported_again_without_force(tiny_rep, cfg):
    art = export(tiny_rep, "onnx", cfg)
    art.path.unlink()  # the manifest entry now points at nothing
    again = export(tiny_rep, "onnx", cfg)
    assert again.path.exists() and read_manifest(again.manifest_path)["artifacts"]["onnx"] == again.manifest
