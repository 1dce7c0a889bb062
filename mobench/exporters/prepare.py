"""Build the exact module that gets exported, and what its graph must look like.

Shared by both exporters: the model (checkpoint loaded first, fused second),
deterministic random weights with calibrated BatchNorm statistics when no
checkpoint is given, the preprocessing wrapper for image inputs, the reference
input/output for parity, complexity (params, MACs) and the structural
expectations the converted graph is checked against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ExportError, MobenchError, UsageError, one_line
from ..core.inputs import Inputs, feed, listing
from ..models import complexity as cx
from ..models import create_model, is_reparameterizable, model_info, reparameterize_model
from ..models.chosen_inputs import export_inputs
from .config import IMAGENET_MEAN, IMAGENET_STD, ExportConfig, export_format

SEED = 0
CALIBRATION_BATCHES = 1
CALIBRATION_BATCH_SIZE = 2  # 2 x HxW samples per channel: enough for O(1) activations; 4x cheaper than 2 x 4
_SE_NAME = re.compile(r"(^|_)(se|squeeze.*excit.*|seblock|semodule)($|_)", re.IGNORECASE)


@dataclass
class Prepared:
    """The module to export and what we know about it."""

    model: Any  # the torch module as it is converted (fused or not, wrapped for image input)
    core: Any  # the network itself (no preprocessing wrapper): params/MACs are counted here
    example: Any  # the tensor traced / exported with
    reference_input: Any  # the input parity is checked on (what the graph's input receives)
    reference_output: Any  # PyTorch's logits for reference_input
    reparameterizable: bool
    reparameterized: bool
    weights: dict[str, Any]
    expectations: dict[str, Any] = field(default_factory=dict)
    #: A factory's inputs by name, shape and dtype when they are not the zoo's one ``1x3xSxS``
    #: float32 tensor: then ``example`` is a tuple of tensors (one per input, in order) and
    #: ``reference_input`` the tuple of their numpy arrays (:func:`mobench.core.inputs.feed`).
    inputs: Inputs | None = None

    @property
    def example_args(self) -> tuple[Any, ...]:
        """The positional arguments the module is captured with (one tensor per input)."""
        return self.example if isinstance(self.example, tuple) else (self.example,)


class Normalize:
    """Factory of the image-input preprocessing wrapper (built lazily: torch is imported on use)."""

    @staticmethod
    def wrap(model, *, scale: float, bias: tuple[float, ...], multiply: tuple[float, ...]):
        import torch
        import torch.nn as nn

        class _Normalized(nn.Module):
            """``model(((x * scale) + bias) * multiply)``: ImageNet normalization in the graph."""

            def __init__(self, inner: nn.Module) -> None:
                super().__init__()
                self.inner = inner
                self.scale = float(scale)
                self.register_buffer("bias", torch.tensor(bias, dtype=torch.float32).view(1, 3, 1, 1))
                self.register_buffer("multiply", torch.tensor(multiply, dtype=torch.float32).view(1, 3, 1, 1))

            bias: torch.Tensor
            multiply: torch.Tensor

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                if self.scale != 1.0:
                    x = x * self.scale
                return self.inner((x + self.bias) * self.multiply)

        return _Normalized(model).eval()


class Positional:
    """Factory of the wrapper that takes a factory's inputs positionally, in its input order.

    Every converter captures ``module(*args)``; a factory whose example was a dict is called
    by keyword (:func:`mobench.models.user.call_module`), so the wrapper maps the positional
    arguments to those names. The converters name each graph input after its spec.
    """

    @staticmethod
    def wrap(model, names: tuple[str, ...], call: str):
        import torch.nn as nn

        from ..models.user import call_module

        class _Positional(nn.Module):
            def __init__(self, inner: nn.Module) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, *args):
                return call_module(self.inner, dict(zip(names, args, strict=True)), call)

        return _Positional(model).eval()


def has_image_type(fmt: str) -> bool:
    """Whether ``fmt`` has an image input type that scales and biases pixels itself (Core ML's ImageType)."""
    return bool(export_format(fmt).image_type)


def image_preprocessing(fmt: str) -> dict[str, Any]:
    """How an 8-bit RGB image becomes the network's input, split between converter and graph.

    Exact ImageNet normalization ``(p / 255 - mean) / std`` per channel. Core ML's
    ``ImageType`` applies one scalar scale and a per-channel bias, so it does
    ``p / 255 - mean`` and the graph multiplies by ``1 / std`` per channel (one ``mul``).
    ONNX has no image type: the input is float32 RGB in 0..255 and the graph does it all.
    """
    inv_std = tuple(1.0 / s for s in IMAGENET_STD)
    neg_mean = tuple(-m for m in IMAGENET_MEAN)
    if has_image_type(fmt):
        return {
            "color_layout": "RGB",
            "pixel_range": [0, 255],
            "accepts": "CVPixelBuffer 32BGRA or 32ARGB (Core ML reorders to the model's RGB), "
            "or a CGImage / PIL image; resized to the input size by the caller",
            "image_type_scale": 1.0 / 255.0,
            "image_type_bias": list(neg_mean),
            "graph_multiply": list(inv_std),
            "formula": "(pixel / 255 - mean) / std",
            "mean": list(IMAGENET_MEAN),
            "std": list(IMAGENET_STD),
        }
    return {
        "color_layout": "RGB",
        "pixel_range": [0, 255],
        "accepts": "float32 NCHW RGB pixel values in 0..255",
        "graph_scale": 1.0 / 255.0,
        "graph_bias": list(neg_mean),
        "graph_multiply": list(inv_std),
        "formula": "(pixel / 255 - mean) / std",
        "mean": list(IMAGENET_MEAN),
        "std": list(IMAGENET_STD),
    }


def tensor_preprocessing() -> dict[str, Any]:
    return {
        "formula": "none in the graph: feed (pixel / 255 - mean) / std",
        "mean": list(IMAGENET_MEAN),
        "std": list(IMAGENET_STD),
    }


def _calibrate_bn(model, resolution: int, forward: Any = None) -> bool:
    """Set BatchNorm running statistics from N(0, 1) inputs (random weights only).

    Randomly initialised deep nets with BN statistics at their defaults (mean 0,
    var 1) blow activations up layer by layer (MobileOne S0 reaches |logits| ~ 8e4,
    past fp16's 65504), which makes fp16 exports overflow and parity meaningless.
    Calibrated statistics keep activations O(1), as trained weights would (S0:
    max |logit| 1-3). Latency does not depend on the values. Calibrating at a
    lower resolution is not good enough: at 64x64 the deep layers' 2x2 maps are
    dominated by padding and S0's logits still reach ~5e3. ``forward`` (a model of
    other inputs) runs the calibration pass on its own seeded inputs instead.
    """
    import torch
    import torch.nn as nn

    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return False
    saved = [(m, m.momentum, m.training) for m in bns]
    try:
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
            m.train()
        with torch.no_grad():
            for _ in range(CALIBRATION_BATCHES):
                if forward is not None:
                    forward()
                else:
                    model(torch.randn(CALIBRATION_BATCH_SIZE, 3, resolution, resolution))
    finally:
        for m, momentum, training in saved:
            m.momentum = momentum
            m.train(training)
    return True


def reparameterizable_blocks(model) -> list[Any]:
    """The innermost modules that have ``reparameterize()`` (one per block), as ``reparameterize_model`` fuses them."""

    def has(m) -> bool:
        return callable(getattr(m, "reparameterize", None))

    blocks = [m for m in model.modules() if has(m)]
    return [b for b in blocks if not any(has(c) for c in b.modules() if c is not b)]


def _is_se(module) -> bool:
    return bool(_SE_NAME.search(type(module).__name__.replace("SqueezeExcite", "se_")))


def _convs_outside_se(module) -> int:
    """Conv2d layers of ``module`` that are not inside a squeeze-excite submodule."""
    import torch.nn as nn

    se_convs = {id(c) for m in module.modules() if _is_se(m) for c in m.modules() if isinstance(c, nn.Conv2d)}
    return sum(1 for c in module.modules() if isinstance(c, nn.Conv2d) and id(c) not in se_convs)


def expectations(train_model, exported_core, reparameterized: bool) -> dict[str, Any]:
    """What the converted graph of ``exported_core`` must contain (see :mod:`.checks`)."""
    import torch.nn as nn

    train_blocks = reparameterizable_blocks(train_model)
    exp: dict[str, Any] = {
        "torch_convs": sum(1 for m in exported_core.modules() if isinstance(m, nn.Conv2d)),
        "torch_batch_norms": sum(1 for m in exported_core.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)),
        "reparameterizable_blocks": len(train_blocks),
    }
    if train_blocks and reparameterized:
        # After fusion each block is one conv (plus its squeeze-excite convs, if any).
        fused_blocks = [m for m in exported_core.modules() if type(m) in {type(b) for b in train_blocks}]
        exp["block_convs"] = sum(_convs_outside_se(b) for b in fused_blocks)
        exp["blocks_with_one_conv"] = sum(1 for b in fused_blocks if _convs_outside_se(b) == 1)
        exp["fused_blocks"] = len(fused_blocks)
    elif train_blocks:
        exp["block_convs"] = sum(_convs_outside_se(b) for b in train_blocks)
    return exp


