"""Runtime x recipe: S0 and MobileNetV2 medians as ratios to ONNX Runtime fp32, measured side by side.

For each model, every (runtime, recipe) cell is exported (or an export with the same
options reused), loaded once through its mobench device (``cpu`` = ONNX Runtime,
``executorch`` = ExecuTorch XNNPACK, ``torch`` = eager PyTorch), and then timed
interleaved: each round runs a short burst of every cell in turn (the order rotates
per round), so a change of machine load hits all cells alike. The median of all
samples of a cell is divided by the ONNX Runtime fp32 median of the same model.

    python benchmarks/bench_recipes.py
    python benchmarks/bench_recipes.py --model s0 --rounds 10 --burst 10 --threads 1
    python benchmarks/bench_recipes.py --out /tmp/exports     # keep/reuse the artifacts

Timings on a shared 2-core machine are noisy: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

CELLS = [("cpu", "fp32"), ("cpu", "int8"), ("executorch", "fp32"), ("executorch", "int8"), ("torch", "fp32")]
LABEL = {"cpu": "ort", "executorch": "executorch", "torch": "torch"}


def _predictor(model: str, device: str, recipe: str, out: Path, threads: int):
    from mobench.core import protocol
    from mobench.devices import get_device
    from mobench.exporters import ExportConfig, export, find_artifact

    dev = get_device(device, threads=threads)
    art = None
    if dev.artifact_format is not None:
        ec = ExportConfig(recipe=recipe, out_dir=out)
        art = find_artifact(model, dev.artifact_format, ec) or export(model, dev.artifact_format, ec)
    handle = dev.load(model, art)
    predict = dev.bind(handle, dev.make_input(handle, art, protocol("quick")))
    predict()
    return predict


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", default=None, help="models (default: mobileone_s0, mobilenet_v2_100)")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--burst", type=int, default=5, help="inferences per cell per round")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="export folder (default: a temp folder)")
    args = ap.parse_args()
    models = args.model or ["mobileone_s0", "mobilenet_v2_100"]

    with tempfile.TemporaryDirectory(prefix="bench_recipes.") as tmp:
        out = args.out or Path(tmp)
        for model in models:
            t0 = time.perf_counter()
            cells = {cell: _predictor(model, *cell, out, args.threads) for cell in CELLS}
            prep_s = time.perf_counter() - t0
            samples: dict[tuple[str, str], list[float]] = {c: [] for c in CELLS}
            loads = []
            pc = time.perf_counter_ns
            for rnd in range(args.rounds):
                order = CELLS[rnd % len(CELLS) :] + CELLS[: rnd % len(CELLS)]
                for cell in order:
                    predict = cells[cell]
                    for _ in range(args.burst):
                        a = pc()
                        predict()
                        samples[cell].append((pc() - a) / 1e6)
                loads.append(os.getloadavg()[0])
            base = statistics.median(samples[("cpu", "fp32")])
            print(
                f"\n{model}: {args.rounds} rounds x {args.burst} inferences per cell, interleaved, "
                f"{args.threads} thread(s); exports/loads {prep_s:.0f} s; load average {min(loads):.1f}..{max(loads):.1f}"
            )
            print(f"{'runtime':<12}{'recipe':<8}{'median ms':>10}{'vs ort fp32':>13}")
            for cell in CELLS:
                med = statistics.median(samples[cell])
                print(f"{LABEL[cell[0]]:<12}{cell[1]:<8}{med:>10.3f}{med / base:>12.2f}x")


if __name__ == "__main__":
    main()
