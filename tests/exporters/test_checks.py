"""Structural checks and the parity comparison, on synthetic inputs (each shown failing too)."""

from __future__ import annotations

import numpy as np
import pytest

from mobench.exporters.checks import compare, structural_checks

FUSED_S0 = {
    "torch_convs": 43,
    "torch_batch_norms": 0,
    "reparameterizable_blocks": 43,
    "block_convs": 43,
    "blocks_with_one_conv": 43,
    "fused_blocks": 43,
}
UNFUSED_S0 = {"torch_convs": 191, "torch_batch_norms": 226, "reparameterizable_blocks": 43, "block_convs": 191}


@pytest.mark.parametrize(
    "fmt,conv,bn,add", [("onnx", "Conv", "BatchNormalization", "Add"), ("coreml", "conv", "batch_norm", "add")]
)
def test_fused_checks_pass_and_fail(fmt, conv, bn, add):
    good = structural_checks({conv: 43, "relu": 43}, fmt, FUSED_S0, reparameterized=True)
    assert good["status"] == "passed" and {c["name"] for c in good["checks"]} == {
        "no_batch_norm",
        "one_conv_per_block",
        "conv_count",
    }
    leftover_bn = structural_checks({conv: 43, bn: 2}, fmt, FUSED_S0, reparameterized=True)
    assert leftover_bn["status"] == "failed"
    assert [c["name"] for c in leftover_bn["checks"] if not c["passed"]] == ["no_batch_norm"]
    extra_conv = structural_checks({conv: 44}, fmt, FUSED_S0, reparameterized=True)
    assert [c["name"] for c in extra_conv["checks"] if not c["passed"]] == ["conv_count"]
    # a block whose fusion left two convs fails even if the totals agree
    bad_block = structural_checks({conv: 43}, fmt, {**FUSED_S0, "blocks_with_one_conv": 42}, reparameterized=True)
    assert [c["name"] for c in bad_block["checks"] if not c["passed"]] == ["one_conv_per_block"]


def test_unfused_checks_need_the_branches():
    ok = structural_checks(
        {"Conv": 191, "Add": 183, "BatchNormalization": 35}, "onnx", UNFUSED_S0, reparameterized=False
    )
    assert ok["status"] == "passed"
    folded = structural_checks({"Conv": 43, "Add": 0}, "onnx", UNFUSED_S0, reparameterized=False)
    assert folded["status"] == "failed"
    assert {c["name"] for c in folded["checks"] if not c["passed"]} == {"conv_count", "branches_present", "branch_adds"}


def test_plain_models_only_record_counts():
    res = structural_checks({"Conv": 52, "Add": 10}, "onnx", {"torch_convs": 52, "reparameterizable_blocks": 0}, False)
    assert res["status"] == "passed" and res["checks"] == [] and res["counts"]["graph_convs"] == 52


def test_compare_relative_to_the_largest_logit():
    ref = np.array([[1000.0, -3.0, 0.5]])
    assert compare(ref + 0.05, ref, "fp32", "x")["status"] == "passed"  # 5e-5 of 1000
    bad = compare(ref + 1.0, ref, "fp32", "x")  # 1e-3 of 1000 > 5e-4
    assert bad["status"] == "failed" and "exceeds" in bad["reason"]
    assert compare(ref + 5.0, ref, "fp16", "x")["status"] == "passed"  # 5e-3 < 2e-2
    assert compare(ref * 1.1, ref, "fp16", "x")["status"] == "failed"  # 10% off


def test_compare_rejects_shape_mismatch_and_non_finite():
    ref = np.zeros((1, 10))
    assert "shape" in compare(np.zeros((1, 9)), ref, "fp32", "x")["reason"]
    out = ref.copy()
    out[0, 3] = np.inf
    assert "inf/NaN" in compare(out, ref, "fp16", "x")["reason"]
