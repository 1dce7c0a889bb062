"""The input spec's rules: parsing --input, fixing free dims, .npz data, feeds in every dtype."""

from __future__ import annotations

import numpy as np
import pytest

from mobench.core.errors import UsageError
from mobench.core.inputs import (
    InputChoice,
    InputDim,
    Inputs,
    InputSpec,
    feed,
    load_npz,
    parse_input_options,
    resolve,
    spec,
    synthesize,
)

DET = InputSpec("x", (InputDim(None, "batch"), InputDim(3), InputDim(None, "height"), InputDim(None, "width")))
VAD = (
    InputSpec("input", (InputDim(None, "batch"), InputDim(None, "sequence"))),
    InputSpec("state", (InputDim(2), InputDim(None, "batch"), InputDim(128))),
    InputSpec("sr", (), "int64"),
)


def test_parse_input_options():
    assert parse_input_options(["x=1x3x640x640", "sr=scalar", "y=5"]) == {"x": (1, 3, 640, 640), "sr": (), "y": (5,)}
    assert parse_input_options(None) == {}


@pytest.mark.parametrize(
    "raw, words",
    [
        ("x", "malformed"),
        ("=1x3", "malformed"),
        ("x=", "malformed"),
        ("x=1x3xHx4", "not a list of sizes"),
        ("x=1x0x4", "positive"),
        ("x=1x-3", "positive"),
    ],
)
def test_malformed_input_options_are_one_line(raw, words):
    with pytest.raises(UsageError, match=words) as exc:
        parse_input_options([raw])
    assert "\n" not in str(exc.value)


def test_an_input_given_twice_is_refused():
    with pytest.raises(UsageError, match="given twice"):
        parse_input_options(["x=1x3x4x4", "x=1x3x8x8"])


def test_free_spatial_dims_stop_with_every_input_and_a_line_to_copy():
    with pytest.raises(UsageError) as exc:
        resolve("det.onnx", [DET])
    msg = str(exc.value)
    assert "x: [batch?, 3, height?, width?] float32" in msg
    assert "--input x=1x3x224x224" in msg
    assert "\n" not in msg


def test_free_batch_becomes_one_with_a_note_and_is_the_default():
    s = InputSpec("x", (InputDim(None, "N"), InputDim(3), InputDim(32), InputDim(32)))
    res = resolve("m.onnx", [s])
    assert res.shapes() == {"x": (1, 3, 32, 32)}
    assert res.default and res.label() == ""
    assert res.notes == ("free batch dim of x set to 1",)


def test_chosen_dims_make_a_labelled_measurement():
    res = resolve("det.onnx", [DET], {"x": (1, 3, 640, 480)})
    assert res.shapes() == {"x": (1, 3, 640, 480)}
    assert not res.default and res.label() == "x=1x3x640x480"


def test_a_shared_symbol_takes_the_size_given_elsewhere():
    res = resolve("vad.onnx", VAD, {"input": (1, 512)})
    assert res.shapes() == {"input": (1, 512), "state": (2, 1, 128), "sr": ()}
    assert res.label() == "input=1x512,state=2x1x128,sr=scalar"


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"x": (1, 4, 64, 64)}, "dim 1 is 4 but the model fixes it at 3"),
        ({"x": (1, 3, 64)}, "3 dim\\(s\\) given, the model's input has 4"),
        ({"y": (1,)}, "has no input 'y'"),
    ],
)
def test_bad_dims_are_one_line(overrides, words):
    with pytest.raises(UsageError, match=words) as exc:
        resolve("det.onnx", [DET], overrides)
    assert "\n" not in str(exc.value)


def test_a_factory_default_may_be_changed():
    s = InputSpec("x", tuple(InputDim(v, None, False) for v in (1, 3, 224, 224)))
    assert resolve("net.py:build", [s], {"x": (1, 3, 320, 320)}).shapes() == {"x": (1, 3, 320, 320)}


def _npz(tmp_path, **arrays):
    p = tmp_path / "in.npz"
    np.savez(p, **arrays)
    return p


