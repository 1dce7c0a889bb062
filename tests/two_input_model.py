"""A Core ML program of two inputs, shared by the input tests of the host and of the Swift harness."""

from __future__ import annotations

import pytest


def make_two_input_mlpackage(path, *, fp32: bool = False):
    """A Core ML program of two inputs, ``x`` float [1, 3, 8, 8] and ``k`` int32 [1, 4] (``x * 2 + sum(k)``);
    an fp16 program (the default) declares ``x`` as float16."""
    ct = pytest.importorskip("coremltools")
    import numpy as np
    import torch

    class Two(torch.nn.Module):
        def forward(self, x, k):
            return x * 2.0 + k.to(torch.float32).sum()

    ep = torch.export.export(Two(), (torch.randn(1, 3, 8, 8), torch.zeros(1, 4, dtype=torch.int32)))
    ml = ct.convert(
        ep.run_decompositions({}),
        convert_to="mlprogram",
        minimum_deployment_target=ct.target.iOS16,
        **({"compute_precision": ct.precision.FLOAT32} if fp32 else {}),
        inputs=[ct.TensorType(name="x", shape=(1, 3, 8, 8)), ct.TensorType(name="k", shape=(1, 4), dtype=np.int32)],
    )
    ml.save(str(path))
    return path
