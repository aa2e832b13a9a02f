import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from frskd_seg.engine import NonFiniteLossHook


def fake_runner(iteration, last_ckpt=None):
    hub = MessageHub(f'nonfinite-{iteration}-{last_ckpt}')
    if last_ckpt:
        hub.update_info('last_ckpt', last_ckpt)
    return SimpleNamespace(iter=iteration, message_hub=hub)


@pytest.mark.parametrize('bad', [math.nan, math.inf, -math.inf])
def test_names_the_term_and_the_iteration(bad):
    outputs = {'decode.loss_ce': torch.tensor(0.5),
               'distill.loss_at': torch.tensor(bad),
               'decode.acc_seg': torch.tensor(10.)}
    with pytest.raises(FloatingPointError,
                       match=r"term 'distill.loss_at' = .* at iteration 13: "
                       r'training stopped \(the last checkpoint, '
                       r'work/iter_10.pth, was written before it\)'):
        NonFiniteLossHook().after_train_iter(
            fake_runner(12, 'work/iter_10.pth'), 0, None, outputs)


def test_finite_losses_and_non_loss_values_pass():
    NonFiniteLossHook().after_train_iter(
        fake_runner(0), 0, None, {
            'loss': torch.tensor(1.0),
            'distill.weight': torch.tensor(math.nan)  # not a loss term
        })


def test_runs_before_the_checkpoint_hook():
    from mmengine.hooks import CheckpointHook
    from mmengine.runner.priority import get_priority
    assert get_priority(NonFiniteLossHook.priority) < get_priority(
        CheckpointHook.priority)


def test_training_stops_and_keeps_the_last_good_checkpoint(synthetic_voc,
                                                           tmp_path):
    """A learning rate of 1e12 makes the losses NaN at the second step."""
    import subprocess
    import sys
    from tests.conftest import DEMO_CONFIG, REPO
    proc = subprocess.run([
        sys.executable, 'tools/train.py', DEMO_CONFIG, '--work-dir',
        str(tmp_path), '--data-root', synthetic_voc, '--cfg-options',
        'optim_wrapper.optimizer.lr=1e12', 'train_cfg.max_iters=6',
        'default_hooks.checkpoint.interval=1',
        'model.distill_warmup_iters=0', 'model.distill_rampup_iters=0'
    ], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert 'FloatingPointError: non-finite loss term' in proc.stderr
    assert "'decode.loss_ce' = nan" in proc.stderr
    assert 'at iteration 2' in proc.stderr
    assert 'iter_1.pth, was written before it' in proc.stderr
    assert (tmp_path / 'iter_1.pth').is_file()
    assert not (tmp_path / 'iter_2.pth').exists()
