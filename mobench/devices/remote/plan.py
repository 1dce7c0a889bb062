"""Plans for a remote device's harness app: export the models in the kind's format and write ``plan.json``.

A plan folder is what goes into the app's Documents::

    DIR/plan.json
    DIR/mobileone_s0.mlpackage/          one per model, named in runs[].file
    DIR/mobileone_s0.onnx                only with with_onnx (for the Python stand-in app)

It is written atomically (a half-exported plan never appears under ``DIR``).
Compute units and the protocol are explicit plan fields; a model that fails to
export is left out with its error in ``PlanResult.skipped`` (the plan fails
only if no model exported).
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...core.errors import ExportError, MobenchError, UsageError, one_line
from ...core.util import atomic_dir, atomic_write_json, host_provenance, safe_filename, sha256_path
from ...exporters import ExportConfig, export
from ...exporters.manifest import manifest_recipe
from ...exporters.model_file import as_artifact
from ...models.chosen_inputs import export_inputs
from ...models.user import is_artifact, lookup
from . import RemoteKind, remote_kind
from .constants import PLAN_FILE, SCHEMA_VERSION
from .schema import read_json, validate_plan


@dataclass
class PlanResult:
    path: Path  # the plan folder
    plan: dict[str, Any]
    skipped: dict[str, str] = field(default_factory=dict)  # model -> export error


def parse_compute_units(spec: str | Sequence[str], kind: RemoteKind | str | None = None) -> list[str]:
    """``"all,ane"`` -> ``["all", "cpuAndNeuralEngine"]`` in the vocabulary of ``kind`` (default iphone)."""
    return remote_kind(kind).parse_compute_units(spec)


def new_plan_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def protocol_fields(config: Any) -> dict[str, Any]:
    return {
        "name": config.name,
        "warmup": int(config.warmup),
        "rounds": int(config.rounds),
        "inferences": int(config.inferences),
        "trim": int(config.trim),
        "reload_per_round": bool(config.reload_per_round),
    }


def make_plan(
    entries: Sequence[tuple[str, str, str]],
    compute_units: Sequence[str],
    config: Any,
    *,
    input_kind: str = "image",
    plan_id: str | None = None,
    report_url: str | None = None,
    token: str | None = None,
    host: dict[str, Any] | None = None,
    thermal_wait_s: float | None = None,
    recipes: dict[str, str] | None = None,
    inputs: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """A validated plan dict from ``(model, file, sha256)`` entries x compute units.

    ``inputs``: per model file, every input the app feeds (name, shape, dtype, kind, and
    the raw values file written from ``--input-data``), as :func:`plan_inputs` makes them.

    ``thermal_wait_s``: before each run the app waits up to this long for a
    nominal or fair thermal state (protocol ``thermal_wait_s``; the wait is recorded).
    """
    runs = []
    for model, file, sha in entries:
        for cu in compute_units:
            runs.append(
                {
                    "run_id": f"r{len(runs) + 1:03d}-{safe_filename(model)}-{cu}"[:128],
                    "model": model,
                    "file": file,
                    "sha256": sha,
                    "compute_units": cu,
                    **({"recipe": recipes[file]} if recipes and recipes.get(file) else {}),
                    **({"inputs": inputs[file]} if inputs and inputs.get(file) else {}),
                }
            )
    plan: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "plan_id": plan_id or new_plan_id(),
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "protocol": {
            **protocol_fields(config),
            **({"thermal_wait_s": float(thermal_wait_s)} if thermal_wait_s else {}),
        },
        "input_kind": input_kind,
        "runs": runs,
    }
    if report_url:
        plan["report_url"] = report_url
    if token:
        plan["token"] = token
    if host:
        plan["host"] = host
    return validate_plan(plan)


def plan_inputs(art: Any, model: str, folder: Path, stem: str) -> list[dict[str, Any]]:
    """The plan's ``inputs`` of one model: name, shape, dtype and kind of every input; with
    ``--input-data``, each array written beside the plan as raw little-endian C-order bytes
    (``<stem>.<input>.bin``, the app copies them into an MLMultiArray of that dtype and shape)."""
    from ...core.errors import DeviceError
    from ...core.inputs import feed
    from ..base import run_inputs

    try:
        inputs = run_inputs(art, model)
    except DeviceError:  # an artifact that records no input shape: the app reads the model's description
        return []
    arrays = feed(inputs, 0) if inputs.data is not None else {}
    out = []
    for s in inputs.specs:
        entry: dict[str, Any] = {
            "name": s.name,
            "shape": [int(x or 0) for x in s.shape],
            "dtype": s.dtype,
            "kind": s.kind,
        }
        if s.name in arrays:
            name = f"{stem}.{safe_filename(s.name)}.bin"
            data = arrays[s.name].astype(arrays[s.name].dtype.newbyteorder("<"), copy=False).tobytes(order="C")
            (folder / name).write_bytes(data)
            entry["values_file"] = name
            entry["values_sha256"] = sha256_path(folder / name)
        out.append(entry)
    return out


def _default_export(model: str, fmt: str, out_dir: Path, input_kind: str, recipe: str | None = None):
    if is_artifact(model):
        return _model_file(model, fmt, out_dir)
    if export_inputs(model) is not None:
        input_kind = "tensor"  # a factory of its own inputs: each a multi-array of its name, shape and dtype
    return export(
        model, fmt, ExportConfig(input_kind=input_kind, out_dir=out_dir, recipe=recipe if fmt == "coreml" else None)
    )


def _is_model_file(model: str) -> bool:
    return is_artifact(model)


def _model_file(model: str, fmt: str, out_dir: Path):
    """A model file in hand goes into the plan as it is: a copy (the user's file is never moved)."""
    um = lookup(model)
    if um.format != fmt:
        raise ExportError(f"{um.label} is a {um.format} file; the plan needs {fmt} (a .mlpackage)")
    art = as_artifact(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / art.path.name
    (shutil.copytree if art.path.is_dir() else shutil.copy2)(art.path, dest)
    return replace(art, path=dest)


def build_plan(
    models: Sequence[str],
    out_dir: str | os.PathLike,
    *,
    compute_units: Sequence[str],
    config: Any,
    input_kind: str = "image",
    with_onnx: bool = False,
    force: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    export_fn: Callable[..., Any] | None = None,
    thermal_wait_s: float | None = None,
    kind: RemoteKind | str | None = None,
    recipe: str | None = None,
) -> PlanResult:
    """Export every model in ``kind``'s format (Core ML for an iPhone; ONNX too with ``with_onnx``)
    and write the plan folder.

    ``recipe`` is the Core ML recipe (default fp16); every plan run records the recipe
    its ``.mlpackage`` was exported with (``runs[].recipe``).
    """
    kind = remote_kind(kind)
    if not models:
        raise UsageError("no models given; pass --model NAME (or --preset)")
    if export_fn is None:
        export_fn = functools.partial(_default_export, recipe=recipe)
    out_dir = Path(out_dir)
    if out_dir.exists() and not force and any(out_dir.iterdir()):
        raise UsageError(f"{out_dir} exists and is not empty; pass --force to replace it or choose another -o")
    skipped: dict[str, str] = {}
    entries: list[tuple[str, str, str]] = []
    extra_files: list[str] = []
    artifacts: dict[str, dict[str, Any]] = {}
    inputs: dict[str, list[dict[str, Any]]] = {}
    with atomic_dir(out_dir, force=True) as tmp:
        work = tmp / ".exports"
        for i, model in enumerate(dict.fromkeys(models)):
            if progress:
                progress(model, i, len(models))
            stem = safe_filename(model)
            try:
                fmt = kind.artifact_format
                art = export_fn(model, fmt, work / stem / fmt, input_kind)
                dest = tmp / f"{stem}{kind.artifact_suffix}"
                shutil.move(str(art.path), dest)
                man = getattr(art, "manifest", None) or {}
                artifacts[dest.name] = {
                    "recipe": manifest_recipe(man),
                    **{k: man[k] for k in ("reparameterized", "sha256") if k in man},
                }
                inputs[dest.name] = plan_inputs(art, model, tmp, stem)
                extra_files += [i["values_file"] for i in inputs[dest.name] if "values_file" in i]
                if with_onnx and not _is_model_file(model):  # a model file has no ONNX companion
                    onnx_art = export_fn(model, "onnx", work / stem / "onnx", "tensor")
                    shutil.move(str(onnx_art.path), tmp / f"{stem}.onnx")
                    extra_files.append(f"{stem}.onnx")
            except MobenchError as exc:
                skipped[model] = one_line(exc)
                continue
            entries.append((model, dest.name, sha256_path(dest)))
        shutil.rmtree(work, ignore_errors=True)
        if not entries:
            detail = "; ".join(f"{m}: {e}" for m, e in skipped.items())
            raise ExportError(f"no model could be exported for the plan ({detail})")
        host = {"provenance": host_provenance(), "extra_files": extra_files, "skipped": skipped, "artifacts": artifacts}
        recipes = {f: str(a["recipe"]) for f, a in artifacts.items() if a.get("recipe")}
        plan = make_plan(
            entries,
            compute_units,
            config,
            input_kind=input_kind,
            host=host,
            thermal_wait_s=thermal_wait_s,
            recipes=recipes,
            inputs=inputs,
        )
        atomic_write_json(tmp / PLAN_FILE, plan)
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the plan folder is meant to be shared/served
        os.chmod(tmp / PLAN_FILE, 0o644)
    if progress:
        progress("", len(models), len(models))
    return PlanResult(path=out_dir, plan=plan, skipped=skipped)


def plan_files(plan: dict[str, Any]) -> list[str]:
    """The names the plan needs in Documents (models, then extra files), without plan.json."""
    names = list(dict.fromkeys(r["file"] for r in plan["runs"]))
    for f in (plan.get("host") or {}).get("extra_files", []):
        if isinstance(f, str) and f not in names:
            names.append(f)
    return names


def without_runs(plan_dir: str | os.PathLike, run_ids: set[str]) -> dict[str, Any]:
    """Rewrite ``plan_dir/plan.json`` without the runs ``run_ids`` (e.g. already stored); the new plan."""
    path = Path(plan_dir) / PLAN_FILE
    plan = read_json(path)
    plan["runs"] = [r for r in plan["runs"] if r["run_id"] not in run_ids]
    plan = validate_plan(plan)
    atomic_write_json(path, plan)
    return plan