def test_npz_data_fixes_shapes_and_is_identified_by_sha256(tmp_path):
    p = _npz(
        tmp_path,
        input=np.zeros((1, 256), np.float32),
        state=np.zeros((2, 1, 128), np.float32),
        sr=np.array(16000, np.int64),
    )
    arrays, info = load_npz(p)
    res = resolve("vad.onnx", VAD, None, arrays, info)
    assert res.shapes()["input"] == (1, 256)
    assert res.label().endswith(f"+data={info.sha256[:10]}")
    assert all(s.source == "file" for s in res.specs)
    fed = feed(res, 0)
    assert fed["sr"].dtype == np.int64 and int(fed["sr"]) == 16000


@pytest.mark.parametrize(
    "arrays, words",
    [
        ({"input": np.zeros((1, 4), np.float32), "state": np.zeros((2, 1, 128), np.float32)}, "missing sr"),
        (
            {
                "input": np.zeros((1, 4), np.float32),
                "state": np.zeros((2, 1, 128), np.float32),
                "sr": np.array(1, np.int64),
                "extra": np.zeros(1, np.float32),
            },
            "extra extra",
        ),
        (
            {
                "input": np.zeros((1, 4), np.float64),
                "state": np.zeros((2, 1, 128), np.float32),
                "sr": np.array(1, np.int64),
            },
            "input is float64, the model takes float32",
        ),
        (
            {
                "input": np.zeros((1, 4), np.float32),
                "state": np.zeros((3, 1, 128), np.float32),
                "sr": np.array(1, np.int64),
            },
            "dim 0 is 3 but the model fixes it at 2",
        ),
    ],
)
def test_bad_npz_data_is_one_line(tmp_path, arrays, words):
    data, info = load_npz(_npz(tmp_path, **arrays))
    with pytest.raises(UsageError, match=words) as exc:
        resolve("vad.onnx", VAD, None, data, info)
    assert "\n" not in str(exc.value)


def test_npz_and_input_must_agree(tmp_path):
    data, info = load_npz(_npz(tmp_path, x=np.zeros((1, 3, 8, 8), np.float32)))
    with pytest.raises(UsageError, match="disagrees with --input-data"):
        resolve("det.onnx", [DET], {"x": (1, 3, 16, 16)}, data, info)


def test_unreadable_npz_is_one_line(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(UsageError, match="not a readable .npz"):
        load_npz(bad)
    with pytest.raises(UsageError, match="no such file"):
        load_npz(tmp_path / "missing.npz")


def test_a_changed_data_file_is_refused_at_feed_time(tmp_path):
    from mobench.core.errors import DeviceError

    p = _npz(tmp_path, x=np.zeros((1, 3, 8, 8), np.float32))
    data, info = load_npz(p)
    res = resolve("det.onnx", [DET], None, data, info)
    np.savez(p, x=np.ones((1, 3, 8, 8), np.float32))
    with pytest.raises(DeviceError, match="changed since it was chosen"):
        feed(res, 0)


@pytest.mark.parametrize("dtype", ["float32", "float16", "int64", "int32", "uint8", "bool"])
def test_every_dtype_is_fed_in_its_own_dtype(dtype):
    a = synthesize(spec("t", [2, 5], dtype), seed=7)
    assert str(a.dtype) == dtype and a.shape == (2, 5)
    if dtype == "bool":
        assert a.all()
    elif dtype.startswith(("int", "uint")):
        assert a.min() >= 0 and a.max() < 4  # valid indices
    else:
        assert np.isfinite(a).all() and a.std() > 0


def test_first_input_keeps_the_one_input_seeded_values():
    from mobench.devices.base import seeded_tensor

    a = synthesize(spec("x", [1, 3, 4, 4]), seed=3)
    assert np.array_equal(a, seeded_tensor((1, 3, 4, 4), 3))
    b = feed(Inputs((spec("x", [1, 3, 4, 4]), spec("y", [1, 3, 4, 4]))), 3)
    assert not np.array_equal(b["x"], b["y"])


def test_spec_round_trips_through_dicts():
    res = resolve("vad.onnx", VAD, {"input": (1, 512)})
    assert Inputs.from_dict(res.to_dict()) == res
    assert InputSpec.from_dict(DET.to_dict()) == DET


def test_input_choice():
    c = InputChoice.parse(["x=1x2"], None)
    assert not c.empty and c.overrides == {"x": (1, 2)}
    assert InputChoice.parse(None, None).empty
