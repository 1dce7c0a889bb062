"""Checkpoint loading with errors a person can act on.

The official MobileOne files (apple/ml-mobileone) hold a plain ``state_dict``;
other trainers wrap it in ``{"state_dict": ...}`` or ``{"model": ...}`` and may
prefix keys with ``module.`` (DataParallel). All of these load.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..core.errors import CheckpointError, one_line


def read_state_dict(path: str | os.PathLike) -> dict[str, Any]:
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist or is not a file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # torch's text here is advice about weights_only, not the cause
        raise CheckpointError(
            f"cannot read checkpoint {path}: not a PyTorch state_dict file (or one holding Python "
            "objects besides tensors, which mobench does not unpickle for safety)"
        ) from exc
    except Exception as exc:  # torch raises many types for a corrupt file
        msg = one_line(exc, with_type=False)
        raise CheckpointError(
            f"cannot read checkpoint {path}: not a PyTorch state_dict file (torch.load: {msg})"
        ) from exc
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
        raise CheckpointError(f"checkpoint {path} does not hold a state_dict")
    if obj and all(k.startswith("module.") for k in obj):
        obj = {k[len("module.") :]: v for k, v in obj.items()}
    return obj


def _shape_sig(sd: dict[str, Any]) -> dict[str, tuple]:
    return {k: tuple(getattr(v, "shape", ())) for k, v in sd.items()}


def guess_model(state: dict[str, Any], candidates: Iterable[tuple[str, Callable[..., Any]]]) -> str | None:
    """Name the model (and form) among ``candidates`` whose state_dict layout matches ``state``.

    ``candidates`` are ``(name, builder)`` pairs; ``builder(inference_mode=...)`` builds the model.
    """
    import torch

    sig = _shape_sig(state)
    best, best_score = None, 0.0
    for name, build in candidates:
        for fused in (False, True):
            try:
                with torch.device("meta"):  # shapes only: no memory, no init cost
                    ref = _shape_sig(build(inference_mode=fused).state_dict())
            except Exception:  # a model that fails to build cannot be the match
                continue
            common = sum(1 for k, s in sig.items() if ref.get(k) == s)
            score = common / max(len(sig), len(ref))
            if score > best_score:
                best_score = score
                best = f"{name} ({'fused, inference_mode=True' if fused else 'train-time, inference_mode=False'})"
    return best if best_score > 0.5 else None


def load_checkpoint(
    model,
    path: str | os.PathLike,
    *,
    model_name: str,
    inference_mode: bool,
    candidates: Iterable[tuple[str, Callable[..., Any]]] = (),
) -> None:
    """Load ``path`` strictly into ``model``; a mismatch is one :class:`CheckpointError` line.

    ``candidates`` (``(name, builder)`` pairs, e.g. the model's family) are tried
    to say which model the file does fit.
    """
    state = read_state_dict(path)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and tuple(getattr(state[k], "shape", ())) != tuple(own[k].shape)]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} keys (first: {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} keys (first: {', '.join(unexpected[:3])})")
        if wrong:
            k = wrong[0]
            parts.append(
                f"{len(wrong)} shape mismatches (first: {k} is {tuple(state[k].shape)}, "
                f"model wants {tuple(own[k].shape)})"
            )
        form = "fused (inference_mode=True)" if inference_mode else "train-time (inference_mode=False)"
        guess = guess_model(state, candidates)
        hint = f"; it looks like {guess}" if guess else ""
        raise CheckpointError(
            f"checkpoint {Path(path).name} does not fit {model_name} {form}: " + "; ".join(parts) + hint
        )
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:  # dtype or other problems torch refuses
        raise CheckpointError(
            f"cannot load {Path(path).name} into {model_name}: {one_line(exc, with_type=False)}"
        ) from exc
