"""Runtime x recipe speed-up table over stored runs."""

import pandas as pd

from mobench.analysis.recipes import speedup_table


def _row(model, device, recipe, median, created, status="ok", protocol="quick", reparameterized=True):
    return dict(
        model=model,
        device=device,
        recipe=recipe,
        median_ms=median,
        created=created,
        status=status,
        protocol=protocol,
        reparameterized=reparameterized,
    )


def test_speedup_is_fp32_over_recipe_per_device_newest_run_and_protocol():
    runs = pd.DataFrame(
        [
            _row("s0", "cpu", "fp32", 10.0, "2026-01-01T00:00:00"),
            _row("s0", "cpu", "int8", 5.0, "2026-01-01T00:01:00"),
            _row("s0", "cpu", "int8", 4.0, "2026-01-01T00:02:00"),  # newest int8 wins
            _row("s0", "cpu", "int8", 1.0, "2026-01-01T00:03:00", status="failed"),
            _row("s0", "cpu", "fp32", 99.0, "2026-01-01T00:00:30", reparameterized=False),  # unfused: not compared
            _row("s0", "executorch", "fp32", 8.0, "2026-01-01T00:04:00"),
            _row("s0", "executorch", "int8", 2.0, "2026-01-01T00:05:00"),
            _row("s0", "torch", None, 20.0, "2026-01-01T00:06:00"),
        ]
    )
    df = speedup_table(runs)
    got = {(r.device, r.recipe): round(r.speedup, 3) for r in df.itertuples()}
    assert got == {
        ("cpu", "fp32"): 1.0,
        ("cpu", "int8"): 2.5,
        ("executorch", "fp32"): 1.0,
        ("executorch", "int8"): 4.0,
        ("torch", "fp32"): 1.0,
    }


def test_a_recipe_without_fp32_baseline_has_no_speedup():
    df = speedup_table(pd.DataFrame([_row("s0", "cpu", "int8", 4.0, "2026-01-01T00:00:00")]))
    assert len(df) == 1 and df["speedup"].isna().all()
    assert speedup_table(pd.DataFrame()).empty
