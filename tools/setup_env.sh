#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv and install the
# pinned OpenMMLab stack plus frskd-seg in editable mode.
#
# Order matters (see README "Install"): torch first, then mmcv 2.1.0 *with its C++
# ops* built against that torch (no build isolation, setuptools<81), then the rest.
# A prebuilt mmcv wheel in ../shared/wheels is used when that folder exists; without
# it pip compiles mmcv from source (~15 min on 2 cores, cached by pip afterwards).
# Re-running when nothing changed takes about a second (stamp file keyed on the pins).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${FRSKD_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
cd "$ROOT"

STAMP="$VENV/.frskd-setup-stamp"
want="$(cat requirements/*.txt setup.py tools/setup_env.sh | sha256sum | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
    echo "[setup] environment in $VENV is up to date"
    exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "[setup] creating virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
# pip byte-compiles what it installs one file at a time (21 of torch's 28 s
# here); the modules are compiled once at the end instead, on every core
INSTALL=("$VENV/bin/python" -m pip install --no-compile)

echo "[setup] 1/4 torch (CPU wheel) and build tools"
"${INSTALL[@]}" -q -r requirements/torch.txt

echo "[setup] 2/4 mmcv 2.1.0 with compiled ops"
if "$VENV/bin/python" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
    echo "[setup]     mmcv 2.1.0 already installed"
else
    mmcv_args=(--no-build-isolation)
    shared_wheels="$ROOT/../shared/wheels"
    if [[ -d "$shared_wheels" ]]; then
        echo "[setup]     using prebuilt wheels from $shared_wheels when they match"
        mmcv_args+=(--find-links "$shared_wheels")
    else
        echo "[setup]     building mmcv from source: ~15 min on 2 cores, once"
    fi
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-2}" "${INSTALL[@]}" "${mmcv_args[@]}" -r requirements/mmcv.txt
fi

echo "[setup] 3/4 mmengine, mmsegmentation, opencv, mmdet (EfficientNet) and test tools"
"${INSTALL[@]}" -q -r requirements/runtime.txt -r requirements/paper.txt \
    -r requirements/tests.txt

echo "[setup] 4/4 frskd-seg (editable)"
"${INSTALL[@]}" -q --no-deps --no-build-isolation -e .

echo "[setup]     byte-compiling the installed modules"
# as pip's own compilation: a file that does not compile is left to fail on
# import (a few packages ship templates that are not Python)
"$VENV/bin/python" -m compileall -q -j 0 \
    "$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
    > /dev/null || true
"$VENV/bin/python" -c "import frskd_seg, mmcv.ops, mmseg.models; print('[setup] ok: frskd_seg', frskd_seg.__version__)"
echo "$want" > "$STAMP"
