"""tools/train.py with an EpochBasedTrainLoop (the paper's schedule is in
epochs): the distillation schedule in epochs, validation and checkpoints per
epoch, and --resume from an epoch checkpoint continuing bit for bit."""
import math
import os.path as osp
import re

import torch

from tests.conftest import DEMO_CONFIG, HANG_TIMEOUT, run_tool

#: the demo config as an epoch-based run: 16 training images, batch 8
EPOCH_CONFIG = f'''_base_ = {DEMO_CONFIG!r}
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=3,
                 val_interval=1)
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
# end given: mmengine would take the first run's max_epochs (1, below) as
# the end and keep it on resuming
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[2],
                        end=3)]
model = dict(distill_schedule=dict(type='DistillSchedule', warmup=1,
                                   rampup=2, by_epoch=True))
default_hooks = dict(logger=dict(interval=1, log_metric_by_epoch=True),
                     checkpoint=dict(by_epoch=True, interval=1))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0, deterministic=True)
'''


def train(config, work_dir, data_root, *options, resume=False):
    return run_tool('tools/train.py', config, '--work-dir', work_dir,
                    '--data-root', data_root,
                    *(['--resume'] if resume else []),
                    *(['--cfg-options', *options] if options else []))


def distill_weights(log):
    """{(epoch, step): distillation weight} from a training log."""
    return {(int(e), int(i)): float(w) for e, i, w in re.findall(
        r'Epoch\(train\) \[(\d+)\]\[\s*(\d+)/\d+\].*?distill\.weight: '
        r'([\d.]+)', log)}


def test_epoch_schedule_and_exact_resume(synthetic_voc, tmp_path):
    config = tmp_path / 'frskd_demo_epochs.py'
    config.write_text(EPOCH_CONFIG)
    full, parts = str(tmp_path / 'full'), str(tmp_path / 'parts')
    log = train(config, full, synthetic_voc)
    # validation of the student and the self-teacher after every epoch
    assert log.count('Epoch(val) [') >= 3 and 'teacher/mIoU' in log
    weights = distill_weights(log)
    assert len(weights) == 6  # 3 epochs of 2 steps (16 images, batch 8)
    # per epoch, as the official script: 0 (warm-up), exp(-5 (1 - 1/2)^2),
    # then 1
    assert {e: w for (e, _), w in weights.items()} == {
        1: 0.0, 2: round(math.exp(-1.25), 4), 3: 1.0}

    train(config, parts, synthetic_voc, 'train_cfg.max_epochs=1')
    log = train(config, parts, synthetic_voc, resume=True)
    assert 'resumed epoch: 1, iter: 2' in log
    assert distill_weights(log) == {
        k: w for k, w in weights.items() if k[0] > 1}
    a, b = (torch.load(osp.join(d, 'epoch_3.pth'), weights_only=False)
            for d in (full, parts))
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    assert a['param_schedulers'] == b['param_schedulers']


def test_sigterm_stops_at_the_end_of_the_epoch(synthetic_voc, tmp_path):
    """Pre-emption under an epoch loop: the epoch in progress ends, its
    checkpoint is written, and --resume goes on from it."""
    import os
    import signal
    import subprocess
    import sys
    from tests.conftest import REPO
    config = tmp_path / 'frskd_demo_epochs.py'
    config.write_text(EPOCH_CONFIG)
    work_dir = str(tmp_path / 'run')
    proc = subprocess.Popen(
        [sys.executable, 'tools/train.py', str(config), '--work-dir',
         work_dir, '--data-root', synthetic_voc], cwd=REPO, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES='', PYTHONUNBUFFERED='1'))
    log = []
    for line in proc.stdout:
        log.append(line)
        if 'Epoch(train) [1][1/2]' in line:
            proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=HANG_TIMEOUT)
    log = ''.join(log)
    assert proc.returncode == 128 + signal.SIGTERM, log[-3000:]
    assert 'training stops at the end of this epoch' in log
    assert re.search(r'training stopped by SIGTERM after epoch 1; '
                     r'checkpoint: \S+epoch_1\.pth', log), log[-3000:]
    assert 'Epoch(train) [2]' not in log
    log = train(config, work_dir, synthetic_voc, resume=True)
    assert 'resumed epoch: 1' in log and 'Epoch(train) [3][2/2]' in log
