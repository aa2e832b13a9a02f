#!/usr/bin/env bash
# Evaluate with N processes (torchrun): tools/dist_test.sh CONFIG CKPT N [test.py options]
# CPU-only (gloo): add --cfg-options env_cfg.dist_cfg.backend=gloo
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
PYTHON=${PYTHON:-python}
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" \
    "$(dirname "$0")/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
