"""configs/paper/: the authors' segmentation model and schedule, its twin
and the BiFPNc variant -- official parameter counts, a CPU training step,
predictions equal to the twin's, the epoch schedule, the export."""
import logging
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm

from frskd_seg.apis import export_student
from frskd_seg.models.losses import model_distill_schedule
from mmseg.models.segmentors import EncoderDecoder
from tests.conftest import REPO, build_model, load_config, make_batch
from tests.test_models.test_decode_heads.test_efficientdet_seg_head import \
    OFFICIAL_CLASSIFIER
from tests.test_models.test_necks.test_efficientdet_seg_neck import (
    OFFICIAL_DECODER, OFFICIAL_UNUSED)

pytest.importorskip('mmdet', reason='OpenMMLab EfficientNet: mmdet')

PAPER = osp.join(REPO, 'configs', 'paper')
FRSKD = osp.join(PAPER, 'frskd_effdet-d0_voc0712-512x512.py')
TWIN = osp.join(PAPER, 'effdet-d0_voc0712-512x512.py')
BIFPNC = osp.join(PAPER, 'frskd-bifpnc_effdet-d0_voc0712-512x512.py')
#: EfficientNet-B0's 5,288,548 parameters minus conv_head, bn1 and fc (the
#: official model keeps the stem and the 16 blocks)
OFFICIAL_BACKBONE = 5_288_548 - 409_600 - 2_560 - 1_281_000
#: the official self-teacher BiFPN2 = [BiFPNSeg(64), BiFPNSeg(64, True)]
OFFICIAL_SELF_TEACHER = (11 + 6) * 4 * 64


def build(path):
    cfg = load_config(path).model
    cfg.backbone.efficientnet.init_cfg = None  # no download
    return revert_sync_batchnorm(build_model(cfg))


def count(module):
    return sum(p.numel() for p in module.parameters())


def test_parameter_counts_are_the_official_model_s():
    model, twin = build(FRSKD), build(TWIN)
    assert count(model.backbone) == OFFICIAL_BACKBONE == 3_595_388
    assert count(model.neck) == sum(OFFICIAL_DECODER.values())
    assert count(model.decode_head) == OFFICIAL_CLASSIFIER
    assert count(model.self_teacher) == OFFICIAL_SELF_TEACHER
    assert count(model.teacher_head) == OFFICIAL_CLASSIFIER  # classifier2
    official = (OFFICIAL_BACKBONE + sum(OFFICIAL_DECODER.values()) +
                sum(OFFICIAL_UNUSED.values()) + 2 * OFFICIAL_CLASSIFIER +
                OFFICIAL_SELF_TEACHER)
    assert official == 4_327_590
    # all of it but the two smoothing convs the official forward never calls
    assert count(model) == official - sum(OFFICIAL_UNUSED.values())
    assert count(twin) == count(model) - OFFICIAL_SELF_TEACHER - \
        OFFICIAL_CLASSIFIER == 4_052_497
    assert count(build(BIFPNC).self_teacher) > OFFICIAL_SELF_TEACHER


def test_frskd_config_differs_from_its_twin_only_in_frskd():
    from frskd_seg.apis.export_student import FRSKD_MODEL_KEYS
    frskd, twin = load_config(FRSKD), load_config(TWIN)
    keys = {'type', *FRSKD_MODEL_KEYS}
    assert {k: v for k, v in frskd.model.items() if k not in keys} == {
        k: v for k, v in twin.model.items() if k != 'type'}
    for key in ('train_dataloader', 'val_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg', 'default_hooks',
                'custom_hooks'):
        assert frskd[key] == twin[key], key


def test_the_official_schedule():
    cfg = load_config(FRSKD)
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop'
    assert cfg.train_cfg.max_epochs == 60
    assert cfg.train_dataloader.batch_size * 4 == 32  # 4 GPUs x 8
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4)
    assert cfg.optim_wrapper.clip_grad == dict(type='value', clip_value=2.0)
    [step] = cfg.param_scheduler
    assert (step.type, step.milestones, step.gamma, step.by_epoch) == (
        'MultiStepLR', [40], 0.1, True)
    m = cfg.model
    assert m.distill_schedule == dict(type='DistillSchedule', warmup=40,
                                      rampup=20, by_epoch=True)
    assert m.loss_kd.tau == 1.0 and m.loss_kd.loss_weight == 1.0
    assert m.loss_feat.loss_weight == 50.0 and m.teacher_grad_scale == 1.0
    assert m.self_teacher_input == 'neck'


