#!/usr/bin/env bash
# The demo recipe's study (docs/results_demo_recipe_rule.md), resumable: run
# it again after a stop and finished runs are reused. One heavy job at a
# time: it runs in the background, logging to $LOGS. From the checkout's
# root:
#
#     nohup bash studies/queues/demo_recipe.sh > demo_recipe.log 2>&1 &
#
# STEPS (default: all, in order) picks some: data demo backbones confirm.
set -uo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-.venv/bin/python}"
DATA="${DATA:-data/voc0712_demo}"
OUT="${OUT:-work_dirs/gain_study}"
LOGS="${LOGS:-$OUT/logs}"
STEPS="${STEPS:-data demo backbones confirm}"
C=configs/demo/frskd_deeplab_r18_voc_demo_pretrained.py
mkdir -p "$LOGS"
export PYTHONWARNINGS=ignore

study() {  # name, gain_study arguments...
  local name=$1; shift
  [[ -f $OUT/$name/study.json ]] && { echo "== $name: done"; return; }
  echo "== $name: $(date)"; local t=$(date +%s)
  "$PY" tools/gain_study.py "$@" --data-root "$DATA" --no-diagnostics \
      --runs-dir "$OUT/runs" --work-dir "$OUT/$name" > "$LOGS/$name.log" 2>&1
  echo "== $name: exit $? after $(( $(date +%s) - t )) s"
}

if [[ $STEPS == *data* ]]; then
  "$PY" tools/make_synthetic_voc.py "$DATA"
  [[ -f checkpoints/demo_r18_backbone_i1000.pth ]] ||
      "$PY" tools/pretrain_demo_backbone.py > "$LOGS/pretrain-0.log" 2>&1
fi

if [[ $STEPS == *demo* ]]; then
  study demo-seed0 $C --seeds 0  # what make demo prints
fi

if [[ $STEPS == *backbones* ]]; then
  for k in 1 2 3 4; do
    out=checkpoints/demo_r18_backbone_i1000-seed$k.pth
    [[ -f $out ]] || "$PY" tools/pretrain_demo_backbone.py "$out" --seed "$k" \
        --work-dir "work_dirs/pretrain_demo_i1000_s$k" > "$LOGS/pretrain-$k.log" 2>&1
  done
fi

if [[ $STEPS == *confirm* ]]; then
  # backbone by backbone (4 backbones x seeds 4-7): the default and its twin,
  # then the compute-matched twin (1720 iterations: the demo's FRSKD step
  # costs 1.72 x the twin's)
  for k in 1 2 3 4; do
    B=(--seeds 4 5 6 7 --cfg-options "model.backbone.init_cfg.checkpoint=checkpoints/demo_r18_backbone_i1000-seed$k.pth")
    study demo-default-b$k $C "${B[@]}"
    study demo-matched-b$k $C "${B[@]}" --twin-cfg-options train_cfg.max_iters=1720 param_scheduler.0.end=1720
  done
fi
echo "== finished $(date)"
