"""Harness overhead: mobench's ``cpu`` device against a bare ONNX Runtime loop.

Both time the same ONNX artifact with the same session options (intra-op threads,
one inter-op thread, sequential, graph optimization ``all``), interleaved in one
process: A B A B ... so that machine noise hits both alike. Each block builds a
session, does one warm-up and ``--inferences`` timed runs; the ratio of the two
blocks' medians is taken per pair and the median of those ratios is printed.
Target: 1.00 +/- 0.03.

    python benchmarks/bench_overhead.py                       # mobileone_s0, 20 pairs x 50
    python benchmarks/bench_overhead.py --model mobilenet_v3_small --pairs 20 --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time


def bare_block(path: str, feed: dict, threads: int, n: int) -> list[float]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    sess.run(None, feed)
    out = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        sess.run(None, feed)
        out.append((time.perf_counter_ns() - t0) / 1e6)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="mobileone_s0")
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--inferences", type=int, default=50)
    ap.add_argument("--threads", type=int, default=None, help="default: physical cores (as mobench)")
    args = ap.parse_args()

    from mobench.core import BenchConfig
    from mobench.core.util import physical_cores
    from mobench.devices import get_device
    from mobench.exporters import ExportConfig, export, find_artifact

    ec = ExportConfig()
    art = find_artifact(args.model, "onnx", ec) or export(args.model, "onnx", ec)
    threads = args.threads or physical_cores()
    dev = get_device("cpu", threads=threads)
    cfg = BenchConfig(name="overhead", warmup=1, rounds=1, inferences=args.inferences)
    sess = dev.load(args.model, art)
    feed = dev.make_input(sess, art, cfg)  # the very same seeded input for both
    del sess

    ratios, med_m, med_b, min_ratios = [], [], [], []
    print(f"{args.model}: {art.path}  threads={threads}  {args.pairs} pairs x {args.inferences} inferences")
    for i in range(args.pairs):
        first_mobench = i % 2 == 0  # alternate the order inside each pair too
        blocks = {}
        for who in ("mobench", "bare") if first_mobench else ("bare", "mobench"):
            if who == "mobench":
                blocks[who] = dev.run(args.model, art, cfg).samples_ms[0]
            else:
                blocks[who] = bare_block(str(art.path), feed, threads, args.inferences)
        m, b = statistics.median(blocks["mobench"]), statistics.median(blocks["bare"])
        med_m.append(m)
        med_b.append(b)
        ratios.append(m / b)
        min_ratios.append(min(blocks["mobench"]) / min(blocks["bare"]))
        print(
            f"  pair {i + 1:2d}: median mobench {m:8.3f} ms  bare {b:8.3f} ms  ratio {m / b:.3f}   "
            f"min ratio {min_ratios[-1]:.3f}"
        )
    r = statistics.median(ratios)
    pooled = statistics.median(med_m) / statistics.median(med_b)
    lo, hi = sorted(ratios)[len(ratios) // 4], sorted(ratios)[(3 * len(ratios)) // 4]
    print(
        f"median ratio mobench/bare = {r:.3f} (IQR of pair ratios {lo:.3f}-{hi:.3f}; "
        f"ratio of median block medians {pooled:.3f}); target 1.00 +/- 0.03: "
        f"{'within' if abs(r - 1) <= 0.03 else 'OUTSIDE'}"
    )
    rm = statistics.median(min_ratios)
    print(
        f"median of per-pair min ratios = {rm:.3f} (the minimum is the statistic least disturbed by other "
        f"processes; {'within' if abs(rm - 1) <= 0.03 else 'OUTSIDE'} 1.00 +/- 0.03)"
    )


if __name__ == "__main__":
    main()
