"""model.unlabeled: the recipe's terms on the batch's images without masks,
no CE; nothing at all during the warm-up; a mean-teacher control."""
import copy
from contextlib import nullcontext

import pytest
import torch
import torch.nn.functional as F

from frskd_seg.models.segmentors import unlabeled_distillation
from frskd_seg.models.segmentors.unlabeled_distillation import (
    cutmix_boxes, mix, split_unlabeled)
from frskd_seg.utils.errors import ConfigError
from tests.conftest import build_model, make_batch


def _mixed_batch(labeled=2, unlabeled=2, size=64):
    inputs, samples = make_batch(labeled + unlabeled, size)
    for sample in samples[labeled:]:
        del sample.gt_sem_seg
    return inputs, samples


def _model(cfg, seed=0, **unlabeled):
    cfg = copy.deepcopy(cfg)
    cfg.unlabeled = dict(type='UnlabeledDistillation', **unlabeled)
    torch.manual_seed(seed)
    model = build_model(cfg)
    model.init_weights()
    return model


def test_split_unlabeled():
    inputs, samples = _mixed_batch(3, 2)
    lab_inputs, lab_samples, images = split_unlabeled(
        inputs, samples, torch.nn.Identity())
    assert torch.equal(lab_inputs, inputs[:3])
    assert lab_samples == samples[:3]
    assert torch.equal(images, inputs[3:])
    labeled = make_batch(2)
    assert split_unlabeled(*labeled)[2] is None
    assert split_unlabeled(*labeled)[0] is labeled[0]


def test_warm_up_trains_the_student_as_without_the_pool(tiny_decoder_cfg):
    tiny_decoder_cfg.distill_schedule = dict(type='DistillSchedule',
                                             warmup=0.5)
    inputs, samples = _mixed_batch()
    with_pool = _model(tiny_decoder_cfg)
    torch.manual_seed(0)
    plain_cfg = copy.deepcopy(tiny_decoder_cfg)
    without = build_model(plain_cfg)
    without.init_weights()
    torch.manual_seed(1)  # the same dropout masks in both
    losses = with_pool.loss(inputs, samples)
    torch.manual_seed(1)
    reference = without.loss(inputs[:2], samples[:2])
    for key, value in reference.items():
        assert torch.equal(losses[key], value), key
    assert losses['unlabeled.loss_kd'] == 0
    assert losses['unlabeled.loss_at'] == 0
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    sum(v for k, v in reference.items() if 'loss' in k).backward()
    theirs = dict(without.named_parameters())
    for name, param in with_pool.named_parameters():
        if name in theirs and param.grad is not None:
            assert torch.equal(param.grad, theirs[name].grad), name


@pytest.mark.parametrize('unlabeled', [
    dict(), dict(strong_view='cutmix'), dict(teacher='ema', feat=False)])
def test_the_pools_draws_come_from_a_stream_of_their_own(
        tiny_decoder_cfg, unlabeled):
    """After distillation starts, the pool's forwards (dropout in the
    student's and the self-teacher's heads) and CutMix boxes draw from the
    pool's stream: the labeled step draws, from the global and the
    self-teacher's streams, what it draws without the pool."""
    tiny_decoder_cfg.decode_head.dropout_ratio = 0.5
    inputs, samples = _mixed_batch()
    with_pool = _model(tiny_decoder_cfg, **unlabeled)
    torch.manual_seed(0)
    without = build_model(copy.deepcopy(tiny_decoder_cfg))
    without.init_weights()
    pool_stream = with_pool.unlabeled.rng.state_dict()['cpu']
    torch.manual_seed(1)
    losses = with_pool.loss(inputs, samples)
    after = torch.get_rng_state(), with_pool.teacher_rng.state_dict()['cpu']
    torch.manual_seed(1)
    reference = without.loss(inputs[:2], samples[:2])
    assert torch.equal(after[0], torch.get_rng_state())
    assert torch.equal(after[1], without.teacher_rng.state_dict()['cpu'])
    assert losses['unlabeled.loss_kd'] > 0
    assert not torch.equal(with_pool.unlabeled.rng.state_dict()['cpu'],
                           pool_stream)  # it drew: dropout is on
    for key, value in reference.items():
        assert torch.equal(losses[key], value), key


