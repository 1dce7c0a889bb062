"""`mobench export`: models -> every registered format (Core ML, ONNX, ExecuTorch), with checks and a manifest."""

from __future__ import annotations

from pathlib import Path

import typer

from ..core.jsonout import dumps
from ..exporters.config import FORMATS, export_format, format_options_help, formats_help, recipes_help
from .options import InputDataOption, InputOption, ModelsOption, PresetOption

HELP = """Export models to the registered formats ({formats}), checked and described by a manifest.

Each export is fused first (MobileOne, RepVGG) unless --no-reparam, converted with a recipe (fp32, fp16 or a quantization scheme), checked structurally (op histogram: a fused MobileOne S0 has 43 convs and no batch_norm; quantized graphs hold their quantize ops; ExecuTorch programs delegate every conv), checked for numerical parity against PyTorch fp32 (ONNX Runtime and ExecuTorch on every export; Core ML only on macOS; quantized recipes against fp32 by logit cosine similarity and error relative to the spread of the fp32 logits), and written atomically to OUT/<stem>/<stem>.<ext> with OUT/<stem>/manifest.json.

Non-default options give the stem a suffix so variants coexist: mobileone_s0_unfused, mobileone_s0_image, mobileone_s0_fp32 (Core ML), mobileone_s0_int8, mobileone_s0_palettize4, mobileone_s0_r256, and the format's own options: mobileone_s0_ios17 (Core ML target=iOS17), mobileone_s0_opset18 (ONNX opset=18), mobileone_s0_coreml (ExecuTorch delegate=coreml).

Examples:

  mobench export --model s0 --format coreml

  mobench export --preset quick --format all

  mobench export --model s0 --format onnx --no-reparam        # the paper's ablation

  mobench export --model s0 --format onnx --recipe int8        # static QDQ int8

  mobench export --model s0 --format coreml --recipe palettize4

  mobench export --model s0 --format executorch --recipe int8  # XNNPACK, PT2E int8

  mobench export --model s0 --format coreml --input-kind image --format-option target=iOS17

  mobench export --model s0 --format executorch --format-option delegate=coreml

  mobench export --model net.py:build --format onnx --input x=1x3x320x320   (a factory at another size)

  mobench export --preset paper --format onnx --out /tmp/exports --force
""".replace("{formats}", "; ".join(f"{f}: {export_format(f).description}" for f in FORMATS.names()))


def _is_user_key(name: str) -> bool:
    from ..models.user import is_user_key

    return is_user_key(name)


def _factory_resolution(names: list[str], resolution: int) -> int:
    """The export resolution of factories with chosen inputs: S of their one square 1x3xSxS input, the same
    S for all (a factory of other inputs is exported with its own inputs, whatever the resolution)."""
    from ..core.errors import UsageError
    from ..models.chosen_inputs import export_inputs, export_size
    from ..models.user import is_user_key, lookup

    sizes = {
        export_size(n) for n in names if is_user_key(n) and lookup(n).kind == "factory" and export_inputs(n) is None
    }
    if len(sizes) > 1:
        raise UsageError(f"--input gives these factories different sizes ({sorted(sizes)}); export them separately")
    return sizes.pop() if sizes else resolution


def register(app: typer.Typer) -> None:
    app.command("export", help=HELP, no_args_is_help=True)(export_cmd)


