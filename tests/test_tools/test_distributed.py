"""tools/dist_train.sh and tools/dist_test.sh: two CPU processes (gloo)."""
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import torch

from tests.conftest import DEMO_CONFIG, REPO, run_tool


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def run_script(*args):
    env = dict(os.environ, PYTHON=sys.executable, PORT=free_port())
    proc = subprocess.run(['bash', *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_two_process_training_and_testing(synthetic_voc, tmp_path):
    work_dir = str(tmp_path)
    gloo = 'env_cfg.dist_cfg.backend=gloo'
    # no find_unused_parameters: DDP fails at the next step if any parameter
    # (e.g. of the self-teacher, during the warm-up) got no gradient
    log = run_script(
        'tools/dist_train.sh', DEMO_CONFIG, '2', '--work-dir', work_dir,
        '--data-root', synthetic_voc, '--cfg-options', gloo,
        'train_cfg.max_iters=6', 'train_cfg.val_interval=6',
        'default_hooks.checkpoint.interval=6',
        'default_hooks.logger.interval=2', 'model.distill_warmup_iters=2',
        'model.distill_rampup_iters=2', 'train_dataloader.num_workers=1')
    assert 'Iter(train) [6/6]' in log
    assert re.search(r'Iter\(val\) .*mIoU: \d+\.\d+', log)
    assert 'Distributed training: True' in log
    ckpt = osp.join(work_dir, 'iter_6.pth')
    state = torch.load(ckpt, weights_only=False)['state_dict']
    assert not any(k.startswith('module.') for k in state)

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
        capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "env_cfg.dist_cfg.backend='nccl' needs GPUs" in proc.stderr
