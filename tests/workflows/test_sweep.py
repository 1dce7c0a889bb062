"""run_sweep on a fake device and a fake exporter: reuse, force, failures, bad input."""

import sys
from types import SimpleNamespace

import pytest

from mobench.core import BenchConfig
from mobench.core.errors import DeviceError, ModelNotFoundError, StoreError, UsageError
from mobench.devices import DEVICES
from mobench.devices.base import DeviceOption, LocalDevice
from mobench.results import Store, load
from mobench.workflows import run_sweep
from mobench.workflows import sweep as sweep_mod

CFG = BenchConfig(name="t", warmup=1, rounds=2, inferences=3)
M1, M2, M3 = "timm:test_vit", "timm:test_vit2", "timm:test_resnet"


class FakeDevice(LocalDevice):
    """Fails at run time for M3; counts its loads."""

    name = "fake"
    artifact_format = None
    loads = 0
    OPTIONS = (DeviceOption("threads", int, 1),)

    def target(self, artifact=None):
        return None

    @classmethod
    def profiler(cls):
        return None

    def load(self, model_name, artifact):
        if model_name == M3:
            raise RuntimeError("kaboom")
        FakeDevice.loads += 1
        return object()

    def make_input(self, handle, artifact, config):
        return None

    def bind(self, handle, inputs):
        return lambda: None


class FakeOnnxDevice(FakeDevice):
    name = "fakeonnx"
    artifact_format = "onnx"


@pytest.fixture
def fake_devices(monkeypatch):
    monkeypatch.setitem(DEVICES, "fake", f"{__name__}:FakeDevice")
    monkeypatch.setitem(DEVICES, "fakeonnx", f"{__name__}:FakeOnnxDevice")
    FakeDevice.loads = 0


@pytest.fixture
def fake_exporter(monkeypatch, tiny_onnx):
    calls = []

    def find_or_export(model, fmt, config, progress=None):  # nothing in the cache: every call exports
        calls.append(model)
        if model == M2:
            raise RuntimeError("converter exploded")
        return tiny_onnx

    monkeypatch.setattr(sweep_mod, "find_or_export", find_or_export)
    return calls


def test_stores_reuses_and_forces(tmp_path, fake_devices):
    db = tmp_path / "r.sqlite"
    recs = run_sweep([M1, M2, M3], "fake", CFG, db=db)
    assert [r.status for r in recs] == ["ok", "ok", "failed"]
    assert "kaboom" in recs[2].error and recs[2].error.startswith("run:")
    df = load(db)
    # runs are stored as their timing ends (interleaved: the failing one first), so compare per model
    by_model = {r.model: (r.status, r.n_samples) for r in df.itertuples()}
    assert by_model == {M1: ("ok", 6), M2: ("ok", 6), M3: ("failed", 0)}
    assert FakeDevice.loads == 2
    again = run_sweep([M1, M2, M3], "fake", CFG, db=db)
    assert [r.reused for r in again] == [True, True, False]  # failures retried
    assert again[0].samples_ms == recs[0].samples_ms
    assert FakeDevice.loads == 2 and len(load(db)) == 4
    other = run_sweep([M1], "fake", CFG, db=db, device_options={"threads": 2})
    assert not other[0].reused  # different options, new run
    forced = run_sweep([M1], "fake", CFG, db=db, force=True)
    assert not forced[0].reused and len(load(db)) == 6


def test_export_failure_is_stored_and_sweep_goes_on(tmp_path, fake_devices, fake_exporter):
    db = tmp_path / "r.sqlite"
    recs = run_sweep([M1, M2], "fakeonnx", CFG, db=db)
    assert [r.status for r in recs] == ["ok", "failed"]
    assert recs[1].error.startswith("export:") and "converter exploded" in recs[1].error
    assert recs[0].artifact_sha256 and recs[0].artifact_format == "onnx"
    assert fake_exporter == [M1, M2]
    again = run_sweep([M1], "fakeonnx", CFG, db=db)
    assert again[0].reused


def test_corrupt_artifact_is_caught_before_timing(tmp_path, fake_devices, fake_exporter, tiny_onnx, monkeypatch):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"garbage")
    monkeypatch.setattr(
        sweep_mod,
        "find_or_export",
        lambda m, f, c, progress=None: SimpleNamespace(**{**vars(tiny_onnx), "path": bad}) if m == M1 else tiny_onnx,
    )
    db = tmp_path / "r.sqlite"
    rec, ok = run_sweep([M1, M2], "fakeonnx", CFG, db=db)
    assert rec.status == "failed" and "sha256" in rec.error and "--force" in rec.error
    assert rec.failed_at == "artifact" and FakeDevice.loads == 1  # M2 still ran
    assert list(load(db)["model"]) == [M2]  # nothing stored for M1