def export_cmd(
    model: ModelsOption = None,
    preset: PresetOption = None,
    fmt: str = typer.Option("all", "--format", "-f", help=f"{formats_help()}."),
    recipe: str | None = typer.Option(None, "--recipe", "-r", help=f"Numeric recipe per format: {recipes_help()}."),
    format_option: list[str] = typer.Option(
        [],
        "--format-option",
        help=f"KEY=VALUE: an option of a format (repeatable); each format takes the keys it has. {format_options_help()}.",
    ),
    calibration_dir: Path | None = typer.Option(
        None,
        "--calibration-dir",
        help="A folder of images to calibrate static quantization on (default: seeded synthetic inputs).",
    ),
    inputs: InputOption = None,
    input_data: InputDataOption = None,
    input_kind: str = typer.Option(
        "tensor",
        "--input-kind",
        help="tensor: float NCHW input, feed normalized data; image: RGB image input (Core ML ImageType; ONNX float 0..255) with ImageNet normalization inside the model.",
    ),
    resolution: int = typer.Option(224, "--resolution", help="Input height and width in pixels."),
    checkpoint: Path | None = typer.Option(
        None,
        "--checkpoint",
        help="Weights to load (train-time/unfused file for MobileOne); one model only. Default: random weights.",
    ),
    no_reparam: bool = typer.Option(
        False, "--no-reparam", help="Keep the train-time multi-branch graph (to time what fusion buys)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default: results/exports, or $MOBENCH_RESULTS/exports)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace existing artifacts (the old one stays until the new one is complete)."
    ),
    no_parity: bool = typer.Option(False, "--no-parity", help="Skip the numerical parity check (not recommended)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON instead of a table."),
) -> None:

    from rich.console import Console
    from rich.table import Table

    from ..core.errors import ExportError, UsageError
    from ..exporters import (
        ExportConfig,
        check_recipe,
        default_recipe,
        expand_formats,
        export_many,
        format_recipes,
    )
    from ..exporters.config import parse_format_options
    from ..exporters.manifest import manifest_recipe
    from ..models import resolve_models
    from .options import apply_inputs
    from .progress import RichReporter

    kinds = [v for v in inputs or [] if "=" not in v]  # the former --input tensor|image
    if len(kinds) > 1 or (kinds and input_kind != "tensor" and kinds[0] != input_kind):
        raise UsageError(f"--input-kind is given more than once ({', '.join(kinds)})")
    input_kind = kinds[0] if kinds else input_kind
    dims = [v for v in inputs or [] if "=" in v]
    names = resolve_models(model, preset)
    if dims or input_data is not None:
        names = apply_inputs(names, dims, input_data)
        resolution = _factory_resolution(names, resolution)
    elif resolution == 224 and names and all(_is_user_key(n) for n in names):
        resolution = _factory_resolution(names, resolution)  # the size the factories declare, as bench exports them
    formats = expand_formats(fmt)
    if recipe is not None and fmt == "all":  # 'all' means every format that has this recipe
        formats = [f for f in formats if recipe in format_recipes(f)] or formats
    for f in formats:
        if recipe is not None:
            check_recipe(f, recipe)
    kwargs = {}
    if out is not None:
        kwargs["out_dir"] = out
    config = ExportConfig(
        recipe=recipe,
        format_options=parse_format_options(format_option, formats),
        calibration_dir=str(calibration_dir) if calibration_dir is not None else None,
        input_kind=input_kind,
        resolution=resolution,
        checkpoint=str(checkpoint) if checkpoint is not None else None,
        reparameterize=not no_reparam,
        force=force,
        check_parity=not no_parity,
        **kwargs,
    ).validate()
    results = export_many(names, formats, config, progress=RichReporter(enabled=not as_json))
    failed = [r for r in results if not r.ok]

    if as_json:
        typer.echo(
            dumps(
                [
                    {
                        "model": r.model,
                        "format": r.format,
                        "ok": r.ok,
                        "error": r.error,
                        "seconds": round(r.seconds, 2),
                        "path": str(r.artifact.path) if r.artifact else None,
                        "manifest": str(r.artifact.manifest_path) if r.artifact else None,
                        "recipe": (manifest_recipe(r.artifact.manifest) if r.artifact else None),
                        "parity": (r.artifact.manifest["parity"]["status"] if r.artifact else None),
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    elif len(results) == 1 and failed:
        raise ExportError(failed[0].error or "export failed")
    else:
        console = Console(highlight=False, soft_wrap=False)
        table = Table(title=f"mobench export: {len(results) - len(failed)} of {len(results)} ok")
        for col in ("model", "format", "status", "s", "convs", "parity", "artifact or reason"):
            table.add_column(col, overflow="fold", justify="right" if col in ("s", "convs") else "left")
        for r in results:
            if r.ok and r.artifact is not None:
                man = r.artifact.manifest
                convs = man["structural_check"]["counts"].get("graph_convs", "")
                par = man["parity"]
                if par["status"] == "passed" and "min_cosine_measured" in par:
                    par_text = (
                        f"ok (cos {par['min_cosine_measured']:.3f}, "
                        f"error {par.get('max_spread_error_measured', float('nan')):.2f} of spread)"
                    )
                elif par["status"] == "passed":
                    par_text = f"ok ({par.get('rel_err') or 0:.0e})"
                elif "macOS" in (par.get("reason") or ""):
                    par_text = "needs macOS"
                else:
                    par_text = f"{par['status']}: {par.get('reason')}"
                rec = manifest_recipe(man) or ""
                fmt_text = r.format if rec == default_recipe(r.format) else f"{r.format} {rec}"
                table.add_row(
                    r.model, fmt_text, "[green]ok[/]", f"{r.seconds:.1f}", str(convs), par_text, str(r.artifact.path)
                )
            else:
                table.add_row(r.model, r.format, "[red]failed[/]", f"{r.seconds:.1f}", "", "", r.error or "")
        console.print(table)
    if failed:
        if not as_json:
            Console(stderr=True, highlight=False).print(
                f"[bold red]error:[/] {len(failed)} of {len(results)} exports failed (reasons above)"
            )
        raise typer.Exit(1)
