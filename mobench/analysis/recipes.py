"""Runtime x recipe: each run's headline latency as a speed-up over the same model's fp32 run.

``speedup_table(runs)`` takes the runs frame of :func:`mobench.results.load_runs`
(one row per stored run, ``recipe`` holding the export recipe) and returns
one row per (model, device, recipe) with the median latency of the newest ok
run, the same device's fp32 median for that model, and ``speedup = fp32 /
recipe`` (> 1: the recipe is faster). Runs of different protocols are not
mixed: the newest protocol per (model, device) is used.
"""

from __future__ import annotations

from typing import Any

COLUMNS = ["model", "device", "recipe", "median_ms", "fp32_median_ms", "speedup"]


def speedup_table(runs: Any) -> Any:
    import pandas as pd

    if runs is None or len(runs) == 0 or "median_ms" not in getattr(runs, "columns", []):
        return pd.DataFrame(columns=COLUMNS)
    ok = runs[runs["status"] == "ok"].copy()
    if ok.empty:
        return pd.DataFrame(columns=COLUMNS)
    ok["recipe"] = ok["recipe"].fillna("fp32")
    ok = ok.sort_values("created")
    newest_proto = ok.groupby(["model", "device"])["protocol"].last().rename("_proto")
    ok = ok.join(newest_proto, on=["model", "device"])
    ok = ok[ok["protocol"] == ok["_proto"]]
    if "reparameterized" in ok.columns:
        ok = ok[ok["reparameterized"].fillna(True).astype(bool)]
    last = ok.groupby(["model", "device", "recipe"], as_index=False)["median_ms"].last()
    fp32 = last[last["recipe"] == "fp32"][["model", "device", "median_ms"]].rename(
        columns={"median_ms": "fp32_median_ms"}
    )
    out = last.merge(fp32, on=["model", "device"], how="left")
    out["speedup"] = out["fp32_median_ms"] / out["median_ms"]
    return out[COLUMNS].sort_values(["model", "device", "recipe"]).reset_index(drop=True)