def prepare(model_name: str, fmt: str, config: ExportConfig, checkpoint_sha256: str | None) -> Prepared:
    """Build the module to export, its reference output and its structural expectations."""
    import torch

    info = model_info(model_name)
    res = config.resolution
    inputs = export_inputs(info.name)
    if inputs is not None:
        return _prepare_inputs(info, config, checkpoint_sha256, inputs)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        train_model = _train_model(info, config)
        weights = _weights(config, checkpoint_sha256)
        try:
            if not config.checkpoint:
                weights["bn_calibrated"] = _calibrate_bn(train_model, res)
            reparameterizable = bool(is_reparameterizable(train_model))
            core = reparameterize_model(train_model) if (config.reparameterize and reparameterizable) else train_model
            core = core.eval()
            exp = expectations(train_model, core, reparameterized=config.reparameterize and reparameterizable)

            if config.input_kind == "image":
                pre = image_preprocessing(fmt)
                scale = 1.0 if has_image_type(fmt) else pre["graph_scale"]
                bias = (0.0, 0.0, 0.0) if has_image_type(fmt) else tuple(pre["graph_bias"])
                module = Normalize.wrap(core, scale=scale, bias=bias, multiply=tuple(pre["graph_multiply"]))
                pixels = torch.randint(0, 256, (1, 3, res, res)).float()
                # Core ML's ImageType does the scale and bias before the graph; parity feeds pixels.
                reference_input = pixels
                graph_input = (
                    pixels / 255.0 + torch.tensor([-m for m in IMAGENET_MEAN]).view(1, 3, 1, 1)
                    if has_image_type(fmt)
                    else pixels
                )
                example = graph_input
                with torch.no_grad():
                    reference_output = module(graph_input)
            else:
                module = core
                example = torch.randn(1, 3, res, res)
                reference_input = example
                with torch.no_grad():
                    reference_output = module(example)
        except MobenchError:
            raise
        except Exception as exc:
            raise ExportError(f"{info.name}: PyTorch cannot run the model at {res}x{res}: {one_line(exc)}") from exc
    if not isinstance(reference_output, torch.Tensor):
        raise ExportError(f"{info.name}: the model returns {type(reference_output).__name__}, not one logits tensor")
    return Prepared(
        model=module,
        core=core,
        example=example,
        reference_input=reference_input,
        reference_output=reference_output,
        reparameterizable=reparameterizable,
        reparameterized=bool(config.reparameterize and reparameterizable),
        weights=weights,
        expectations=exp,
    )


