"""Every registered device passes one contract on a tiny model (parametrized over the registry),
and its declaration holds: the hooks, every option through ``--device-option``, into the reuse
key and the target label.

A device that cannot run here (Core ML prediction off macOS, no tethered iPhone)
is skipped with its own ``available()`` reason. Devices that time an exported
artifact get the tiny ONNX model when their format is ``onnx``, and a tiny timm
test model exported to their format otherwise; the others build that model by name.
"""

from __future__ import annotations

import json

import pytest

from mobench.core import BenchConfig, RunRecord, config_key
from mobench.core.errors import UsageError
from mobench.core.registry import import_target
from mobench.devices import (
    DEVICES,
    Device,
    DeviceOption,
    DeviceProfiler,
    device_class,
    get_device,
    parse_device_options,
)
from mobench.devices.base import LocalDevice
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


# -- the declaration: hooks, options, target label, --device-option ---------------------------------
def _sample(opt: DeviceOption, current) -> str:
    """Command-line text for a value of ``opt`` other than ``current`` (the value a default device has)."""
    if opt.choices:
        return next(c for c in reversed(opt.choices) if c != current)
    if opt.type is bool:
        return "false" if current else "true"
    if opt.type in (int, float):
        base = current if current is not None else (opt.minimum or 1)
        return str(int(base) + 1) if opt.type is int else str(float(base) + 1.5)
    return "sample-value"


@pytest.mark.parametrize("name", DEVICES.names())
def test_device_declares_its_hooks_and_options(name):
    cls = device_class(name)
    for hook in ("run", "target", "profiler") + (
        ("load", "make_input", "bind") if issubclass(cls, LocalDevice) else ()
    ):
        assert not getattr(getattr(cls, hook), "__isabstractmethod__", False), f"{name} misses {hook}"
    assert isinstance(cls.OPTIONS, tuple) and all(isinstance(o, DeviceOption) for o in cls.OPTIONS)
    spec = cls.profiler()
    assert spec is None or isinstance(spec, DeviceProfiler)
    if spec is not None and spec.function:
        assert callable(import_target(spec.function))  # the profiler it names exists
    assert cls.runs_batches == (cls.run_many is not Device.run_many)
    dev = get_device(name)
    assert set(dev.options) == {o.name for o in cls.OPTIONS}
    info = dev.info()
    assert all(o.name in info for o in cls.OPTIONS if o.scope != "session")  # info() says every setting


@pytest.mark.parametrize("name", DEVICES.names())
def test_every_option_works_through_device_option_and_reaches_the_target(name):
    cls = device_class(name)
    default = get_device(name)
    for opt in cls.OPTIONS:
        text = _sample(opt, default.options[opt.name])
        parsed = parse_device_options(name, [f"{opt.name}={text}"])
        assert set(parsed) == {opt.name}
        dev = get_device(name, **parsed)
        assert dev.options[opt.name] == getattr(dev, opt.name)
        key = dev.options_key()
        if opt.changes_measurement:  # part of the reuse key
            assert key != default.options_key(), f"{name} {opt.name}={text} is not in the reuse key"
        else:
            assert key == default.options_key(), f"{name} {opt.name}={text} changes the reuse key"
        target = dev.target()
        if opt.scope == "target" and target is not None:
            assert target.options[opt.name] == dev.options[opt.name] and target.key != default.target().key
            part = opt.label_part(dev.options[opt.name])
            if part is not None:
                assert part in target.label.split("/"), f"{name}: {opt.name} is not in the label {target.label}"
    with pytest.raises(UsageError, match="has no option"):
        parse_device_options(name, ["no_such_option=1"])


def test_the_executorch_target_says_its_threads_and_version():
    from mobench.core.util import package_version

    t = get_device("executorch", threads=1).target()
    version = ".".join(package_version("executorch").split(".")[:2])
    assert t.label == f"executorch/et-{version}/1t" and t.runtime_version == package_version("executorch")


def _device_with_every_hook(**attrs):
    """A LocalDevice subclass with every hook and ``attrs``, defined here (the definition is the check)."""
    body = {
        "load": lambda self, model_name, artifact: None,
        "make_input": lambda self, handle, artifact, config: None,
        "bind": lambda self, handle, inputs: lambda: None,
        "target": lambda self, artifact=None: None,
        "profiler": classmethod(lambda cls: None),
        **attrs,
    }
    return type("Scratch", (LocalDevice,), body)


def test_a_device_class_missing_a_hook_fails_when_defined():
    with pytest.raises(TypeError, match="does not define target, profiler"):

        class NoHooks(LocalDevice):
            name = "nohooks"

            def load(self, model_name, artifact):
                return None

            def make_input(self, handle, artifact, config):
                return None

            def bind(self, handle, inputs):
                return lambda: None

    with pytest.raises(TypeError, match="declares an option twice"):
        _device_with_every_hook(name="twice", OPTIONS=(DeviceOption("threads", int), DeviceOption("threads", int)))
    with pytest.raises(TypeError, match="INTERLEAVED_OPTIONS 'spin' is not a declared option"):
        _device_with_every_hook(name="undeclared", INTERLEAVED_OPTIONS={"spin": "off"})
    with pytest.raises(TypeError, match="INTERLEAVED_OPTIONS 'threads' must be an int"):
        _device_with_every_hook(
            name="badvalue", OPTIONS=(DeviceOption("threads", int),), INTERLEAVED_OPTIONS={"threads": "2"}
        )
    assert _device_with_every_hook(name="fine", OPTIONS=(DeviceOption("threads", int),)).name == "fine"

    with pytest.raises(TypeError, match="runs_batches but does not define run_many"):

        class Claims(Device):
            name = "claims"
            runs_batches = True

            def run(self, model_name, artifact, config, *, progress=None):
                raise NotImplementedError

            def target(self, artifact=None):
                return None

            @classmethod
            def profiler(cls):
                return None
