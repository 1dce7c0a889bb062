"""Complexity metrics beyond MACs and params, measured on the deployed (fused) graph.

One forward pass at batch 1 under a :class:`~torch.utils._python_dispatch.TorchDispatchMode`
sees every ATen op the model runs (whatever Python wrote it: timm, torchvision,
mobench). From that op stream we count, per inference:

``memory_mb``
    Estimated memory traffic: bytes of weights read + bytes of activations read +
    bytes of activations written, summed over ops (fp32, no fusion, no cache
    reuse; views, reshapes and transposes move nothing and are not counted).
    An upper-bound traffic model in the spirit of roofline analysis.
``activations_m``
    Output elements of all conv, linear and matmul ops (the "activations" of
    Radosavovic/Dollar et al., "Fast and Accurate Model Scaling", CVPR 2021), in millions.
``layers``
    Number of conv and linear ops (a linear op = a matrix product with a weight operand).
``branches``
    Multi-input nodes: element-wise adds/subs/muls/divs, concats and stacks whose
    operands are two or more distinct activations - the merge points of skips and
    branches (residual adds, SE gating, ShuffleNet concats). Bias adds and
    positional-embedding adds (one operand is a weight) are not branches.
``depth``
    Conv/linear/matmul ops on the longest path from input to output.

``params_m`` and ``macs_m`` come from :mod:`mobench.models.complexity`
(``count_params`` / ``count_macs``). :func:`model_metrics` caches the whole dict in that
module's on-disk cache, keyed by model name, input size and fused flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.errors import MobenchError, UsageError, one_line
from ..models import build_deployed, resolve_name
from ..models.artifact import complexity as file_complexity
from ..models.complexity import cache_key, cached, count_macs, count_params, explicit_attention
from ..models.user import is_artifact, is_user_key, lookup

METRIC_VERSION = 1


@dataclass(frozen=True)
class Metric:
    name: str  # CLI name
    column: str  # column in metric tables
    label: str  # axis label, with unit


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("macs", "macs_m", "MACs (millions, multiply-adds)"),
        Metric("params", "params_m", "parameters (millions)"),
        Metric("memory", "memory_mb", "memory traffic per inference (MB)"),
        Metric("activations", "activations_m", "activations (million elements)"),
        Metric("layers", "layers", "conv + linear layers"),
        Metric("branches", "branches", "multi-input nodes (adds, concats)"),
        Metric("depth", "depth", "depth (layers on the longest path)"),
    )
}


def parse_metrics(spec: str | list[str] | None) -> list[Metric]:
    """``"macs,params"`` or ``["macs", "params"]`` -> Metric objects (``all`` = every metric)."""
    if spec is None:
        return [METRICS["macs"], METRICS["params"]]
    items = spec.split(",") if isinstance(spec, str) else [p for s in spec for p in s.split(",")]
    items = [i.strip().lower() for i in items if i.strip()]
    if items == ["all"]:
        return list(METRICS.values())
    out = []
    for i in items:
        if i not in METRICS:
            raise UsageError(f"unknown metric {i!r}; choose from {', '.join(METRICS)} (comma-separated) or 'all'")
        out.append(METRICS[i])
    if not out:
        raise UsageError(f"no metric given; choose from {', '.join(METRICS)}")
    return out


# --------------------------------------------------------------------------- graph pass

_MERGE_OPS = {"add", "sub", "mul", "div", "cat", "concat", "stack", "maximum", "minimum"}
_LINEAR_OPS = {"mm", "addmm", "bmm", "baddbmm", "matmul", "linear", "_addmm_activation"}
_ATTENTION_OPS = {
    "scaled_dot_product_attention",
    "_scaled_dot_product_flash_attention",
    "_scaled_dot_product_efficient_attention",
    "_scaled_dot_product_flash_attention_for_cpu",
    "_scaled_dot_product_cudnn_attention",
    "_scaled_dot_product_attention_math",
}
_CONV_OPS = {"convolution", "_convolution", "conv2d", "conv1d", "conv3d", "mkldnn_convolution"}


def graph_metrics(model, input_size: int = 224, *, in_chans: int = 3) -> dict[str, Any]:
    """Count traffic, activations, layers, branches and depth of one batch-1 forward pass.

    Works on any ``nn.Module`` taking a ``1 x in_chans x input_size x input_size`` tensor.
    Values are raw counts (bytes, elements), see :func:`model_metrics` for the scaled table.
    """
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    weight_storages = {
        t.untyped_storage().data_ptr() for t in list(model.parameters()) + list(model.buffers()) if t.numel() > 0
    }

    def nbytes(t) -> int:
        return t.numel() * t.element_size()

    class _Counter(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.depth: dict[int, tuple[Any, int]] = {}  # id(tensor) -> (tensor kept alive, depth)
            self.weight_bytes = 0
            self.act_read = 0
            self.act_written = 0
            self.activations = 0
            self.convs = 0
            self.linears = 0
            self.matmuls = 0
            self.branches = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            ins = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
            outs = [t for t in tree_leaves(out) if isinstance(t, torch.Tensor)]
            weights = [t for t in ins if t.numel() and t.untyped_storage().data_ptr() in weight_storages]
            wids = {id(t) for t in weights}
            acts = [t for t in ins if id(t) not in wids]
            d_in = max((self.depth.get(id(t), (None, 0))[1] for t in acts), default=0)
            name = func.overloadpacket.__name__.rstrip("_")
            is_view = bool(getattr(func, "is_view", False))
            step = 0
            if not is_view:
                self.weight_bytes += sum(nbytes(t) for t in weights)
                self.act_read += sum(nbytes(t) for t in acts)
                self.act_written += sum(nbytes(t) for t in outs)
                if name in _CONV_OPS:
                    self.convs += 1
                    step = 1
                elif name in _LINEAR_OPS:
                    if weights:
                        self.linears += 1
                    else:
                        self.matmuls += 1
                    step = 1
                elif name in _ATTENTION_OPS:  # fused attention: two matmuls (q.k^T, attn.v)
                    self.matmuls += 2
                    step = 2
                elif name in _MERGE_OPS:
                    distinct = {id(t) for t in acts if t.numel() > 1}
                    if len(distinct) >= 2:
                        self.branches += 1
                if step:
                    self.activations += sum(t.numel() for t in outs)
            for t in outs:
                self.depth[id(t)] = (t, d_in + step)
            return out

    x = torch.randn(1, in_chans, input_size, input_size)
    counter = _Counter()
    model = model.eval()
    # timm attention modules pick a fused SDPA kernel at build time; count the explicit
    # form (as count_macs does) so q.k^T and attn.v show up as the matmuls they are.
    with explicit_attention(model), torch.no_grad(), counter:
        y = model(x)
    final = [t for t in tree_leaves(y) if isinstance(t, torch.Tensor)]
    depth = max((counter.depth.get(id(t), (None, 0))[1] for t in final), default=0)
    return {
        "weight_bytes": counter.weight_bytes,
        "activation_read_bytes": counter.act_read,
        "activation_write_bytes": counter.act_written,
        "memory_bytes": counter.weight_bytes + counter.act_read + counter.act_written,
        "activation_elements": counter.activations,
        "conv_layers": counter.convs,
        "linear_layers": counter.linears,
        "matmuls": counter.matmuls,
        "layers": counter.convs + counter.linears,
        "branches": counter.branches,
        "depth": depth,
    }


# --------------------------------------------------------------------------- per model, cached


def model_metrics(
    name: str, input_size: int | None = None, *, fused: bool = True, use_cache: bool = True
) -> dict[str, Any]:
    """Every metric of one registry model (deployed graph unless ``fused=False``), cached on disk.

    Returns a flat dict: model, input_size, fused, params_m, macs_m, memory_mb,
    activations_m, layers, branches, depth, plus the raw counts of :func:`graph_metrics`.
    Cached in :mod:`mobench.models.complexity`'s cache file under
    ``cache_key("metrics", ...)`` (model, input size, fused flag, ``METRIC_VERSION``,
    mobench/torch/timm versions).
    """

    canonical = resolve_name(name)
    if is_user_key(canonical):
        if is_artifact(canonical):
            return file_metrics(canonical)
        input_size = input_size or lookup(canonical).input_size
    input_size = input_size or 224  # the zoo's input size; a user factory may declare its own

    def count() -> dict[str, Any]:
        try:
            model = build_deployed(canonical, fuse=fused)
        except MobenchError:
            raise
        except Exception as exc:  # a model family that fails to build is a per-model failure
            raise UsageError(f"cannot build {canonical} to count its metrics: {one_line(exc)}") from exc
        g = graph_metrics(model, input_size)
        return {
            "model": canonical,
            "input_size": input_size,
            "fused": fused,
            "params_m": float(count_params(model)) / 1e6,
            "macs_m": float(count_macs(model, input_size=input_size)) / 1e6,
            "memory_mb": g["memory_bytes"] / 1e6,
            "activations_m": g["activation_elements"] / 1e6,
            "layers": g["layers"],
            "branches": g["branches"],
            "depth": g["depth"],
            **{k: v for k, v in g.items() if k not in ("layers", "branches", "depth")},
        }

    key = cache_key("metrics", canonical, input_size, fused=fused, version=METRIC_VERSION)
    return cached(key, count, use_cache=use_cache)


def file_metrics(key: str) -> dict[str, Any]:
    """The metrics a model file tells without a PyTorch graph: params and MACs where it was
    readable (:mod:`mobench.models.artifact`); every other metric is NaN ("not counted")."""
    nan = float("nan")
    c = file_complexity(key)
    row: dict[str, Any] = {"model": key, "input_size": c["input_size"], "fused": None}
    row["params_m"] = nan if c["params"] is None else c["params"] / 1e6
    row["macs_m"] = nan if c["macs"] is None else c["macs"] / 1e6
    for m in ("memory_mb", "activations_m", "layers", "branches", "depth"):
        row[m] = nan
    return row


def metrics_table(models, input_size: int | None = None, *, fused: bool = True, progress=None):
    """Metrics of several models as a DataFrame indexed by model; failures are listed, not raised.

    Returns ``(df, errors)`` where ``errors`` maps model -> message. ``progress`` is an optional
    callable ``progress(model)`` called before each model.
    """
    import pandas as pd

    rows, errors = [], {}
    for m in models:
        if progress is not None:
            progress(m)
        try:
            rows.append(model_metrics(m, input_size, fused=fused))
        except MobenchError as exc:
            errors[m] = one_line(exc)
        except Exception as exc:  # one broken model must not stop the table
            errors[m] = one_line(exc)
    df = pd.DataFrame(rows)
    if not df.empty:
        df = df.set_index("model")
    return df, errors
