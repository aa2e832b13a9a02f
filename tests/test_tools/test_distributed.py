"""tools/dist_train.sh and tools/dist_test.sh: two CPU processes (gloo)."""
import os
import os.path as osp
import re
import shutil
import socket
import subprocess
import sys

import pytest
import torch

from tests.conftest import (DEMO_CONFIG, HANG_TIMEOUT, REPO,
                            logged_scalars, run_tool)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def run_script(*args):
    # CPU processes even on a GPU host (mmengine would pick GPU rank i)
    env = dict(os.environ, PYTHON=sys.executable, PORT=free_port(),
               CUDA_VISIBLE_DEVICES='')
    proc = subprocess.run(['bash', *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=HANG_TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_two_process_training_and_testing(synthetic_voc, tmp_path):
    work_dir = str(tmp_path)
    gloo = 'env_cfg.dist_cfg.backend=gloo'
    # no find_unused_parameters: DDP fails at the next step if any parameter
    # (e.g. of the self-teacher, during the warm-up) got no gradient
    options = [
        '--data-root', synthetic_voc, '--cfg-options', gloo,
        'train_cfg.max_iters=6', 'train_cfg.val_interval=6',
        'default_hooks.checkpoint.interval=3',
        'default_hooks.logger.interval=2', 'model.distill_schedule.warmup=2',
        'model.distill_schedule.rampup=2', 'train_dataloader.num_workers=1',
        # each rank draws differently, so each needs its own states
        'randomness.seed=0', 'randomness.diff_rank_seed=True',
        'randomness.deterministic=True'
    ]
    log = run_script('tools/dist_train.sh', DEMO_CONFIG, '2', '--work-dir',
                     work_dir, *options)
    assert 'Iter(train) [6/6]' in log
    assert re.search(r'Iter\(val\) .*mIoU: \d+\.\d+', log)
    assert 'launcher pytorch, distributed over 2 processes' in log
    ckpt = osp.join(work_dir, 'iter_6.pth')
    full = torch.load(ckpt, weights_only=False)
    assert not any(k.startswith('module.') for k in full['state_dict'])
    ranks = full['rng_state']['ranks']
    assert len(ranks) == 2
    assert not torch.equal(ranks[0]['torch'], ranks[1]['torch'])

    # resumed from iteration 3 (each rank restores its own states), the
    # 2-process run draws as the uninterrupted one did (losses within float
    # rounding: see test_rng_state_hook for runs with data-loader workers)
    resumed = str(tmp_path / 'resumed')
    os.makedirs(resumed)
    shutil.copy(osp.join(work_dir, 'iter_3.pth'), resumed)
    with open(osp.join(resumed, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(resumed, 'iter_3.pth'))
    log = run_script('tools/dist_train.sh', DEMO_CONFIG, '2', '--work-dir',
                     resumed, '--resume', *options)
    assert 'resumed epoch: 0, iter: 3' in log
    again = torch.load(osp.join(resumed, 'iter_6.pth'), weights_only=False)
    for a, b in zip(ranks, again['rng_state']['ranks']):
        assert torch.equal(a['torch'], b['torch'])
        assert torch.equal(a['teacher']['cpu'], b['teacher']['cpu'])
    for key in ('decode.loss_ce', 'teacher.loss_ce'):
        la, lb = logged_scalars(work_dir, key), logged_scalars(resumed, key)
        assert set(la) == {2, 4, 6} and set(lb) == {4, 6}, key
        for it in lb:
            assert lb[it] == pytest.approx(la[it], rel=1e-3), (key, it)

    log = run_script('tools/dist_test.sh', DEMO_CONFIG, ckpt, '2',
                     '--data-root', synthetic_voc, '--work-dir',
                     str(tmp_path / 'test'), '--cfg-options', gloo)
    assert re.search(r'Iter\(test\) .*mIoU: \d+\.\d+', log)
    # the checkpoint of the 2-process run loads in a single process
    log = run_tool('tools/test.py', DEMO_CONFIG, ckpt, '--data-root',
                   synthetic_voc, '--work-dir', str(tmp_path / 'single'))
    assert re.search(r'Iter\(test\) .*mIoU: \d+\.\d+', log)


def test_nccl_without_gpus_is_refused_early(synthetic_voc, tmp_path):
    if torch.cuda.is_available():
        return
    env = dict(os.environ, PYTHON=sys.executable, PORT=free_port())
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', DEMO_CONFIG, '1', '--work-dir',
         str(tmp_path), '--data-root', synthetic_voc], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=HANG_TIMEOUT)
    assert proc.returncode != 0
    assert "env_cfg.dist_cfg.backend='nccl' needs GPUs" in proc.stderr
