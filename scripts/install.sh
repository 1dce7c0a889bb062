#!/usr/bin/env bash
# Create .venv (if needed) and install mobench with its test extras into it.
#
# On Linux x86_64 torch/torchvision are pinned to the builds this project is
# tested with (torch 2.14.1 + torchvision 0.29.1: PyPI's torchvision does not
# import beside other torch builds); elsewhere (a Mac) pip picks the wheels
# that pyproject.toml's ranges allow.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
VENV="${MOBENCH_VENV:-.venv}"

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
if [ "$(uname -s)" = "Linux" ] && [ "$(uname -m)" = "x86_64" ]; then
    "$VENV/bin/python" -m pip install --quiet "torch==2.14.1" "torchvision==0.29.1"
fi
"$VENV/bin/python" -m pip install --quiet -e ".[test]"
"$VENV/bin/python" -c "import mobench, torch, timm, onnxruntime; print('mobench', mobench.__version__, 'torch', torch.__version__, 'onnxruntime', onnxruntime.__version__)"
