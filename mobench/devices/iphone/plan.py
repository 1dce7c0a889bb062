"""Plans for the harness app: export Core ML models (image input) and write ``plan.json``.

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
import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from ...core.util import atomic_dir, atomic_write_json, sha256_path
from ...core.errors import ExportError, MobenchError, UsageError
from .constants import COMPUTE_UNIT_ALIASES, COMPUTE_UNITS, PLAN_FILE, SCHEMA_VERSION
from .schema import validate_plan
from ...exporters import ExportConfig, export
from ...core.util import host_provenance


@dataclass
class PlanResult:
    path: Path                                   # the plan folder
    plan: dict[str, Any]
    skipped: dict[str, str] = field(default_factory=dict)   # model -> export error


def parse_compute_units(spec: str | Sequence[str]) -> list[str]:
    """``"all,ane"`` -> ``["all", "cpuAndNeuralEngine"]`` (aliases: cpu, gpu, ane; case-insensitive)."""
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s and s.strip()]
    if not items:
        raise UsageError("no compute units given; use e.g. --compute-units all,ane")
    out: list[str] = []
    for item in items:
        cu = COMPUTE_UNIT_ALIASES.get(item.lower())
        if cu is None:
            raise UsageError(
                f"unknown compute units {item!r}; choose from {', '.join(COMPUTE_UNITS)} "
                "(or the short forms all, cpu, gpu, ane)"
            )
        if cu not in out:
            out.append(cu)
    return out


def file_stem(model: str) -> str:
    """A file name for a model name (``timm:foo.bar`` -> ``timm_foo.bar``)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", model).strip("._-") or "model"
    return stem[:180]


def new_plan_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def protocol_fields(config: Any) -> dict[str, Any]:
    return {
        "name": config.name, "warmup": int(config.warmup), "rounds": int(config.rounds),
        "inferences": int(config.inferences), "trim": int(config.trim),
        "reload_per_round": bool(config.reload_per_round),
    }


def make_plan(entries: Sequence[tuple[str, str, str]], compute_units: Sequence[str], config: Any, *,
              input_kind: str = "image", plan_id: str | None = None, report_url: str | None = None,
              token: str | None = None, host: dict[str, Any] | None = None,
              thermal_wait_s: float | None = None, recipes: dict[str, str] | None = None) -> dict[str, Any]:
    """A validated plan dict from ``(model, file, sha256)`` entries x compute units.

    ``thermal_wait_s``: before each run the app waits up to this long for a
    nominal or fair thermal state (protocol ``thermal_wait_s``; the wait is recorded).
    """
    runs = []
    for model, file, sha in entries:
        for cu in compute_units:
            runs.append({
                "run_id": f"r{len(runs) + 1:03d}-{file_stem(model)}-{cu}"[:128],
                "model": model, "file": file, "sha256": sha, "compute_units": cu,
                **({"recipe": recipes[file]} if recipes and recipes.get(file) else {}),
            })
    plan: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "plan_id": plan_id or new_plan_id(),
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "protocol": {**protocol_fields(config), **({"thermal_wait_s": float(thermal_wait_s)} if thermal_wait_s else {})},
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


def _default_export(model: str, fmt: str, out_dir: Path, input_kind: str, recipe: str | None = None):

    return export(model, fmt, ExportConfig(input_kind=input_kind, out_dir=out_dir,
                                           recipe=recipe if fmt == "coreml" else None))


def build_plan(models: Sequence[str], out_dir: str | os.PathLike, *, compute_units: Sequence[str],
               config: Any, input_kind: str = "image", with_onnx: bool = False, force: bool = False,
               progress: Callable[[str, int, int], None] | None = None,
               export_fn: Callable[..., Any] | None = None, thermal_wait_s: float | None = None,
               recipe: str | None = None) -> PlanResult:
    """Export every model to Core ML (and ONNX with ``with_onnx``) and write the plan folder.

    ``recipe`` is the Core ML recipe (default fp16); every plan run records the recipe
    its ``.mlpackage`` was exported with (``runs[].recipe``).
    """
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
    with atomic_dir(out_dir, force=True) as tmp:
        work = tmp / ".exports"
        for i, model in enumerate(dict.fromkeys(models)):
            if progress:
                progress(model, i, len(models))
            stem = file_stem(model)
            try:
                art = export_fn(model, "coreml", work / stem / "coreml", input_kind)
                dest = tmp / f"{stem}.mlpackage"
                shutil.move(str(art.path), dest)
                man = getattr(art, "manifest", None) or {}
                artifacts[dest.name] = {k: man.get(k) for k in ("precision", "reparameterized", "sha256") if k in man}
                if with_onnx:
                    onnx_art = export_fn(model, "onnx", work / stem / "onnx", "tensor")
                    shutil.move(str(onnx_art.path), tmp / f"{stem}.onnx")
                    extra_files.append(f"{stem}.onnx")
            except MobenchError as exc:
                skipped[model] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                continue
            entries.append((model, dest.name, sha256_path(dest)))
        shutil.rmtree(work, ignore_errors=True)
        if not entries:
            detail = "; ".join(f"{m}: {e}" for m, e in skipped.items())
            raise ExportError(f"no model could be exported for the plan ({detail})")
        host = {"provenance": host_provenance(), "extra_files": extra_files, "skipped": skipped,
                "artifacts": artifacts}
        recipes = {f: a.get("precision") for f, a in artifacts.items() if a.get("precision")}
        plan = make_plan(entries, compute_units, config, input_kind=input_kind, host=host, thermal_wait_s=thermal_wait_s,
                         recipes=recipes)
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
