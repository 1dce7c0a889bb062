"""capture -> convert -> structural check -> parity -> manifest -> save, for every format.

The pipeline owns every step but one: the format (:class:`~.format.ExportFormat`, one
file per format) converts the captured module and runs its saved artifact
(``convert`` / ``predict``). Parity is judged here, by the recipe's rule
(:mod:`.recipes`): float recipes element-wise against PyTorch, quantized recipes
against the fp32 PyTorch model on seeded inputs.

Every export is built in a temporary folder next to the target
(``OUT/.<stem>.<format>.XXXX.partial``) and moved into ``OUT/<stem>/`` by
:func:`save_artifact` only once it passed its checks, so an interrupted or failed
export never leaves half a package and never touches an existing artifact (with
``force`` the old one is replaced only after the new one is complete).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.errors import ArtifactExistsError, ExportError, MobenchError, UsageError, one_line
from ..core.inputs import listing
from ..core.progress import Reporter, reporter_or_null
from ..core.util import sha256_path, tool_versions
from ..models import model_info, resolve_name
from ..models.chosen_inputs import export_inputs
from . import manifest as _manifest
from .calibration import parity_inputs, torch_outputs
from .checks import compare, compare_quantized, failed_summary, structural_checks
from .config import (
    PARITY_ATOL,
    PARITY_RTOL,
    Artifact,
    ExportConfig,
    ExportResult,
    artifact_stem,
    check_format,
    config_dict,
    config_fingerprint,
    expand_formats,
    export_format,
    extension,
    format_recipes,
    stored_fingerprint,
)
from .format import Converted, ConvertJob, ExportFormat
from .prepare import Prepared, complexity, image_preprocessing, prepare, tensor_preprocessing
from .recipes import recipe as _recipe

LICENSE_NOTE = (
    "Architecture as published by its authors (MobileOne: Apple Sample Code License, "
    "github.com/apple/ml-mobileone; baselines: their timm/torchvision licenses); "
    "weights as stated in mobench.weights."
)

Step = Callable[[str], None]


def _noop(_: str) -> None:
    pass


def _checkpoint_sha(config: ExportConfig) -> str | None:
    return sha256_path(config.checkpoint) if config.checkpoint else None


def _target_paths(model: str, fmt: str, config: ExportConfig, ckpt_sha: str | None) -> tuple[str, Path, Path]:
    stem = artifact_stem(model, fmt, config, ckpt_sha)
    folder = Path(config.out_dir) / stem
    return stem, folder, folder / f"{stem}{extension(fmt)}"


def _check_writable(out_dir: Path) -> None:
    """Fail before any work if ``out_dir`` cannot be created or written (probes with a real file)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".mobench-write-probe.", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(
            f"output folder {out_dir} is not writable ({exc.strerror or exc}); pass --out DIR with a folder you can write"
        ) from exc


def _variant(info) -> str:
    name = info.name.split(":", 1)[-1]
    prefix = f"{info.family}_"
    return name[len(prefix) :] if name.startswith(prefix) else name


def _metadata(info, fmt: str, recipe: str, config: ExportConfig, prep, stem: str) -> dict[str, str]:
    weights = prep.weights
    wdesc = (
        f"checkpoint {Path(weights['checkpoint']).name}"
        if weights["source"] == "checkpoint"
        else f"random weights (seed {weights['seed']}{', BatchNorm calibrated' if weights['bn_calibrated'] else ''})"
    )
    form = (
        "reparameterized (fused)"
        if prep.reparameterized
        else ("unfused train-time graph (--no-reparam)" if prep.reparameterizable else "as built")
    )
    res = config.resolution
    if prep.inputs is not None:
        in_desc = f"{listing(prep.inputs.specs)} (a factory's own inputs, fed as given)"
    elif config.input_kind == "image":
        in_desc = f"{res}x{res} RGB image (BGRA/ARGB pixel buffers accepted); ImageNet normalization is applied inside the model"
    else:
        in_desc = f"float32 tensor 1x3x{res}x{res} (NCHW), ImageNet-normalized RGB: (pixel/255 - mean) / std"
    return {
        "description": f"{info.name} ({info.description or info.family}), {form}, {recipe}, {wdesc}. Exported by mobench {__version__}.",
        "author": "mobench",
        "license": LICENSE_NOTE,
        "version": __version__,
        "input_description": in_desc,
        "output_description": f"logits over {int(prep.reference_output.shape[-1])} ImageNet classes (no softmax)",
        "mobench.model": info.name,
        "mobench.family": info.family,
        "mobench.stem": stem,
        "mobench.format": fmt,
        "mobench.recipe": recipe,
        "mobench.reparameterized": str(prep.reparameterized).lower(),
        "mobench.input_kind": config.input_kind,
        "mobench.resolution": str(res),
        **({"mobench.inputs": listing(prep.inputs.specs)} if prep.inputs is not None else {}),
        "mobench.weights": wdesc,
        "mobench.version": __version__,
    }


