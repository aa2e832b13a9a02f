"""FRSKD runs are paired with their baseline twin: with the same seed, the
student starts from the twin's exact weights and trains on the same
batches (the self-teacher draws from a random stream of its own)."""
import copy

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from frskd_seg.apis.export_student import baseline_twin_config
from tests.conftest import DEMO_CONFIG, build_model, load_config

ITERS = 3


class _Recorder(Hook):
    """Student weights after init_weights; each batch's images and inputs."""

    def __init__(self):
        self.initial = None
        self.batches = []

    def before_train(self, runner):
        model = runner.model
        self.initial = {k: v.clone() for k, v in model.state_dict().items()}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.batches.append(
            ([s.img_path for s in data_batch['data_samples']],
             [(tuple(x.shape), x.float().sum().item())
              for x in data_batch['inputs']]))


def _train(cfg, work_dir):
    recorder = _Recorder()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(recorder)
    runner.train()
    final = {k: v.clone() for k, v in runner.model.state_dict().items()}
    return recorder, final


def _train_both_arms(cfg, tmp_path_factory):
    """``{'frskd': (recorder, final state), 'twin': ...}``: ``cfg`` and its
    baseline twin trained."""
    runs = {}
    # on the CPU on a GPU host too: bit-for-bit claims, and CUDA's
    # upsampling backward is not deterministic
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch.cuda, 'is_available', lambda: False)
        for arm, arm_cfg in (('frskd', cfg),
                             ('twin', baseline_twin_config(cfg))):
            arm_cfg = copy.deepcopy(arm_cfg)
            arm_cfg.work_dir = str(tmp_path_factory.mktemp(arm))
            runs[arm] = _train(arm_cfg, arm_cfg.work_dir)
    return runs


@pytest.fixture(scope='module')
def paired_runs(synthetic_voc, tmp_path_factory):
    cfg = load_config(DEMO_CONFIG)
    from frskd_seg.cli.config_utils import set_data_root
    set_data_root(cfg, synthetic_voc)
    cfg.train_dataloader.batch_size = 2
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].pop('persistent_workers', None)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=ITERS,
                         val_interval=100)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=100, save_last=False)
    cfg.default_hooks.logger.interval = 1
    # the self-teacher's CE detached and distillation after the warm-up:
    # the student trains exactly as its twin
    cfg.model.teacher_grad_scale = 0.0
    cfg.model.distill_schedule = dict(type='DistillSchedule', warmup=100)
    cfg.randomness = dict(seed=7)
    return _train_both_arms(cfg, tmp_path_factory)


def test_student_starts_from_the_twins_weights(paired_runs):
    frskd, twin = paired_runs['frskd'][0].initial, paired_runs['twin'][0]
    twin = twin.initial
    assert set(twin) <= set(frskd)
    assert any(k.startswith('self_teacher.') for k in frskd)
    for key, value in twin.items():
        assert torch.equal(frskd[key], value), key


def test_same_batches_in_the_same_order(paired_runs):
    frskd, twin = paired_runs['frskd'][0], paired_runs['twin'][0]
    assert len(frskd.batches) == len(twin.batches) == ITERS
    assert frskd.batches == twin.batches


def test_detached_warm_up_trains_the_student_exactly_as_the_twin(
        paired_runs):
    frskd, twin = paired_runs['frskd'][1], paired_runs['twin'][1]
    changed = [k for k in twin if not torch.equal(
        twin[k], paired_runs['twin'][0].initial[k])]
    assert changed  # it did train
    for key, value in twin.items():
        assert torch.equal(frskd[key], value), key


def test_building_the_self_teacher_draws_nothing_from_the_global_stream(
        tiny_frskd_cfg, tiny_baseline_cfg):
    torch.manual_seed(0)
    model = build_model(tiny_frskd_cfg)
    model.init_weights()
    after_frskd = torch.get_rng_state()
    torch.manual_seed(0)
    twin = build_model(tiny_baseline_cfg)
    twin.init_weights()
    assert torch.equal(after_frskd, torch.get_rng_state())
    theirs = twin.state_dict()
    for key, value in model.student_state_dict().items():
        assert torch.equal(value, theirs[key]), key
