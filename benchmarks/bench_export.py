"""Export time per model and format (the target: the `quick` preset, both formats, within 60 s).

Exports into a fresh temporary folder (nothing reused), one (model, format) at a
time, and prints seconds per export, the total and its ratio to the budget.
Importing coremltools (~5 s) is part of what a user waits for: it is counted in the
total and shown separately. Models run in order with every format of a model
exported from one built module, as `mobench export` does.

    python benchmarks/bench_export.py                       # quick preset, coreml + onnx
    python benchmarks/bench_export.py --preset mobileone --formats onnx
    python benchmarks/bench_export.py --model s0 --model mobilenet_v2_100 --budget 30

Timings on a shared 2-core machine are noisy: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--model", action="append", default=None, help="model names (overrides --preset)")
    ap.add_argument("--formats", default="coreml,onnx")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds allowed for the whole set")
    ap.add_argument("--out", type=Path, default=None, help="keep the artifacts here (default: a temp folder)")
    args = ap.parse_args()

    t_start = time.perf_counter()
    from mobench.exporters import ExportConfig, expand_formats, export_many
    from mobench.models import resolve_models

    names = resolve_models(args.model, None if args.model else args.preset)
    formats = expand_formats(args.formats.split(","))
    t_import = time.perf_counter() - t_start

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_export.") as tmp:
        out = args.out or Path(tmp)
        config = ExportConfig(out_dir=out, force=True)
        t_ct = None
        if "coreml" in formats:
            t0 = time.perf_counter()
            from mobench.exporters.coreml import import_coremltools

            import_coremltools()
            t_ct = time.perf_counter() - t0
        cpu0 = time.process_time()
        # export_many is what `mobench export` runs: models in order, every format of a
        # model from one built module.
        for r in export_many(names, formats, config):
            if r.ok:
                m = r.artifact.manifest
                rows.append(
                    (
                        r.model,
                        r.format,
                        r.seconds,
                        "ok",
                        f"{m['size_bytes'] / 1e6:.1f} MB, parity {m['parity']['status']}",
                    )
                )
            else:
                rows.append((r.model, r.format, r.seconds, "FAILED", (r.error or "")[:100]))
        cpu = time.process_time() - cpu0
    total = time.perf_counter() - t_start

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(
        f"\nexport time per model and format ({os.cpu_count()} logical cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})"
    )
    print(f"{'model':24s} {'format':7s} {'seconds':>8s}  status  detail")
    for name, fmt, sec, status, detail in rows:
        print(f"{name:24s} {fmt:7s} {sec:8.1f}  {status:6s}  {detail}")
    for fmt in formats:
        print(f"sum {fmt:20s}        {sum(r[2] for r in rows if r[1] == fmt):8.1f}")
    print(f"process CPU time of the exports: {cpu:.1f} s (less sensitive to other users' load than wall time)")
    print(
        f"importing mobench + torch: {t_import:.1f} s"
        + (f"; importing coremltools: {t_ct:.1f} s" if t_ct is not None else "")
    )
    print(
        f"TOTAL wall time (imports included): {total:.1f} s; budget {args.budget:.0f} s; "
        f"ratio total/budget = {total / args.budget:.2f} ({'within' if total <= args.budget else 'OVER'} budget)"
    )


if __name__ == "__main__":
    main()
