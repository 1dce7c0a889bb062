"""A small synthetic results store: fake runs with known latencies, no models built, no timing.

A uniquely named module (not conftest) so that `from analysis_fakes import ...` cannot pick up
another folder's conftest when the whole suite runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# model -> (median latency ms on the fake "cpu" device); names from the paper's table so that
# reference comparisons, top-1 and families work.
FAKE_CPU_MS = {
    "mobileone_s0": 4.0,
    "mobilenet_v3_small": 2.5,
    "mobilenet_v2_100": 6.0,
    "mobilenet_v1": 5.0,
    "efficientnet_b0": 11.0,
    "shufflenet_v2_x1_0": 3.5,
}
UNFUSED_S0_MS = 9.0
# The fake runs' device info, and the target label the store gives them.
FAKE_CPU_INFO = {"threads": 2, "runtime": "onnxruntime", "ort_version": "1.23.2", "graph_optimization": "all"}
CPU_TARGET = "cpu/ort-1.23/2t"
# Hand-made complexity table (counted metrics) for the fake models.
FAKE_METRICS = pd.DataFrame(
    {
        "macs_m": [275, 56, 300, 575, 390, 146],
        "params_m": [2.1, 2.5, 3.4, 4.2, 5.3, 2.3],
        "memory_mb": [40, 20, 60, 50, 90, 30],
        "activations_m": [3.0, 1.0, 6.0, 5.0, 7.0, 2.0],
        "layers": [43, 52, 53, 28, 81, 57],
        "branches": [0, 10, 10, 0, 16, 16],
        "depth": [43, 40, 53, 28, 50, 51],
    },
    index=pd.Index(list(FAKE_CPU_MS), name="model"),
)


def _samples(median: float, rounds: int, n: int, rng) -> list[list[float]]:
    out = []
    for r in range(rounds):
        drift = 1.0 + 0.02 * r / max(1, rounds - 1)
        vals = median * drift * (1 + 0.03 * rng.standard_normal(n))
        if r == 0:
            vals[0] *= 1.5  # a slow first sample: warm-up visible in the drift plot
        out.append([float(v) for v in np.abs(vals)])
    return out


def make_store(path, *, with_unfused: bool = True, failed: bool = True):
    from mobench.core.records import RunRecord
    from mobench.results import Store

    rng = np.random.default_rng(0)
    store = Store(path)
    prov = {"host": "testhost", "cpu": "Fake CPU", "os": "Linux", "versions": {"python": "3.x"}}
    cfg = {"name": "quick", "warmup": 1, "rounds": 4, "inferences": 12, "trim": 1, "headline": "median"}
    for model, ms in FAKE_CPU_MS.items():
        store.add_run(
            RunRecord(
                model=model,
                device="cpu",
                artifact_format="onnx",
                recipe="fp32",
                reparameterized=True,
                protocol="quick",
                config=cfg,
                provenance=prov,
                device_info=FAKE_CPU_INFO,
                samples_ms=_samples(ms, 4, 12, rng),
                load_ms=[10.0],
                first_inference_ms=[ms * 2],
            )
        )
    if with_unfused:
        store.add_run(
            RunRecord(
                model="mobileone_s0",
                device="cpu",
                artifact_format="onnx",
                recipe="fp32",
                reparameterized=False,
                protocol="quick",
                config=cfg,
                provenance=prov,
                device_info=FAKE_CPU_INFO,
                samples_ms=_samples(UNFUSED_S0_MS, 4, 12, rng),
            )
        )
    if failed:
        store.add_run(
            RunRecord(
                model="repvgg_a0",
                device="cpu",
                status="failed",
                error="export: converter says no",
                protocol="quick",
                config=cfg,
                device_info=FAKE_CPU_INFO,
                provenance=prov,
            )
        )
    store.close()
    return path
