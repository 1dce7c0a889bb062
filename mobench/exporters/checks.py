"""Structural checks on a converted graph and numerical parity against PyTorch.

Structural checks compare the converted graph's op histogram with the PyTorch
module it came from. For reparameterizable models (MobileOne, RepVGG) they are
hard checks, because they are the point of the paper's fusion:

* fused: no batch-norm op left, and exactly one conv per block (plus the block's
  squeeze-excite convs); MobileOne S0 -> 43 convs;
* unfused (``--no-reparam``): the graph really holds the branches (as many convs
  as the train-time module, more than one per block, and the adds that sum them).

For other models the conv count is recorded as information (converters may
legitimately rewrite convs of, e.g., attention blocks).
"""

from __future__ import annotations

from typing import Any

from .config import PARITY_ATOL, PARITY_RTOL, export_format
from .recipes import recipe


def ops(fmt: str) -> dict[str, tuple[str, ...]]:
    """Op names the checks count for ``fmt`` (its class's ``ops``: ONNX op_type, MIL op type, ...)."""
    return dict(export_format(fmt).ops)


def count(histogram: dict[str, int], fmt: str, kind: str) -> int:
    return sum(histogram.get(op, 0) for op in ops(fmt).get(kind, ()))


def _check(name: str, passed: bool, expected: Any, actual: Any, detail: str) -> dict[str, Any]:
    return {"name": name, "passed": bool(passed), "expected": expected, "actual": actual, "detail": detail}


def structural_checks(
    histogram: dict[str, int], fmt: str, exp: dict[str, Any], reparameterized: bool
) -> dict[str, Any]:
    """Checks of the converted graph against the PyTorch module; ``status`` is ``failed`` if any hard check fails."""
    convs = count(histogram, fmt, "conv")
    bns = count(histogram, fmt, "batch_norm")
    adds = count(histogram, fmt, "add")
    blocks = exp.get("reparameterizable_blocks", 0)
    checks: list[dict[str, Any]] = []
    info: dict[str, Any] = {"graph_convs": convs, "graph_batch_norms": bns, "graph_adds": adds, **exp}
    if blocks and reparameterized:
        checks.append(
            _check(
                "no_batch_norm",
                bns == 0,
                0,
                bns,
                "a fused model has every BatchNorm folded into its block's conv",
            )
        )
        checks.append(
            _check(
                "one_conv_per_block",
                exp.get("blocks_with_one_conv") == exp.get("fused_blocks") == blocks,
                blocks,
                exp.get("blocks_with_one_conv"),
                "every reparameterizable block is a single conv after fusion (squeeze-excite convs aside)",
            )
        )
        checks.append(
            _check(
                "conv_count",
                convs == exp["torch_convs"],
                exp["torch_convs"],
                convs,
                "graph convs = the fused module's convs (one per block + squeeze-excite + others)",
            )
        )
    elif blocks:
        checks.append(
            _check(
                "conv_count",
                convs == exp["torch_convs"],
                exp["torch_convs"],
                convs,
                "graph convs = the train-time module's convs: the converter kept every branch",
            )
        )
        checks.append(
            _check(
                "branches_present",
                exp.get("block_convs", 0) > blocks and convs > blocks,
                f"> {blocks}",
                convs,
                "an unfused model has more than one conv per block (k conv branches + scale branch)",
            )
        )
        checks.append(
            _check(
                "branch_adds",
                adds >= blocks,
                f">= {blocks}",
                adds,
                "the branches of every block are summed by add ops",
            )
        )
    status = "passed" if all(c["passed"] for c in checks) else "failed"
    return {"status": status, "checks": checks, "counts": info}


def failed_summary(result: dict[str, Any]) -> str:
    bad = [c for c in result["checks"] if not c["passed"]]
    return "; ".join(f"{c['name']}: expected {c['expected']}, got {c['actual']} ({c['detail']})" for c in bad)


def compare(out, ref, recipe: str, runtime: str) -> dict[str, Any]:
    """Parity of ``out`` against the PyTorch reference ``ref`` (numpy arrays).

    Passes when ``max|out - ref| <= PARITY_RTOL[recipe] * max|ref| + PARITY_ATOL``
    (fp32: 5e-4, fp16: 2e-2 of the largest reference logit; see :mod:`.config`).
    """
    import numpy as np

    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    rtol = PARITY_RTOL[recipe]
    base = {
        "runtime": runtime,
        "rtol": rtol,
        "atol": PARITY_ATOL,
        "recipe": recipe,
        "criterion": "max|out-ref| <= rtol * max|ref| + atol",
    }
    if out.shape != ref.shape:
        return {**base, "status": "failed", "reason": f"output shape {list(out.shape)} != PyTorch {list(ref.shape)}"}
    if not np.all(np.isfinite(out)):
        return {**base, "status": "failed", "reason": "output has inf/NaN (fp16 overflow?)"}
    diff = float(np.max(np.abs(out - ref))) if out.size else 0.0
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    limit = rtol * scale + PARITY_ATOL
    top1 = bool(np.array_equal(out.reshape(out.shape[0], -1).argmax(1), ref.reshape(ref.shape[0], -1).argmax(1)))
    ok = diff <= limit
    return {
        **base,
        "status": "passed" if ok else "failed",
        "reason": None if ok else f"max|out-ref| = {diff:.3g} exceeds {limit:.3g} ({rtol:g} x max|ref| {scale:.3g})",
        "max_abs_diff": diff,
        "max_abs_ref": scale,
        "rel_err": diff / scale if scale else None,
        "top1_agrees": top1,
    }


