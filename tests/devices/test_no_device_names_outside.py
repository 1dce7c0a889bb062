"""No module outside ``mobench/devices/`` compares a device name: what differs per device is the
device's own declaration (options, runtime, profiler, capabilities), read through its class."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from mobench.devices import DEVICES
from mobench.workflows.profile import stored_run_devices

ROOT = Path(__file__).resolve().parents[2]
#: Something that holds a device name (a variable, attribute or column), compared with a literal.
SUBJECT = r"(?:\bdevice|\bbackend|\bname|\.device|\.name|\[[\"'](?:device|backend)[\"']\])"
LITERAL = r"[\"']([\w:.-]+)[\"']"


def _comparisons(text: str) -> list[tuple[int, str, str]]:
    names = set(DEVICES.names()) | stored_run_devices()
    pats = [
        re.compile(SUBJECT + r"\s*(?:==|!=)\s*" + LITERAL),
        re.compile(LITERAL + r"\s*(?:==|!=)\s*" + SUBJECT),
        re.compile(SUBJECT + r"\s*(?:not\s+)?in\s*[\(\[\{]([^\)\]\}]*)[\)\]\}]"),
    ]
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        for pat in pats:
            for m in pat.finditer(line):
                literals = re.findall(r"[\"']([\w:.-]+)[\"']", m.group(1)) if pat is pats[2] else [m.group(1)]
                found += [(n, lit, line.strip()) for lit in literals if lit in names]
    return found


def test_the_check_finds_a_comparison():
    assert _comparisons('if device == "torch":\n    pass') == [(1, "torch", 'if device == "torch":')]
    assert _comparisons('x = dev.name in ("iphone", "cpu")')[0][1] == "iphone"
    assert _comparisons('if delegate == "coreml":') == []  # another vocabulary (an ExecuTorch delegate)


def test_no_module_outside_devices_compares_a_device_name():
    files = subprocess.run(
        ["git", "ls-files", "mobench/*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    bad = [
        f"{f}:{n}: {line}"
        for f in files
        if not f.startswith("mobench/devices/")
        for n, _, line in _comparisons((ROOT / f).read_text())
    ]
    assert not bad, "device names compared outside mobench/devices/:\n" + "\n".join(bad)