def _train_model(info, config: ExportConfig):
    """The train-time model (call under the seeded RNG); a builder that rejects the options is an ExportError."""
    try:
        return create_model(info.name, inference_mode=False, checkpoint=config.checkpoint)
    except MobenchError:
        raise
    except Exception as exc:  # a model builder that rejects the options
        raise ExportError(f"{info.name}: cannot build the model: {one_line(exc)}") from exc


def _weights(config: ExportConfig, checkpoint_sha256: str | None) -> dict[str, Any]:
    return {
        "source": "checkpoint" if config.checkpoint else "random",
        "seed": None if config.checkpoint else SEED,
        "bn_calibrated": False,
        "checkpoint": str(config.checkpoint) if config.checkpoint else None,
        "checkpoint_sha256": checkpoint_sha256,
    }


def _prepare_inputs(info, config: ExportConfig, checkpoint_sha256: str | None, inputs: Inputs) -> Prepared:
    """:func:`prepare` for a factory of its own inputs: the module called positionally with one
    tensor per input, captured and checked on the seeded feed every device feeds (SEED)."""
    import torch

    from ..models.user import lookup

    if config.input_kind != "tensor":
        raise UsageError(
            f"{info.name} takes {listing(inputs.specs)}: --input-kind image applies to one 1x3xSxS input; "
            "export it with --input-kind tensor"
        )
    names = tuple(s.name for s in inputs.specs)
    arrays = feed(inputs, SEED)
    example = tuple(torch.from_numpy(arrays[n].copy()) for n in names)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        train_model = _train_model(info, config)
        weights = _weights(config, checkpoint_sha256)
        call = lookup(info.name).input_call
        try:
            if not config.checkpoint:
                wrapped = Positional.wrap(train_model, names, call)
                weights["bn_calibrated"] = _calibrate_bn(train_model, 0, lambda: wrapped(*example))
            reparameterizable = bool(is_reparameterizable(train_model))
            core = reparameterize_model(train_model) if (config.reparameterize and reparameterizable) else train_model
            core = core.eval()
            exp = expectations(train_model, core, reparameterized=config.reparameterize and reparameterizable)
            module = Positional.wrap(core, names, call)
            with torch.no_grad():
                reference_output = module(*example)
        except MobenchError:
            raise
        except Exception as exc:
            raise ExportError(
                f"{info.name}: PyTorch cannot run the model on {listing(inputs.specs)}: {one_line(exc)}"
            ) from exc
    if not isinstance(reference_output, torch.Tensor):
        raise ExportError(f"{info.name}: the model returns {type(reference_output).__name__}, not one output tensor")
    return Prepared(
        model=module,
        core=core,
        example=example,
        reference_input=tuple(arrays[n] for n in names),
        reference_output=reference_output,
        reparameterizable=reparameterizable,
        reparameterized=bool(config.reparameterize and reparameterizable),
        weights=weights,
        expectations=exp,
        inputs=inputs,
    )


def complexity(
    core, resolution: int, model_name: str | None = None, deployed_form: bool = False
) -> tuple[int, int | None]:
    """(params, MACs) of the exported network at ``resolution`` (MACs = multiply-adds, batch 1).

    When the exported network is the deployed form (fused, or nothing to fuse),
    the project's cached count (``mobench.models.complexity.model_complexity``,
    the numbers ``mobench models`` shows) is used; otherwise (``--no-reparam``)
    the module itself is counted with ``count_macs``. Counting is skipped
    (MACs = None) only if torch's FLOP counter cannot run the model.
    """

    if deployed_form and model_name:
        try:
            c = cx.model_complexity(model_name, resolution)
            return int(c["params"]), int(c["macs"])
        except Exception:  # counted below on the module itself
            pass
    params = cx.count_params(core)
    try:
        return params, int(cx.count_macs(core, resolution))
    except Exception:
        return params, None
