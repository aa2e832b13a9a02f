"""Ctrl-C and SIGTERM during tools/train.py: the current iteration ends, a
checkpoint is written, the message says how to resume, and --resume then
ends exactly like an uninterrupted run -- bit for bit (RNGStateHook): the
weights, the optimizer and scheduler states, the random streams and the
distillation schedule."""
import os
import os.path as osp
import re
import signal
import subprocess
import sys

import pytest
import torch

from tests.conftest import (DEMO_CONFIG, HANG_TIMEOUT, REPO,
                            logged_scalars, run_tool)

ITERS = 8


def command(work_dir, data_root, resume=False):
    return [
        sys.executable, 'tools/train.py', DEMO_CONFIG, '--work-dir',
        work_dir, '--data-root', data_root, *(['--resume'] if resume else
                                              []), '--cfg-options',
        f'train_cfg.max_iters={ITERS}', 'train_cfg.val_interval=100',
        'default_hooks.checkpoint.interval=100',
        'default_hooks.logger.interval=1', 'randomness.seed=0',
        'randomness.deterministic=True', 'model.distill_schedule.warmup=3',
        'model.distill_schedule.rampup=4', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False'
    ]


@pytest.fixture(scope='module')
def uninterrupted(synthetic_voc, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('full'))
    run_tool(*command(work_dir, synthetic_voc)[1:])
    return work_dir


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_signal_writes_a_checkpoint_and_resume_is_exact(
        synthetic_voc, tmp_path, uninterrupted, signum):
    work_dir = str(tmp_path)
    proc = subprocess.Popen(
        command(work_dir, synthetic_voc), cwd=REPO, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES='', PYTHONUNBUFFERED='1'))
    log = []
    for line in proc.stdout:
        log.append(line)
        if f'Iter(train) [2/{ITERS}]' in line:
            proc.send_signal(signum)
    proc.wait(timeout=HANG_TIMEOUT)
    log = ''.join(log)
    assert proc.returncode == 128 + signum, log[-3000:]
    name = signal.Signals(signum).name
    assert f'{name} received: training stops after this iteration' in log
    found = re.search(rf'training stopped by {name} after iteration (\d+); '
                      r'checkpoint: (\S+)\. Resume with the same command '
                      r'plus --resume', log)
    assert found, log[-3000:]
    stopped, ckpt = int(found.group(1)), found.group(2)
    assert 2 <= stopped < ITERS
    assert ckpt == osp.join(work_dir, f'iter_{stopped}.pth')
    assert open(osp.join(work_dir, 'last_checkpoint')).read() == ckpt
    assert 'Traceback' not in log

    log = run_tool(*command(work_dir, synthetic_voc, resume=True)[1:])
    assert f'resumed epoch: 0, iter: {stopped}' in log
    assert_resumed_like_uninterrupted(uninterrupted, work_dir)


def test_sigterm_to_the_process_group_with_loader_workers(
        synthetic_voc, tmp_path):
    """A scheduler's pre-emption signals the whole process group: the
    data-loader workers too. Training still stops with a checkpoint."""
    work_dir = str(tmp_path)
    cmd = command(work_dir, synthetic_voc)
    cmd[cmd.index('train_dataloader.num_workers=0')] = \
        'train_dataloader.num_workers=2'
    cmd[cmd.index('train_dataloader.persistent_workers=False')] = \
        'train_dataloader.persistent_workers=True'
    proc = subprocess.Popen(
        cmd, cwd=REPO, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES='', PYTHONUNBUFFERED='1'))
    log = []
    for line in proc.stdout:
        log.append(line)
        if f'Iter(train) [2/{ITERS}]' in line:
            os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=HANG_TIMEOUT)
    log = ''.join(log)
    assert proc.returncode == 128 + signal.SIGTERM, log[-3000:]
    assert 'killed by signal' not in log and 'Traceback' not in log
    found = re.search(r'training stopped by SIGTERM after iteration (\d+); '
                      r'checkpoint: (\S+)\.', log)
    assert found and osp.isfile(found.group(2)), log[-3000:]


def assert_resumed_like_uninterrupted(full_dir, resumed_dir):
    a, b = (torch.load(osp.join(d, f'iter_{ITERS}.pth'), weights_only=False)
            for d in (full_dir, resumed_dir))
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    for key, state in a['optimizer']['state'].items():
        assert torch.equal(state['momentum_buffer'],
                           b['optimizer']['state'][key]['momentum_buffer'])
    assert a['param_schedulers'] == b['param_schedulers']
    assert [g['lr'] for g in a['optimizer']['param_groups']] == [
        g['lr'] for g in b['optimizer']['param_groups']
    ]
    assert len(a['rng_state']['ranks']) == 1  # one process
    x, y = a['rng_state']['ranks'][0], b['rng_state']['ranks'][0]
    assert torch.equal(x['torch'], y['torch'])
    assert torch.equal(x['teacher']['cpu'], y['teacher']['cpu'])
    # distillation weights (logged at 1-based iterations): 0 during the
    # warm-up of 3 iterations, then the same ramp over 4
    wa = logged_scalars(full_dir, 'distill.weight')
    assert wa == logged_scalars(resumed_dir, 'distill.weight')
    assert [wa[i] for i in (1, 2, 3)] == [0.0, 0.0, 0.0]
    assert 0 < wa[4] < wa[5] < wa[6] < wa[7] < wa[8] == 1.0
