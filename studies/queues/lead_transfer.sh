#!/usr/bin/env bash
# The lead-transfer study (docs/results_lead_transfer_rule.md), resumable:
# run it again after a stop and finished runs are reused. One heavy job at a
# time: it runs in the background, logging to $LOGS. From the checkout's
# root:
#
#     nohup bash studies/queues/lead_transfer.sh > lead_transfer.log 2>&1 &
#
# STEPS (default: all, in order) picks some: data screen backbones confirm.
# The screen ran at 93e2931 and the confirmation at 34b31b5; the candidates
# that lost (channel-wise distillation, mimicking, DIST) have left the code
# since: their commands, to run at those commits, are in docs/results.md.
# What stays runs the default and its twins.
set -uo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-.venv/bin/python}"
DATA="${DATA:-data/voc0712_demo}"
OUT="${OUT:-work_dirs/gain_study}"
LOGS="${LOGS:-$OUT/logs}"
STEPS="${STEPS:-data screen backbones confirm}"
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
frskd_key() {  # the runs folder of a study's FRSKD arm
  "$PY" -c "import json, sys; print(json.load(open(sys.argv[1]))['keys']['frskd'])" "$OUT/$1/study.json"
}

if [[ $STEPS == *data* ]]; then
  "$PY" tools/make_synthetic_voc.py "$DATA"
  [[ -f checkpoints/demo_r18_backbone.pth ]] || "$PY" tools/pretrain_demo_backbone.py
fi

if [[ $STEPS == *screen* ]]; then
  S=(--seeds 0 1 2 3)
  study lead-default $C "${S[@]}"
  W=(--warm-start-from "$OUT/runs/$(frskd_key lead-default)")
  study lead-kl2 $C "${S[@]}" "${W[@]}" --cfg-options model.loss_kd.loss_weight=2.0
  study lead-kl4 $C "${S[@]}" "${W[@]}" --cfg-options model.loss_kd.loss_weight=4.0
fi

if [[ $STEPS == *backbones* ]]; then
  for k in 1 2 3 4; do
    out=checkpoints/demo_r18_backbone_pretrain-seed$k.pth
    [[ -f $out ]] || "$PY" tools/pretrain_demo_backbone.py "$out" --seed "$k" \
        --work-dir "work_dirs/pretrain_demo_s$k" > "$LOGS/pretrain-$k.log" 2>&1
  done
fi

if [[ $STEPS == *confirm* ]]; then
  # backbone by backbone (4 backbones x seeds 4-7): the default and its twin;
  # the compute-matched twin (3440 iterations: the demo's FRSKD step costs
  # 1.72 x the twin's)
  for k in 1 2 3 4; do
    B=(--seeds 4 5 6 7 --cfg-options "model.backbone.init_cfg.checkpoint=checkpoints/demo_r18_backbone_pretrain-seed$k.pth")
    study confirm-default-b$k $C "${B[@]}"
    study confirm-matched-b$k $C "${B[@]}" --twin-cfg-options train_cfg.max_iters=3440 param_scheduler.0.end=3440
  done
fi
echo "== finished $(date)"