def _reference_kl(zs, zt, size, weight, min_confidence=None):
    zs = F.interpolate(zs, size=size, mode='bilinear', align_corners=False)
    zt = F.interpolate(zt, size=size, mode='bilinear', align_corners=False)
    pt = zt.softmax(1)
    kl = (pt * (pt.log() - zs.log_softmax(1))).sum(1)
    if min_confidence is not None:
        kl = kl * (pt.max(1).values >= min_confidence)
    return weight * kl.mean()


def _targets(model, images):
    with torch.no_grad():
        zs, reads = model.student_forward(model.extract_feat(images))
        zt, refined = model.teacher_forward(reads)
    return zs, reads, zt, refined


@pytest.mark.parametrize('masked', [False, True])
def test_unlabeled_terms_are_the_recipes_on_those_images(
        tiny_decoder_cfg, masked):
    inputs, samples = _mixed_batch()
    images = inputs[2:]
    min_confidence = None
    if masked:  # a threshold that keeps about half the pixels
        zt = _targets(_model(tiny_decoder_cfg).eval(), images)[2]
        up = F.interpolate(zt, size=images.shape[2:], mode='bilinear')
        min_confidence = up.softmax(1).max(1).values.median().item()
    model = _model(tiny_decoder_cfg, loss_weight=0.5,
                   min_confidence=min_confidence).eval()
    losses = model.loss(inputs, samples)
    zs, reads, zt, refined = _targets(model, images)
    expected = _reference_kl(zs, zt, images.shape[2:], 0.5, min_confidence)
    assert losses['unlabeled.loss_kd'].item() == pytest.approx(
        expected.item(), rel=1e-5)
    assert expected > 0
    at = 0.5 * model.loss_feat(list(reads), refined)
    assert losses['unlabeled.loss_at'].item() == pytest.approx(at.item(),
                                                               rel=1e-5)
    share = losses['unlabeled.confident'].item()
    assert share == (pytest.approx(0.5, abs=0.05) if masked else 1.0)
    if masked:
        unmasked = _reference_kl(zs, zt, images.shape[2:], 0.5)
        assert expected < unmasked


def test_no_ce_on_unlabeled_images(tiny_decoder_cfg):
    """The student's and the self-teacher's CE read the labeled images
    alone: the same values as on the labeled half by itself."""
    model = _model(tiny_decoder_cfg).eval()
    inputs, samples = _mixed_batch()
    losses = model.loss(inputs, samples)
    plain = copy.deepcopy(model)
    plain.unlabeled = None
    alone = plain.loss(inputs[:2], samples[:2])
    for key in ('decode.loss_ce', 'aux.loss_ce', 'teacher.loss_ce'):
        assert torch.equal(losses[key], alone[key]), key


def test_feature_term_off(tiny_decoder_cfg):
    model = _model(tiny_decoder_cfg, feat=False)
    losses = model.loss(*_mixed_batch())
    assert 'unlabeled.loss_at' not in losses
    assert losses['unlabeled.loss_kd'] > 0


def test_cutmix_student_learns_on_mixed_images(tiny_decoder_cfg):
    model = _model(tiny_decoder_cfg, strong_view='cutmix')
    losses = model.loss(*_mixed_batch(2, 3))
    assert losses['unlabeled.loss_kd'] > 0
    assert losses['unlabeled.loss_at'] > 0
    # the boxes come from the self-teacher's stream
    before = model.teacher_rng.state_dict()['cpu']
    model.loss(*_mixed_batch(2, 3))
    assert not torch.equal(model.teacher_rng.state_dict()['cpu'], before)


def test_cutmix_boxes_and_mix():
    torch.manual_seed(0)
    masks = cutmix_boxes(50, (40, 60))
    area = masks.mean((1, 2, 3))
    assert torch.allclose(area, torch.full_like(area, 0.5), atol=0.05)
    x = torch.arange(3.).view(3, 1, 1, 1).expand(3, 2, 40, 60)
    mixed = mix(x, masks[:3])
    inside = masks[:3].expand_as(x).bool()
    assert torch.equal(mixed[inside], x[inside])
    assert torch.equal(mixed[~inside], x.roll(1, 0)[~inside])
    # resized to a coarser map, nearest
    assert mix(x[:, :, :10, :15], masks[:3]).shape == (3, 2, 10, 15)