def _recipe_entry(name: str, converted: Converted) -> dict[str, Any]:
    """The manifest's record of the recipe: what it is, its parity rule, and how the format applied it."""
    r = _recipe(name)
    return {
        "name": name,
        "quantized": r.quantized,
        "description": r.description,
        "parity_rule": r.parity_rule(PARITY_RTOL.get(name), PARITY_ATOL if not r.quantized else None),
        "applied": converted.recipe_applied,
    }


def check_inputs(model: str, fmt: str, recipe: str) -> None:
    """Refuse, in one line and before any work, a quantized recipe for a factory of its own inputs:
    calibration and quantized parity (every quantized recipe) feed one ``1x3xHxW`` image tensor (:mod:`.calibration`)."""
    if _recipe(recipe).quantized and (inputs := export_inputs(model)) is not None:
        raise UsageError(
            f"{model} takes {listing(inputs.specs)}: the quantized recipe {recipe} is calibrated and parity-checked on one 1x3xHxW image input; "
            f"export it with a float recipe ({', '.join(r for r in format_recipes(fmt) if not _recipe(r).quantized)})"
        )


def capture(model: str, fmt: str, config: ExportConfig, ckpt_sha: str | None, cache: dict | None) -> Prepared:
    """The module to convert, its reference input/output and structural expectations (:func:`.prepare.prepare`).

    ``cache`` (from :func:`export_many`) shares one built model between the formats of a model
    (tensor input builds the same module for every format; image input wraps it per format).
    """
    key = (model, fmt if config.input_kind == "image" else None, config.resolution, config.reparameterize, ckpt_sha)
    prep = cache.get(key) if cache is not None else None
    if prep is None:
        prep = prepare(model, fmt, config, ckpt_sha)
        if cache is not None:
            cache.clear()  # keep one model in memory, not the whole preset
            cache[key] = prep
    return prep


def check_structure(fmt: str, job: ConvertJob, converted: Converted) -> dict[str, Any]:
    """The structural checks of :mod:`.checks` plus the format's own; ExportError if any fails."""
    structure = structural_checks(converted.op_histogram, fmt, job.prep.expectations, job.prep.reparameterized)
    structure["checks"] += converted.checks  # the format's own (delegation, quantize ops, compressed weights)
    structure["counts"].update(converted.counts)
    structure["status"] = "passed" if all(c["passed"] for c in structure["checks"]) else "failed"
    if structure["status"] != "passed":
        raise ExportError(f"{job.model}: structural check failed: {failed_summary(structure)}")
    return structure


def check_parity(exporter: ExportFormat, job: ConvertJob, converted: Converted) -> dict[str, Any]:
    """Run the saved artifact (the format's ``predict``) and judge it by the recipe's rule; ExportError if it fails.

    Float recipes: the reference input, element-wise against PyTorch's output. Quantized
    recipes: the example and seeded inputs against the fp32 PyTorch model, never by a
    loosened float tolerance. The record says what was measured, and why it was skipped.
    """
    recipe = _recipe(job.recipe)
    if not job.config.check_parity:
        parity: dict[str, Any] = {"status": "skipped", "reason": "parity check disabled (check_parity=False)"}
    elif (why := exporter.parity_skipped(job)) is not None:
        parity = {"status": "skipped", "reason": why}
    else:
        job.step(f"{exporter.name} parity")
        prep = job.prep
        try:
            runtime = exporter.runtime()
            if recipe.quantized:
                inputs = parity_inputs(prep, job.config.input_kind)
                outs = exporter.predict(converted.path, inputs, job)
            else:
                sample = prep.reference_input if prep.inputs is not None else prep.reference_input.numpy()
                outs = exporter.predict(converted.path, [sample], job)
        except MobenchError:
            raise
        except Exception as exc:  # the runtime cannot load or run the artifact
            raise ExportError(
                f"{job.model}: {exporter.name} cannot run the exported artifact: {one_line(exc)}"
            ) from exc
        if recipe.quantized:
            parity = compare_quantized(outs, torch_outputs(prep, inputs), job.recipe, runtime)
        else:
            parity = compare(outs[0], prep.reference_output.numpy(), job.recipe, runtime)
        if parity["status"] != "passed":
            raise ExportError(f"{job.model}: {exporter.name} output differs from PyTorch: {parity['reason']}")
    if parity["status"] == "skipped" and recipe.quantized:
        parity["rule"] = recipe.parity_rule()
    return parity