@pytest.mark.parametrize('path', [FRSKD, BIFPNC], ids=osp.basename)
def test_train_step_and_prediction_equal_to_the_twin(path, message_hub):
    torch.manual_seed(0)
    model = build(path)
    inputs, samples = make_batch(batch_size=2, size=96)
    message_hub.update_info('max_epochs', 60)
    message_hub.update_info('epoch', 45)
    losses = model.loss(inputs, samples)
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg',
                           'teacher.loss_ce', 'teacher.acc_seg',
                           'distill.loss_kd', 'distill.loss_at',
                           'distill.weight'}
    # epoch 45 of the official per-epoch ramp: exp(-5 (1 - 6/20)^2)
    assert losses['distill.weight'].item() == pytest.approx(
        torch.exp(torch.tensor(-5 * 0.7**2)).item())
    loss, _ = model.parse_losses(losses)
    loss.backward()
    assert torch.isfinite(loss)
    for part in ('backbone', 'neck', 'decode_head', 'self_teacher',
                 'teacher_head'):
        params = [p for p in getattr(model, part).parameters()
                  if p.requires_grad]
        assert params and all(p.grad is not None for p in params), part
    if path == FRSKD:
        # every node of the official self-teacher is on the way to its P2
        # head (the last layer's top-down pass reads all six levels)
        assert all(p.requires_grad for p in model.self_teacher.parameters())

    model.eval()
    twin = build(TWIN).eval()
    assert type(twin) is EncoderDecoder
    twin.load_state_dict(model.student_state_dict(), strict=True)
    x, test_samples = make_batch(batch_size=1, size=97, seed=5)
    with torch.no_grad():
        ours = model.predict(x, test_samples)[0].seg_logits.data
        theirs = twin.predict(x, make_batch(1, 97, seed=5)[1])[0]
    assert ours.shape[-2:] == (97, 97)
    assert torch.equal(ours, theirs.seg_logits.data)


def test_epoch_schedule_needs_an_epoch_loop(message_hub, monkeypatch):
    from frskd_seg.cli.config_utils import check_distill_schedule
    cfg = load_config(FRSKD)
    check_distill_schedule(cfg)  # the config as shipped
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=6250)
    with pytest.raises(ValueError, match=r"schedule in epochs \("
                       r"DistillSchedule\(warmup=40, rampup=20, by_epoch="
                       r"True\)\) but trains in 'IterBasedTrainLoop'"):
        check_distill_schedule(cfg)
    # at run time (any Runner: mmseg's tools/train.py too) an iteration
    # loop -- one epoch in the MessageHub -- is warned about at the first
    # step, and a loop shorter than the schedule too
    from frskd_seg.models.losses import distill_schedule
    logged = []
    monkeypatch.setattr(distill_schedule, 'print_log',
                        lambda msg, **kwargs: logged.append((msg, kwargs)))
    model = build(FRSKD)
    message_hub.update_info('max_epochs', 1)
    for _ in range(2):
        assert model.distill_schedule.current() == 0.0
    [(msg, kwargs)] = [x for x in logged if 'distillation schedule' in x[0]]
    assert msg.startswith('the distillation schedule (warm-up 40 + ramp-up '
                          '20 epochs) ends after the training loop (1 '
                          'epochs), so this run never distils')
    model = build(FRSKD)
    model.distill_schedule = distill_schedule.DistillSchedule(
        2 / 3, 1 / 3, by_epoch=True)
    model.distill_schedule.current()
    assert any('trains in a loop of one epoch' in m for m, _ in logged)
    assert kwargs['level'] == logging.WARNING


def test_export_round_trip(tmp_path):
    torch.manual_seed(0)
    model = build(FRSKD).eval()
    ckpt = tmp_path / 'epoch_60.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=60)),
               ckpt)
    cfg_path, ckpt_path = export_student(FRSKD, str(ckpt),
                                         str(tmp_path / 'out'))
    cfg = Config.fromfile(cfg_path)
    assert cfg.model.type == 'EncoderDecoder'
    # the student is built from frskd_seg's modules: imports them, nothing
    # else of frskd_seg; no ImageNet weights to fetch (the export has all)
    assert cfg.custom_imports.imports == ['frskd_seg.models']
    assert 'init_cfg' not in cfg.model.backbone.efficientnet
    assert 'self_teacher' not in cfg.model
    student = revert_sync_batchnorm(build_model(cfg.model)).eval()
    student.load_state_dict(
        torch.load(ckpt_path, weights_only=True)['state_dict'], strict=True)
    x, samples = make_batch(batch_size=1, size=64, seed=3)
    with torch.no_grad():
        a = model.predict(x, samples)[0].seg_logits.data
        b = student.predict(x, make_batch(1, 64, seed=3)[1])[0]
    assert torch.equal(a, b.seg_logits.data)


def test_cpu_demo_of_the_paper_model_is_the_paper_model():
    """configs/demo/frskd_effdet-d0_voc_demo.py: the paper's model tensor
    for tensor (plain BN, no download), an iteration loop the gain study
    can pair, the distillation schedule as fractions of it."""
    cfg = load_config(
        osp.join(REPO, 'configs', 'demo', 'frskd_effdet-d0_voc_demo.py'))
    assert cfg.model.backbone.efficientnet.init_cfg is None
    from frskd_seg.cli.weights import remote_weights
    assert remote_weights(cfg) == []
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert model_distill_schedule(cfg.model).lengths(2000) == (1333, 667)
    demo = build_model(cfg.model)
    paper = build(FRSKD)
    assert {k: v.shape for k, v in demo.state_dict().items()} == {
        k: v.shape for k, v in paper.state_dict().items()}
    assert demo.teacher_grad_scale == 1.0
    from frskd_seg.apis.export_student import baseline_twin_config
    assert baseline_twin_config(cfg).model.type == 'EncoderDecoder'
