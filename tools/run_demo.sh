#!/usr/bin/env bash
# The README's CPU demo: make the synthetic VOC2007+2012-layout data set, then
# train the FRSKD demo model and its baseline twin with the same seed (same
# initial student, same batches) and evaluate both, and the self-teacher, on
# the held-out VOC2012 val and on VOC2007 test: tools/gain_study.py with one
# seed (it runs tools/train.py for each and prints the side-by-side table);
# the runs are the seed-0 runs of the README's study, and are cached with them
# under work_dirs/gain_study/runs. Run it through `make demo` (which sets up
# .venv first). Override with DEMO_WORK_DIR, DEMO_DATA, DEMO_SEED.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
CONFIG=configs/demo/frskd_deeplab_r18_voc_demo.py
DATA="${DEMO_DATA:-data/voc0712_demo}"
WORK_DIR="${DEMO_WORK_DIR:-work_dirs/frskd_demo}"
SEED="${DEMO_SEED:-0}"
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
start=$(date +%s)

echo "== 1/2 synthetic VOC2007+2012-layout data set in $DATA"
"$PYTHON" tools/make_synthetic_voc.py "$DATA"

echo "== 2/2 FRSKD and its baseline twin, seed $SEED: trained, then evaluated on"
echo "   VOC2012 val (held out) and VOC2007 test"
"$PYTHON" tools/gain_study.py "$CONFIG" --seeds "$SEED" \
    --data-root "$DATA" --work-dir "$WORK_DIR"

echo "== demo finished in $(( $(date +%s) - start )) s (one seed: a single"
echo "   paired run, not evidence; tools/gain_study.py --seeds 0 1 2 3 4 is)"
