"""Every --help that lists devices, protocols or statistics reads the registries, so none drifts.

The help texts are read from the click commands typer builds (the same objects
``--help`` prints), and compared with the registries they must list.
"""

from __future__ import annotations

import typer

from mobench.analysis.reference import REFERENCE_DEVICES
from mobench.cli import app
from mobench.cli.options import describe_protocol
from mobench.core.configs import PROTOCOLS, STATISTICS
from mobench.devices import DEVICES

TIMING_COMMANDS = ("bench", "compare", "profile", "run", "study")


def _command(name: str):
    return typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]


def _option(command: str, flag: str):
    params = [p for p in _command(command).params if flag in getattr(p, "opts", ())]
    assert params, f"mobench {command} has no {flag}"
    return params[0]


def test_every_timing_command_lists_every_registered_device_and_shares_the_device_options():
    for cmd in TIMING_COMMANDS:
        help_text = _option(cmd, "--device").help or ""
        for name in DEVICES.names():
            assert name in help_text, f"mobench {cmd} --device help does not list {name}: {help_text}"
        # one shared option set: the same flags with the same help in every command
        assert _option(cmd, "--device-option").help == _option("bench", "--device-option").help
        assert _option(cmd, "-O").name == "device_option" and _option(cmd, "--threads").help
    for cmd in ("analyze", "report"):
        help_text = _option(cmd, "--device").help or ""
        assert all(n in help_text for n in DEVICES.names()) and all(r in help_text for r in REFERENCE_DEVICES)


def test_protocol_help_is_the_registry():
    for cmd in ("bench", "run", "study"):
        help_text = _option(cmd, "--protocol").help or ""
        for name in PROTOCOLS.names():
            assert f"{name} ({describe_protocol(PROTOCOLS.get(name))})" in help_text, (cmd, name, help_text)
    assert "headline robust" in describe_protocol(PROTOCOLS.get("study"))  # the study protocol's headline
    bench_help = _command("bench").help or ""
    assert "study (" in bench_help and "headline robust" in bench_help


def test_stat_help_lists_every_statistic():
    for cmd in ("analyze", "report"):
        help_text = _option(cmd, "--stat").help or ""
        assert all(s in help_text for s in STATISTICS), help_text