def test_refused_existing_export_is_an_integrity_error(tmp_path, fake_devices, fake_exporter, monkeypatch):
    from mobench.core.errors import ArtifactExistsError

    def export(m, f, c, progress=None):
        raise ArtifactExistsError("results/exports/x/x.onnx already exists; pass --force to replace it")

    monkeypatch.setattr(sweep_mod, "find_or_export", export)
    (rec,) = run_sweep([M1], "fakeonnx", CFG, db=tmp_path / "r.sqlite")
    assert rec.failed_at == "artifact" and "does not match its manifest" in rec.error
    assert "mobench export --model timm:test_vit --format onnx --force" in rec.error
    assert len(load(tmp_path / "r.sqlite")) == 0


def test_bad_input_raises_before_touching_the_store(tmp_path, fake_devices):
    db = tmp_path / "r.sqlite"
    with pytest.raises(ModelNotFoundError):
        run_sweep(["no_such_model_xyz"], "fake", CFG, db=db)
    with pytest.raises(UsageError, match="unknown device"):
        run_sweep([M1], "gpu9", CFG, db=db)
    assert not db.exists()
    if sys.platform != "darwin":
        with pytest.raises(DeviceError, match="not usable here: Core ML prediction needs macOS"):
            run_sweep([M1], "coreml", CFG, db=db)
        assert not db.exists()
    ro = tmp_path / "ro.sqlite"
    Store(ro).close()
    ro.chmod(0o444)
    with pytest.raises(StoreError):
        run_sweep([M1], "fake", CFG, db=ro)


class FakeRemoteDevice(FakeOnnxDevice):
    """A remote device: a whole sweep is one plan, timed by one ``run_many`` call."""

    name = "fakeremote"
    batches: list = []
    runs_batches = True

    def run_many(self, items, config, *, progress=None):
        from mobench.core.records import RunRecord

        FakeRemoteDevice.batches.append([m for m, _ in items])
        out = {}
        for model, art in items:
            if progress:
                progress(model, "round 1/2")
            if model != M3:  # the app returned nothing for M3
                out[model] = RunRecord(
                    model=model,
                    device=self.name,
                    protocol=config.name,
                    config=config.to_dict(),
                    samples_ms=[[1.0, 2.0, 3.0]],
                    **self.artifact_fields(art),
                )
        return out


def test_remote_device_times_a_sweep_as_one_plan(tmp_path, fake_devices, fake_exporter, monkeypatch):
    monkeypatch.setitem(DEVICES, "fakeremote", f"{__name__}:FakeRemoteDevice")
    FakeRemoteDevice.batches = []
    db = tmp_path / "r.sqlite"
    recs = run_sweep([M1, M2, M3], "fakeremote", CFG, db=db)
    assert FakeRemoteDevice.batches == [[M1, M3]]  # M2 failed to export: not in the plan
    assert [r.status for r in recs] == ["ok", "failed", "failed"]
    assert recs[1].error.startswith("export:") and "returned no run" in recs[2].error
    assert len(load(db)) == 3
    again = run_sweep([M1, M3], "fakeremote", CFG, db=db)
    assert again[0].reused and FakeRemoteDevice.batches == [[M1, M3], [M3]]  # the store's reuse


def test_models_that_take_turns_run_with_the_device_interleaved_options(tmp_path, tiny_onnx, monkeypatch):
    """cpu: several models interleaved run with ONNX Runtime's spinning off (one model's spinning threads
    slow the next); one model, or one after another, keeps ORT's default; an option the user sets wins."""
    monkeypatch.setattr(sweep_mod, "find_or_export", lambda model, fmt, config, progress=None: tiny_onnx)
    db = tmp_path / "r.sqlite"
    turns = run_sweep([M1, M3], "cpu", CFG, db=db)
    assert [r.status for r in turns] == ["ok", "ok"]
    assert all(r.target["label"].endswith("/spin-off") and r.target["options"]["spin"] == "off" for r in turns)
    alone = run_sweep([M1], "cpu", CFG, db=db)
    assert not alone[0].reused and "spin" not in alone[0].target["label"]
    in_turn = run_sweep([M1, M3], "cpu", CFG, db=db, schedule="contiguous")
    assert [r.reused for r in in_turn] == [True, False]  # the same measurement as M1 alone
    mine = run_sweep([M1, M3], "cpu", CFG, db=db, device_options={"spin": "on"})
    assert [r.reused for r in mine] == [True, True]
