"""What reparameterization buys under ONNX Runtime on this CPU: fused vs unfused MobileOne, side by side.

Exports the fused and the unfused (``--no-reparam``) graph of one model to ONNX,
then times both in the same process with identical ONNX Runtime settings,
alternating between them round by round so that background load hits both
alike. Prints per-model median and minimum latency and the ratio
unfused / fused (target for S0: at least 2x; the unfused S0 runs k=4 parallel
convolutions plus scale and skip branches per block where the fused graph runs one).

    python benchmarks/bench_fusion_onnx.py                  # mobileone_s0
    python benchmarks/bench_fusion_onnx.py --model s1 --rounds 20 --threads 2

Measured here (2 shared cores, ORT 1.31, 1 thread, 20 rounds x 10): S0 fused 7.6 ms,
unfused 27.9 ms median: 3.66x (3.67x on the minimum). With --threads 0 under load:
2.0x median, 3.3x minimum (noisy). The unfused graph has 191 convs, 183 adds and
3.8x the MACs (1052 M vs 275 M).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="mobileone_s0")
    ap.add_argument("--rounds", type=int, default=15, help="alternating rounds (each: every model, --inferences times)")
    ap.add_argument("--inferences", type=int, default=10, help="timed inferences per model per round")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="ONNX Runtime intra-op threads (0 = ORT default: all cores). Default 1: on a shared "
        "machine a multi-threaded run mostly measures descheduling (S0 fused: median 12.6 ms, "
        "min 4.9 ms with 2 threads), one thread measures the graph",
    )
    ap.add_argument("--target", type=float, default=2.0, help="required unfused/fused ratio")
    args = ap.parse_args()

    import numpy as np
    import onnxruntime as ort

    from mobench.exporters import ExportConfig, export

    with tempfile.TemporaryDirectory(prefix="bench_fusion.") as tmp:
        arts = {}
        for label, fuse in (("fused", True), ("unfused", False)):
            t0 = time.perf_counter()
            arts[label] = export(args.model, "onnx", ExportConfig(out_dir=Path(tmp), reparameterize=fuse))
            m = arts[label].manifest
            print(
                f"exported {label:8s} {arts[label].path.name:28s} in {time.perf_counter() - t0:5.1f} s: "
                f"{m['op_histogram'].get('Conv', 0)} Conv, {m['op_histogram'].get('BatchNormalization', 0)} BN, "
                f"{m['op_histogram'].get('Add', 0)} Add, {m['params'] / 1e6:.2f} M params, {m['macs'] / 1e6:.0f} M MACs"
            )

        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        sessions = {
            k: ort.InferenceSession(str(a.path), so, providers=["CPUExecutionProvider"]) for k, a in arts.items()
        }
        res = arts["fused"].manifest["resolution"]
        x = np.random.default_rng(0).standard_normal((1, 3, res, res)).astype(np.float32)
        for s in sessions.values():
            for _ in range(args.warmup):
                s.run(None, {"input": x})
        samples: dict[str, list[float]] = {k: [] for k in sessions}
        for r in range(args.rounds):
            order = list(sessions) if r % 2 == 0 else list(reversed(list(sessions)))
            for k in order:
                run = sessions[k].run
                for _ in range(args.inferences):
                    t0 = time.perf_counter()
                    run(None, {"input": x})
                    samples[k].append((time.perf_counter() - t0) * 1e3)

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(
        f"\nONNX Runtime {ort.__version__} CPU, intra-op threads {args.threads or 'default'}, "
        f"{args.rounds} alternating rounds x {args.inferences} inferences, load average {load[0]:.1f}"
    )
    for k, v in samples.items():
        print(f"{args.model} {k:8s} median {statistics.median(v):7.2f} ms   min {min(v):7.2f} ms   (n={len(v)})")
    ratio_med = statistics.median(samples["unfused"]) / statistics.median(samples["fused"])
    ratio_min = min(samples["unfused"]) / min(samples["fused"])
    verdict = "meets" if ratio_med >= args.target else "MISSES"
    print(
        f"ratio unfused/fused: median {ratio_med:.2f}x, min {ratio_min:.2f}x ({verdict} the {args.target:g}x target on the median)"
    )


if __name__ == "__main__":
    main()
