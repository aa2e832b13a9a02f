#!/usr/bin/env bash
# Train with N processes (torchrun): tools/dist_train.sh CONFIG N [train.py options]
# e.g. tools/dist_train.sh configs/frskd_deeplab_voc.py 4 --work-dir work_dirs/x
# CPU-only (gloo): add --cfg-options env_cfg.dist_cfg.backend=gloo
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT as for torchrun.
set -euo pipefail
CONFIG=$1
NPROC=$2
PYTHON=${PYTHON:-python}
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "${@:3}"
