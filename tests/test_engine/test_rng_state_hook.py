"""RNGStateHook: resumed runs draw what the uninterrupted run drew (the
bit-exact resume without loader workers: test_graceful_stop_hook)."""
import os.path as osp

import pytest
import torch

from frskd_seg.engine import RNGStateHook
from tests.conftest import DEMO_CONFIG, logged_scalars as logged, run_tool


def options(max_iters, workers):
    return [
        f'train_cfg.max_iters={max_iters}', 'train_cfg.val_interval=100',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'randomness.seed=0',
        'randomness.deterministic=True', 'model.distill_schedule.warmup=3',
        'model.distill_schedule.rampup=4',
        f'train_dataloader.num_workers={workers}',
        f'train_dataloader.persistent_workers={workers > 0}'
    ]


def train(work_dir, data_root, max_iters, workers, resume=False):
    # on the CPU even where CUDA is present: deterministic algorithms (the
    # bit-for-bit claim) are refused by CUDA's bilinear/pooling backward
    return run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', work_dir,
                    '--data-root', data_root, *(['--resume'] if resume else
                                                []), '--cfg-options',
                    *options(max_iters, workers))


def test_resume_with_loader_workers_draws_the_same_batches(
        synthetic_voc, tmp_path):
    """Resuming with 2 data-loader workers: the same batches and random
    draws as the uninterrupted run. (Without workers the resumed run is
    bit-exact: test_graceful_stop_hook checks weights, optimizer, schedulers,
    random streams and the distillation schedule.)"""
    full, parts = str(tmp_path / 'full'), str(tmp_path / 'parts')
    train(full, synthetic_voc, 8, workers=2)
    # stops after the warm-up (3 iterations) and one ramp-up iteration
    train(parts, synthetic_voc, 4, workers=2)
    log = train(parts, synthetic_voc, 8, workers=2, resume=True)
    assert 'resumed epoch: 0, iter: 4' in log

    # Same batches and draws, but on a busy CPU the weights of a resumed run
    # with workers were seen to drift at float-rounding level (3e-8 after
    # two iterations, chaotically amplified). A wrong batch or dropout mask
    # after resuming moves these losses by far more.
    for key in ('loss', 'decode.loss_ce', 'aux.loss_ce', 'teacher.loss_ce'):
        la, lb = logged(full, key), logged(parts, key)
        assert la.keys() == lb.keys() == set(range(1, 9)), key
        for it in la:
            assert lb[it] == pytest.approx(la[it], rel=1e-3), (key, it)
    a = torch.load(osp.join(full, 'iter_8.pth'), weights_only=False)
    b = torch.load(osp.join(parts, 'iter_8.pth'), weights_only=False)
    assert a['param_schedulers'] == b['param_schedulers']
    x, y = a['rng_state']['ranks'][0], b['rng_state']['ranks'][0]
    assert torch.equal(x['torch'], y['torch'])
    assert torch.equal(x['teacher']['cpu'], y['teacher']['cpu'])
    assert logged(full, 'distill.weight') == logged(parts, 'distill.weight')


def test_capture_restore_round_trip():
    state = RNGStateHook.capture()
    first = torch.rand(3)
    RNGStateHook.restore(state)
    assert torch.equal(torch.rand(3), first)


class _OnDevice(torch.Tensor):
    """Stands in for a generator state that mmengine's resume loaded onto a
    GPU (map_location = the current device): only ``.cpu()`` gives the
    plain CPU byte tensor torch's set_rng_state functions accept."""

    def cpu(self, *args, **kwargs):
        return self.as_subclass(torch.Tensor).clone()


def _refuse_device_tensors(setter):

    def checked(state, *args):
        assert type(state) is torch.Tensor, \
            'set_rng_state got a state that is not on the CPU'
        return setter(state, *args)

    return checked


def test_restore_accepts_states_loaded_onto_a_device(monkeypatch):
    state = RNGStateHook.capture()
    first = torch.rand(3)
    loaded = dict(state, torch=state['torch'].as_subclass(_OnDevice))
    monkeypatch.setattr(torch, 'set_rng_state',
                        _refuse_device_tensors(torch.set_rng_state))
    RNGStateHook.restore(loaded)
    assert torch.equal(torch.rand(3), first)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_restore_from_a_checkpoint_loaded_onto_cuda(tmp_path):
    torch.cuda.init()
    state = RNGStateHook.capture()
    assert 'cuda' in state
    first = (torch.rand(3), torch.rand(3, device='cuda'))
    path = tmp_path / 'state.pth'
    torch.save(state, path)
    loaded = torch.load(path, map_location='cuda', weights_only=False)
    RNGStateHook.restore(loaded)
    assert torch.equal(torch.rand(3), first[0])
    assert torch.equal(torch.rand(3, device='cuda'), first[1])


def test_private_streams_are_saved_and_restored():
    """The self-teacher's stream travels in the checkpoint's states and
    comes back on resuming."""
    from types import SimpleNamespace

    from frskd_seg.utils.private_rng import PrivateRNG
    model = SimpleNamespace(teacher_rng=PrivateRNG(1))
    runner = SimpleNamespace(model=model)
    hook = RNGStateHook()
    state = hook._process_state(runner)
    with model.teacher_rng:
        first = torch.rand(3)
    hook._restore_private_state(runner, state)
    with model.teacher_rng:
        assert torch.equal(torch.rand(3), first)
    assert 'teacher' in state
