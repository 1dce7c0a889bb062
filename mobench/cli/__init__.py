"""The ``mobench`` command line: a typer app of thin commands over library functions.

Each command group lives in its own module with a ``register(app)`` function and
imports heavy libraries (torch, coremltools, onnxruntime) inside the command, so
``mobench --help`` stays fast. Errors are mapped to one line and an exit code
here, in one place; with ``MOBENCH_DEBUG=1`` every error (mobench's own too)
shows its full chained traceback instead.
"""

from __future__ import annotations

import importlib
import os
import sys

import click
import typer
from typer_injector import InjectingTyper

from ..core.errors import MobenchError, one_line

# InjectingTyper: commands share option sets as dependencies (cli/options.py, DeviceOptionsDep).
app = InjectingTyper(
    name="mobench",
    help=(
        "On-device latency benchmarking of mobile vision backbones.\n\n"
        "Build MobileOne and the paper's baselines, export them to Core ML / ONNX, time them "
        "on this CPU, a Mac or a tethered iPhone, and check how well FLOPs and params "
        "predict latency.\n\n"
        "Start with `mobench run` (the main job: build, export, time, analyse, report) or `mobench models`."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Command modules, in the order they appear in --help.
_COMMAND_MODULES = [
    "run",
    "models",
    "export",
    "bench",
    "compare",
    "devices",
    "doctor",
    "results",
    "analyze",
    "ios",
    "profile",
    "study",
]


def _register_all() -> None:
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(app)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the mobench version and exit.", is_eager=True),
) -> None:
    if version:
        from .. import __version__

        typer.echo(f"mobench {__version__}")
        raise typer.Exit(0)


_register_all()


# typer >= 0.23 vendors its own click: its usage errors are not click.ClickException.
# Catch both (with an older typer they are the same classes).
_CLICK_ERRORS: tuple[type[click.ClickException], ...] = tuple(
    {
        click.ClickException,
        next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
    }
)
_ABORTS = tuple({click.exceptions.Abort, typer.Abort})


def _err(message: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False, soft_wrap=True, emoji=False).print(f"[bold red]error:[/] {escape(message)}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turn user errors into one line + exit code."""
    debug = bool(os.environ.get("MOBENCH_DEBUG"))
    try:
        rv = app(args=argv, prog_name="mobench", standalone_mode=False)
    except MobenchError as exc:
        if debug:  # the whole chain: what mobench says and the error that caused it
            raise
        _err(one_line(exc))
        sys.exit(exc.exit_code)
    except _ABORTS:
        _err("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        _err("interrupted (finished work is kept; run the same command again to resume)")
        sys.exit(130)
    except _CLICK_ERRORS as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: one line unless the user asks for the traceback
        if debug:
            raise
        _err(f"internal error: {one_line(exc, with_type=True)} (set MOBENCH_DEBUG=1 for the traceback)")
        sys.exit(1)
    if isinstance(rv, int) and rv:
        sys.exit(rv)
