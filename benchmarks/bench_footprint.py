"""The toolkit's own memory footprint: peak RSS of a whole sweep (target: under 4 GB).

Runs ``mobench bench --preset PRESET --protocol PROTOCOL`` in a child process with a
throw-away database and reads the child's peak resident set size from the kernel
(``getrusage(RUSAGE_CHILDREN).ru_maxrss``: exact, no sampling).

    python benchmarks/bench_footprint.py                      # --preset paper --protocol study
    python benchmarks/bench_footprint.py --preset quick --protocol quick
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="paper")
    ap.add_argument("--protocol", default="study")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--db", default=None, help="keep the runs in this database (default: a temporary one)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "footprint.sqlite")
        cmd = [
            sys.executable,
            "-m",
            "mobench",
            "bench",
            "--preset",
            args.preset,
            "--protocol",
            args.protocol,
            "--device",
            args.device,
            "--db",
            db,
        ]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wall = time.monotonic() - t0
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
        if sys.platform == "darwin":
            peak_kb //= 1024  # bytes on macOS
        print(proc.stdout[-6000:])
        from mobench.results import load

        df = load(db)
    gb = peak_kb / 1024 / 1024
    print(
        f"sweep {args.preset} / {args.protocol} on {args.device}: {len(df)} runs "
        f"({(df['status'] == 'ok').sum()} ok, {(df['status'] == 'failed').sum()} failed) in {wall:.0f} s; "
        f"exit {proc.returncode}"
    )
    print(
        f"peak RSS of the sweep process: {gb:.2f} GB ({peak_kb / 1024:.0f} MB); target < 4 GB: "
        f"{'met' if gb < 4 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
