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
    # Plain pip first (a Mac, most Linux boxes). Where a site-wide pip
    # configuration pins torch to another build (its constraint refuses the
    # pin), the same call again without reading any pip configuration file;
    # certificate settings come from the environment and still apply.
    if ! "$VENV/bin/python" -m pip install --quiet "torch==2.14.1" "torchvision==0.29.1"; then
        echo "install.sh: pip refused torch==2.14.1 / torchvision==0.29.1; retrying without pip configuration files" >&2
        PIP_CONFIG_FILE=/dev/null "$VENV/bin/python" -m pip install --quiet "torch==2.14.1" "torchvision==0.29.1"
    fi
fi
"$VENV/bin/python" -m pip install --quiet -e ".[test]"
"$VENV/bin/python" -c "import mobench, torch, timm, onnxruntime; print('mobench', mobench.__version__, 'torch', torch.__version__, 'onnxruntime', onnxruntime.__version__)"