def manifest_entry(
    info, fmt: str, job: ConvertJob, converted: Converted, structure: dict, parity: dict, t0: float, ckpt_sha
) -> dict[str, Any]:
    """The manifest entry of an export that passed its checks (schema: :mod:`.manifest`)."""
    prep, config = job.prep, job.config
    job.step("counting params and MACs")
    params, macs = complexity(
        prep.core, config.resolution, info.name, deployed_form=prep.reparameterized or not prep.reparameterizable
    )
    job.step("hashing")
    path = converted.path
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
    if prep.inputs is not None:
        preprocessing: dict[str, Any] = {"formula": "none: every input is fed as given"}
    else:
        preprocessing = image_preprocessing(fmt) if config.input_kind == "image" else tensor_preprocessing()
    return {
        "model": info.name,
        "family": info.family,
        "variant": _variant(info),
        "kind": info.kind,
        "source": info.source,
        "paper_name": info.paper_name,
        "format": fmt,
        "stem": job.stem,
        "file": f"{job.stem}{job.extension}",
        "size_bytes": int(size),
        "reparameterizable": prep.reparameterizable,
        "reparameterized": prep.reparameterized,
        "weights": prep.weights,
        "input": {**converted.input, "kind": config.input_kind, "preprocessing": preprocessing},
        **({"inputs": _inputs_entry(prep.inputs, converted)} if prep.inputs is not None else {}),
        "output": converted.output,
        "recipe": _recipe_entry(job.recipe, converted),
        "target": converted.target,
        "opset": converted.opset,
        "resolution": config.resolution,
        "params": params,
        "macs": macs,
        "op_histogram": converted.op_histogram,
        "structural_check": structure,
        "parity": parity,
        "sha256": sha256_path(path),
        "versions": tool_versions(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "export_seconds": round(time.perf_counter() - t0, 3),
        "exporter": converted.exporter,
        "config": config_fingerprint(fmt, config, ckpt_sha),
        "options": config_dict(config),
    }


def _inputs_entry(inputs, converted: Converted) -> dict[str, Any]:
    """The manifest's ``inputs``: every input of the artifact (name, shape, dtype), as the devices feed it."""
    if converted.inputs is not None:
        inputs = dataclasses.replace(inputs, specs=tuple(converted.inputs))
    return inputs.to_dict()


def save_artifact(tmp_artifact: Path, folder: Path, target: Path, fmt: str, entry: dict, force: bool) -> dict:
    """Move the finished artifact into place and record it in the manifest, atomically (the one save step).

    With ``force`` the previous artifact is moved aside first and restored if
    anything fails before the manifest is written.
    """
    with _manifest.manifest_lock(folder):
        old: Path | None = None
        if target.exists():
            if not force:
                raise ArtifactExistsError(f"{target} already exists; pass --force to replace it")
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=folder)) / target.name
            os.replace(target, old)
        try:
            os.replace(tmp_artifact, target)
            doc = _manifest.write_entry(folder, fmt, entry)
        except BaseException:
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            if old is not None:
                os.replace(old, target)
            raise
        finally:
            if old is not None:
                shutil.rmtree(old.parent, ignore_errors=True)
    return doc


