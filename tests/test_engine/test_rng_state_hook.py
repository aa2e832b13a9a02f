"""--resume continues bit for bit like an uninterrupted run (RNGStateHook)."""
import glob
import json
import os.path as osp

import pytest
import torch

from frskd_seg.engine import RNGStateHook
from tests.conftest import DEMO_CONFIG, run_tool


def options(max_iters, workers):
    return [
        f'train_cfg.max_iters={max_iters}', 'train_cfg.val_interval=100',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'randomness.seed=0',
        'randomness.deterministic=True', 'model.distill_warmup_iters=3',
        'model.distill_rampup_iters=4',
        f'train_dataloader.num_workers={workers}',
        f'train_dataloader.persistent_workers={workers > 0}'
    ]


def train(work_dir, data_root, max_iters, workers, resume=False):
    return run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', work_dir,
                    '--data-root', data_root, *(['--resume'] if resume else
                                                []), '--cfg-options',
                    *options(max_iters, workers))


def distill_weights(work_dir):
    weights = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                          'scalars.json'))):
        for line in open(path):
            record = json.loads(line)
            if 'distill.weight' in record:
                weights[record['iter']] = record['distill.weight']
    return weights


@pytest.mark.parametrize('workers', [0, 2])
def test_resumed_run_equals_uninterrupted_run(synthetic_voc, tmp_path,
                                              workers):
    full, parts = str(tmp_path / 'full'), str(tmp_path / 'parts')
    train(full, synthetic_voc, 8, workers)
    train(parts, synthetic_voc, 2, workers)  # stops mid-warm-up (3)
    log = train(parts, synthetic_voc, 4, workers, resume=True)
    assert 'resumed epoch: 0, iter: 2' in log
    log = train(parts, synthetic_voc, 8, workers, resume=True)  # mid-ramp
    assert 'resumed epoch: 0, iter: 4' in log

    a = torch.load(osp.join(full, 'iter_8.pth'), weights_only=False)
    b = torch.load(osp.join(parts, 'iter_8.pth'), weights_only=False)
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    for key, state in a['optimizer']['state'].items():
        assert torch.equal(state['momentum_buffer'],
                           b['optimizer']['state'][key]['momentum_buffer'])
    assert a['param_schedulers'] == b['param_schedulers']
    assert [g['lr'] for g in a['optimizer']['param_groups']] == [
        g['lr'] for g in b['optimizer']['param_groups']
    ]
    assert torch.equal(a['rng_state']['torch'], b['rng_state']['torch'])
    # distillation weights (logged at 1-based iterations): 0 during the
    # warm-up of 3 iterations, then the same ramp over 4
    wa, wb = distill_weights(full), distill_weights(parts)
    assert wa == wb
    assert [wa[i] for i in (1, 2, 3)] == [0.0, 0.0, 0.0]
    assert 0 < wa[4] < wa[5] < wa[6] < wa[7] < wa[8] == 1.0


def test_capture_restore_round_trip():
    state = RNGStateHook.capture()
    first = torch.rand(3)
    RNGStateHook.restore(state)
    assert torch.equal(torch.rand(3), first)
