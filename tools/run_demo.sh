#!/usr/bin/env bash
# The README's CPU demo, in the regime every result of the README is measured
# in (a pretrained student, as every real-size recipe starts from ImageNet
# weights): make the synthetic VOC2007+2012-layout data set, pretrain the demo
# backbone on a synthetic set of its own (once: the checkpoint is kept), then
# train the FRSKD demo model and its baseline twin with the same seed (same
# initial student, same batches) and evaluate both, and the self-teacher, on
# the held-out VOC2012 val and on VOC2007 test: tools/gain_study.py with one
# seed (it runs tools/train.py for each and prints the side-by-side table;
# without the diagnostics the table does not show, as the studies run it, and
# with each run evaluated at its end alone: the table leaves out the
# self-teacher's lead at the warm-up end, the study's other numbers the same).
# Run it through `make demo` (which sets up .venv first). Override with
# DEMO_WORK_DIR, DEMO_DATA, DEMO_SEED.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
CONFIG=configs/demo/frskd_deeplab_r18_voc_demo_pretrained.py
BACKBONE=checkpoints/demo_r18_backbone_i1000.pth
DATA="${DEMO_DATA:-data/voc0712_demo}"
WORK_DIR="${DEMO_WORK_DIR:-work_dirs/frskd_demo}"
SEED="${DEMO_SEED:-0}"
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
start=$(date +%s)

echo "== 1/3 synthetic VOC2007+2012-layout data set in $DATA"
"$PYTHON" tools/make_synthetic_voc.py "$DATA"

if [[ -f $BACKBONE ]]; then
  echo "== 2/3 the pretrained demo backbone: $BACKBONE (kept from an earlier run)"
else
  echo "== 2/3 pretraining the demo backbone on a synthetic set of its own -> $BACKBONE"
  "$PYTHON" tools/pretrain_demo_backbone.py "$BACKBONE"
fi

echo "== 3/3 FRSKD and its baseline twin, seed $SEED: trained, then evaluated on"
echo "   VOC2012 val (held out) and VOC2007 test"
"$PYTHON" tools/gain_study.py "$CONFIG" --seeds "$SEED" --no-diagnostics \
    --no-warmup-eval --data-root "$DATA" --work-dir "$WORK_DIR" \
    --runs-dir "$WORK_DIR/runs"

echo "== demo finished in $(( $(date +%s) - start )) s (one seed: a single"
echo "   paired run, not evidence; the README's results are 16 seeds)"