def export(
    model_name: str,
    fmt: str,
    config: ExportConfig | None = None,
    progress: Step | None = None,
    *,
    _prepared: dict | None = None,
) -> Artifact:
    """Export one model to one format; raise :class:`ExportError` / :class:`UsageError` on failure.

    ``progress`` (optional) is called with a short description of each step.
    Nothing is written unless every check passed.
    """

    step = progress or _noop
    config = config if config is not None else ExportConfig()
    check_format(fmt)
    config.validate()
    exporter = export_format(fmt)()
    info = model_info(model_name)  # ModelNotFoundError for unknown names
    out_dir = Path(config.out_dir)
    _check_writable(out_dir)
    ckpt_sha = _checkpoint_sha(config)
    recipe = config.recipe_for(fmt)
    check_inputs(info.name, fmt, recipe)
    stem, folder, target = _target_paths(info.name, fmt, config, ckpt_sha)
    if target.exists() and not config.force:
        raise ArtifactExistsError(f"{target} already exists; pass --force to replace it")

    t0 = time.perf_counter()
    step("building model")
    prep = capture(info.name, fmt, config, ckpt_sha, _prepared)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{stem}.{fmt}.", suffix=".partial", dir=out_dir))
    except OSError as exc:
        raise UsageError(f"cannot write to output folder {out_dir}: {exc.strerror or exc}") from exc
    job = ConvertJob(
        prep=prep,
        recipe=recipe,
        options=config.options_for(fmt),
        config=config,
        out_dir=tmp,
        stem=stem,
        model=info.name,
        metadata=_metadata(info, fmt, recipe, config, prep, stem),
        step=step,
        extension=exporter.extension,
    )
    try:
        converted = exporter.convert(job)
        if not isinstance(converted, Converted):
            raise ExportError(f"{info.name}: format {fmt} returned {type(converted).__name__}, not a Converted")
        step("structural checks")
        structure = check_structure(fmt, job, converted)
        parity = check_parity(exporter, job, converted)
        entry = manifest_entry(info, fmt, job, converted, structure, parity, t0, ckpt_sha)
        step("writing")
        save_artifact(converted.path, folder, target, fmt, entry, config.force)
    except MobenchError:
        raise
    except Exception as exc:  # a converter's own exception: one line, with its reason
        raise ExportError(f"{info.name}: {fmt} export failed: {one_line(exc)}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Artifact(
        model=info.name, format=fmt, path=target, manifest_path=_manifest.manifest_path(folder), manifest=entry
    )


def find_artifact(model_name: str, fmt: str, config: ExportConfig | None = None) -> Artifact | None:
    """An existing artifact exported with these options whose file still has the recorded sha256."""

    config = config if config is not None else ExportConfig()
    check_format(fmt)
    config.validate()
    info = model_info(model_name)
    ckpt_sha = _checkpoint_sha(config)
    _, folder, target = _target_paths(info.name, fmt, config, ckpt_sha)
    mp = _manifest.manifest_path(folder)
    if not target.exists() or not mp.exists():
        return None
    try:
        entry = _manifest.read_manifest(mp)["artifacts"].get(fmt)
    except MobenchError:
        return None
    if not entry or stored_fingerprint(entry) != config_fingerprint(fmt, config, ckpt_sha):
        return None
    if entry.get("sha256") != sha256_path(target):
        return None
    return Artifact(model=info.name, format=fmt, path=target, manifest_path=mp, manifest=entry)


def export_many(
    model_names: Iterable[str],
    formats: str | Iterable[str],
    config: ExportConfig | None = None,
    progress: Reporter | None = None,
    reuse: bool = False,
) -> list[ExportResult]:
    """Export every model to every format; a converter failure becomes that cell's ``error``.

    Bad options, unknown models or formats and an unwritable folder raise before
    anything is written. With ``reuse`` an existing matching artifact (see
    :func:`find_artifact`) is returned instead of re-exported.
    """

    config = config if config is not None else ExportConfig()
    fmts = expand_formats(formats if isinstance(formats, str) else list(formats))
    config.validate()
    names: list[str] = []
    for n in model_names:
        canonical = resolve_name(n)
        if canonical not in names:
            names.append(canonical)
    if not names:
        raise UsageError("no models given: pass --model NAME (repeatable) or --preset NAME")
    if config.checkpoint and len(names) > 1:
        raise UsageError("--checkpoint applies to one model; export checkpointed models one at a time")
    _check_writable(Path(config.out_dir))

    jobs = [(n, f) for n in names for f in fmts]
    results: list[ExportResult] = []
    prepared: dict = {}
    with reporter_or_null(progress).phase("exporting", total=len(jobs)) as tick:
        for name, fmt in jobs:
            item = f"{name} [{fmt}]"

            def step(text: str, _item=item) -> None:
                tick(_item, text)

            t0 = time.perf_counter()
            try:
                found = find_artifact(name, fmt, config) if (reuse and not config.force) else None
                if found is not None:
                    results.append(ExportResult(name, fmt, found, None, time.perf_counter() - t0, reused=True))
                else:
                    art = export(name, fmt, config, progress=step, _prepared=prepared)
                    results.append(ExportResult(name, fmt, art, None, time.perf_counter() - t0))
            except MobenchError as exc:  # converter failure, existing output, bad checkpoint: this cell only
                results.append(ExportResult(name, fmt, None, one_line(exc), time.perf_counter() - t0))
            tick(item, "ok" if results[-1].ok else "failed", True)
    return results
