"""`mobench --help` must not import the heavy libraries: they load only when a command runs."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "timm", "onnxruntime", "coremltools", "executorch", "matplotlib")


def test_help_imports_no_heavy_library():
    code = (
        "import sys, runpy\n"
        "sys.argv = ['mobench', '--help']\n"
        "try:\n"
        "    runpy.run_module('mobench', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "Usage" in out.stdout, out.stderr
    loaded = out.stdout.rsplit("LOADED:", 1)[1].strip()
    assert loaded == "", f"--help imported {loaded}"