def quantized_metrics(out, ref) -> dict[str, float]:
    """How far one quantized output is from the fp32 reference (flattened logits, numpy arrays).

    * ``cosine``: cosine similarity of the two logit vectors (direction);
    * ``spread_error``: ``rms(out - ref) / std(ref)``, the error relative to the spread of the
      fp32 logits (scale and offset too: an output scaled by 2 has cosine 1 but spread error 1;
      a constant output has spread error 1; an unrelated one of the same spread about 1.4);
    * ``top1`` / ``top5``: whether the reference's arg-max class is the output's arg-max / in its top 5
      (recorded, not judged: random-weight logits sit too close together for the arg-max to be stable).
    """
    import numpy as np

    o = np.asarray(out, dtype=np.float64).reshape(-1)
    f = np.asarray(ref, dtype=np.float64).reshape(-1)
    no, nf = float(np.linalg.norm(o)), float(np.linalg.norm(f))
    spread = float(np.std(f))
    best = int(f.argmax())
    return {
        "cosine": float(o @ f / (no * nf)) if no and nf else 0.0,
        "spread_error": float(np.sqrt(np.mean((o - f) ** 2)) / spread) if spread else float("inf"),
        "top1": float(int(o.argmax()) == best),
        "top5": float(best in np.argsort(-o)[:5]),
    }


def compare_quantized(outs, refs, recipe_name: str, runtime: str) -> dict[str, Any]:
    """Parity of a quantized artifact against the fp32 PyTorch model on several inputs.

    ``outs`` and ``refs`` are sequences of logits arrays (one per input). Passes when the
    smallest cosine similarity >= the recipe's ``min_cosine`` and the largest spread error
    (:func:`quantized_metrics`) <= its ``max_spread_error`` (thresholds and why: see
    :mod:`.recipes`). Top-1 agreement and top-5 containment are recorded as information.
    The fp32 element-wise tolerance is not used (nor loosened) here.
    """
    import numpy as np

    r = recipe(recipe_name)
    base = {"runtime": runtime, "recipe": recipe_name, **r.parity_rule()}
    o = [np.asarray(x, dtype=np.float64).reshape(-1) for x in outs]
    f = [np.asarray(x, dtype=np.float64).reshape(-1) for x in refs]
    if len(o) != len(f) or not o:
        return {**base, "status": "failed", "reason": f"{len(o)} outputs for {len(f)} reference inputs"}
    if any(a.shape != b.shape for a, b in zip(o, f, strict=False)):
        return {**base, "status": "failed", "reason": f"output shape {list(o[0].shape)} != PyTorch {list(f[0].shape)}"}
    if not all(np.all(np.isfinite(a)) for a in o):
        return {**base, "status": "failed", "reason": "output has inf/NaN"}
    m = [quantized_metrics(a, b) for a, b in zip(o, f, strict=False)]
    cos = [x["cosine"] for x in m]
    err = [x["spread_error"] for x in m]
    ok_cos = r.min_cosine is None or min(cos) >= r.min_cosine
    ok_err = r.max_spread_error is None or max(err) <= r.max_spread_error
    reason = None
    if not (ok_cos and ok_err):
        reason = (
            f"min cosine {min(cos):.4f} (needs >= {r.min_cosine}), max error {max(err):.3f} of the fp32 logits' "
            f"spread (needs <= {r.max_spread_error}) against PyTorch fp32 on {len(o)} inputs"
        )
    return {
        **base,
        "status": "passed" if ok_cos and ok_err else "failed",
        "reason": reason,
        "min_cosine_measured": min(cos),
        "mean_cosine": float(np.mean(cos)),
        "max_spread_error_measured": max(err),
        "mean_spread_error": float(np.mean(err)),
        "top1_agreement": float(np.mean([x["top1"] for x in m])),
        "top5_agreement": float(np.mean([x["top5"] for x in m])),
        "n_inputs": len(o),
    }
