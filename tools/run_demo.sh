#!/usr/bin/env bash
# The README's CPU demo: make the synthetic VOC2007+2012-layout data set, train
# FRSKD DeepLab (a narrow ResNet-18-D8, 128x128 crops) with tools/train.py and
# evaluate the last checkpoint with tools/test.py. Run it through `make demo`
# (which sets up .venv first). Override with DEMO_WORK_DIR, DEMO_DATA.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
CONFIG=configs/demo/frskd_deeplab_r18_voc_demo.py
DATA="${DEMO_DATA:-data/voc0712_demo}"
WORK_DIR="${DEMO_WORK_DIR:-work_dirs/frskd_demo}"
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
start=$(date +%s)

echo "== 1/3 synthetic VOC2007+2012-layout data set in $DATA"
"$PYTHON" tools/make_synthetic_voc.py "$DATA"

echo "== 2/3 training FRSKD DeepLab on the CPU (log every 20 iterations)"
"$PYTHON" tools/train.py "$CONFIG" --data-root "$DATA" --work-dir "$WORK_DIR"

echo "== 3/3 evaluating on VOC2007 test"
ckpt="$(cat "$WORK_DIR/last_checkpoint")"
"$PYTHON" tools/test.py "$CONFIG" "$ckpt" --data-root "$DATA" \
    --work-dir "$WORK_DIR/test"

echo "== demo finished in $(( $(date +%s) - start )) s; checkpoint: $ckpt"
