import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from frskd_seg.engine import NonFiniteLossHook
from tests.conftest import HANG_TIMEOUT


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
    from tests.conftest import DEMO_CONFIG, run_python
    proc = run_python(
        'tools/train.py', DEMO_CONFIG, '--work-dir', str(tmp_path),
        '--data-root', synthetic_voc, '--cfg-options',
        'optim_wrapper.optimizer.lr=1e12', 'train_cfg.max_iters=6',
        'default_hooks.checkpoint.interval=1',
        'model.distill_schedule.warmup=0', 'model.distill_schedule.rampup=0')
    assert proc.returncode != 0
    assert 'FloatingPointError: non-finite loss term' in proc.stderr
    assert "'decode.loss_ce' = nan" in proc.stderr
    assert 'at iteration 2' in proc.stderr
    assert 'iter_1.pth, was written before it' in proc.stderr
    assert (tmp_path / 'iter_1.pth').is_file()
    assert not (tmp_path / 'iter_2.pth').exists()


def _rank_process(rank, world, port, results):
    import torch.distributed as torch_dist
    torch_dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:'
                                  f'{port}', rank=rank, world_size=world)
    try:
        bad = math.nan if rank == 1 else 0.5
        NonFiniteLossHook().after_train_iter(
            fake_runner(4, 'work/iter_4.pth'), 0, None,
            {'decode.loss_ce': torch.tensor(bad)})
        results.put((rank, 'went on'))
    except FloatingPointError as error:
        results.put((rank, str(error)))
    finally:
        torch_dist.destroy_process_group()


def test_a_nan_on_one_rank_stops_every_rank():
    import socket

    import torch.multiprocessing as mp
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    ctx = mp.get_context('spawn')
    results = ctx.Queue()
    procs = [ctx.Process(target=_rank_process, args=(r, 2, port, results))
             for r in range(2)]
    for p in procs:
        p.start()
    messages = dict(results.get(timeout=HANG_TIMEOUT) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert "'decode.loss_ce' = nan at iteration 5 on rank(s) [1]" \
        in messages[1]
    assert messages[0].startswith(
        'a non-finite loss term on another rank at iteration 5 on rank(s) '
        '[1]: training stopped')