def test_mean_teacher_follows_the_student(tiny_decoder_cfg):
    model = _model(tiny_decoder_cfg, teacher='ema', feat=False,
                   ema_momentum=0.25)
    ema = model.unlabeled.ema
    assert not any(p.requires_grad for p in ema.parameters())
    # the first update copies the student's weights as the step found them
    student = {k: v.clone() for k, v in model.named_parameters()}
    model.loss(*_mixed_batch())
    averaged = dict(ema.module.named_parameters())
    for key, value in averaged.items():
        assert torch.equal(value, student[key]), key
    before = {k: v.clone() for k, v in ema.module.state_dict().items()}
    with torch.no_grad():
        for param in model.backbone.parameters():
            param.add_(1.0)
    model.loss(*_mixed_batch())
    weight = 'backbone.stem.0.weight'
    assert torch.allclose(ema.module.state_dict()[weight],
                          before[weight] + 0.25, atol=1e-6)
    assert not any(k.startswith('unlabeled.')
                   for k in model.student_state_dict())
    assert any(k.startswith('unlabeled.ema.') for k in model.state_dict())


def test_mean_teacher_leaves_the_self_teacher_as_it_was(tiny_decoder_cfg):
    plain = _model(tiny_decoder_cfg)
    control = _model(tiny_decoder_cfg, teacher='ema', feat=False)
    theirs = control.state_dict()
    for key, value in plain.state_dict().items():
        assert torch.equal(value, theirs[key]), key


def test_bad_settings_and_batches_are_refused(tiny_decoder_cfg):
    with pytest.raises(ConfigError, match="teacher='ema' .* feat=False"):
        _model(tiny_decoder_cfg, teacher='ema')
    with pytest.raises(ConfigError, match='min_confidence'):
        _model(tiny_decoder_cfg, min_confidence=1.5)
    with pytest.raises(ConfigError, match='strong_view'):
        _model(tiny_decoder_cfg, strong_view='mixup')
    model = _model(tiny_decoder_cfg)
    with pytest.raises(ConfigError, match='MultiSourceSampler'):
        model.loss(*make_batch(2))
    torch.manual_seed(0)
    plain = build_model(tiny_decoder_cfg)
    with pytest.raises(ConfigError, match='model.unlabeled is None'):
        plain.loss(*_mixed_batch())


@pytest.mark.parametrize('unlabeled', [
    dict(), dict(strong_view='cutmix'), dict(teacher='ema', feat=False)])
def test_the_running_bn_statistics_are_the_labeled_batches_alone(
        tiny_decoder_cfg, unlabeled, monkeypatch):
    """A distillation step leaves the model's every buffer (BN running
    statistics included) as the same step without the pool does, and the
    pool's terms still reach the weights; without running_stats_kept, the
    pool's forwards would move the running statistics."""
    inputs, samples = _mixed_batch()
    torch.manual_seed(0)
    without = build_model(copy.deepcopy(tiny_decoder_cfg))
    without.init_weights()
    torch.manual_seed(1)
    without.loss(inputs[:2], samples[:2])
    reference = dict(without.named_buffers())
    for kept in (True, False):
        if not kept:
            monkeypatch.setattr(unlabeled_distillation, 'running_stats_kept',
                                lambda module: nullcontext())
        model = _model(tiny_decoder_cfg, **unlabeled)
        torch.manual_seed(1)
        losses = model.loss(inputs, samples)
        buffers = {k: v for k, v in model.named_buffers()
                   if k in reference}
        assert len(buffers) == len(reference)
        equal = [torch.equal(v, reference[k]) for k, v in buffers.items()]
        assert all(equal) if kept else not all(equal)
        assert losses['unlabeled.loss_kd'] > 0
        losses['unlabeled.loss_kd'].backward()
        assert sum(p.grad.abs().sum() for p in model.backbone.parameters()
                   if p.grad is not None) > 0
