"""Every registered device passes one contract on a tiny model (parametrized over the registry).

A device that cannot run here (Core ML prediction off macOS, no tethered iPhone)
is skipped with its own ``available()`` reason. Devices that time an exported
artifact get the tiny ONNX model when their format is ``onnx``, and a tiny timm
test model exported to their format otherwise; the others build that model by name.
"""

from __future__ import annotations

import json

import pytest

from mobench.core import BenchConfig, RunRecord, config_key
from mobench.devices import DEVICES, Device, device_class, get_device
from mobench.exporters import ExportConfig, export

CFG = BenchConfig(name="contract", warmup=1, rounds=2, inferences=3, trim=0)
TINY_MODEL = "timm:test_efficientnet"


@pytest.mark.parametrize("name", DEVICES.names())
def test_device_contract(name, tiny_onnx, tmp_path):
    cls = device_class(name)
    assert issubclass(cls, Device) and cls.name == name
    ok, reason = cls.available()
    if not ok:
        pytest.skip(f"{name} is not usable here: {reason}")
    dev = get_device(name)
    if cls.artifact_format == "onnx":
        artifact, model = tiny_onnx, "tiny"
    elif cls.artifact_format is not None:  # e.g. executorch: the tiny model in the device's own format
        artifact = export(TINY_MODEL, cls.artifact_format, ExportConfig(out_dir=tmp_path, resolution=64))
        model = TINY_MODEL
    else:
        artifact, model = None, TINY_MODEL
    seen: list[tuple[int, int]] = []
    rec = dev.run(model, artifact, CFG, progress=lambda done, total: seen.append((done, total)))

    assert isinstance(rec, RunRecord) and rec.status == "ok", rec.error
    assert rec.model == model and rec.device == name and rec.protocol == "contract"
    assert rec.n_samples == CFG.rounds * CFG.inferences
    assert [len(r) for r in rec.samples_ms] == [CFG.inferences] * CFG.rounds
    assert all(s > 0 for r in rec.samples_ms for s in r)
    assert rec.load_ms and rec.first_inference_ms and rec.provenance
    assert seen and seen[-1] == (CFG.rounds, CFG.rounds)
    info, key = dev.info(), dev.options_key()
    assert isinstance(info, dict) and isinstance(key, dict)
    json.dumps(info, default=str)  # stored as JSON with each run
    json.dumps(key)
    assert config_key(CFG, **key) == config_key(CFG, **dev.options_key())  # stable for reuse
    assert isinstance(dev.artifact_fields(artifact), dict)
