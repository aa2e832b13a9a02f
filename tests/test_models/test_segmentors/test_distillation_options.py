"""The options of where and how the distillation terms apply, through the
segmentor: KL at the label's resolution and on void pixels, attention
transfer on chosen levels."""
import copy

import pytest
import torch

from frskd_seg.models.losses import AttentionTransferLoss, PixelKLDivLoss
from tests.conftest import build_model


def test_kd_and_at_options_are_the_losses_applied(tiny_frskd_cfg, batch,
                                                  message_hub):
    cfg = tiny_frskd_cfg
    cfg.loss_kd = dict(type='PixelKLDivLoss', resolution='label',
                       pixels='void')
    cfg.loss_feat = dict(type='AttentionTransferLoss', loss_weight=50.0,
                         levels=[0])
    model = build_model(cfg).eval()  # BN/dropout deterministic
    inputs, samples = batch
    label = torch.stack([s.gt_sem_seg.data for s in samples])
    assert (label == 255).any() and (label != 255).any()
    message_hub.update_info('iter', 100)
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        refined = model.self_teacher(feats)
        zs, zt = model.decode_head(feats), model.teacher_head(refined)
        kd = PixelKLDivLoss(resolution='label', pixels='void')(zs, zt, label)
        at = AttentionTransferLoss(levels=[0])(list(feats), list(refined))
        losses = model.loss(inputs, samples)
    assert losses['distill.loss_kd'].item() == pytest.approx(kd.item(),
                                                             rel=1e-5)
    assert losses['distill.loss_at'].item() == pytest.approx(
        50.0 * at.item(), rel=1e-5)
    assert kd.item() != pytest.approx(
        PixelKLDivLoss(resolution='student')(zs, zt).item(), rel=1e-3)


def test_kd_at_label_resolution_reaches_the_student_only(tiny_frskd_cfg,
                                                         batch, message_hub):
    tiny_frskd_cfg.loss_kd = dict(type='PixelKLDivLoss', resolution='label')
    model = build_model(tiny_frskd_cfg).train()
    message_hub.update_info('iter', 100)
    kd = model.loss(*batch)['distill.loss_kd']
    kd.backward()
    for name, p in model.named_parameters():
        reached = p.grad is not None and p.grad.abs().sum() > 0
        assert reached == name.startswith(('backbone.', 'decode_head.')), name


def test_at_levels_beyond_the_self_teacher_fail_at_build(tiny_frskd_cfg):
    tiny_frskd_cfg.loss_feat = dict(type='AttentionTransferLoss',
                                    levels=(0, 9))
    with pytest.raises(ValueError, match=r'loss_feat levels=\(0, 9\) but the '
                       'self-teacher refines 4 levels'):
        build_model(tiny_frskd_cfg)


# -- a second view of the batch ---------------------------------------------
from frskd_seg.models.utils import RandomZoomView  # noqa: E402


def test_zoom_view_shapes_identity_and_flip():
    x = torch.randn(3, 3, 8, 10, generator=torch.Generator().manual_seed(0))
    assert RandomZoomView()(x).shape == x.shape
    assert torch.equal(RandomZoomView((1.0, 1.0), flip_prob=0.0)(x), x)
    assert torch.equal(RandomZoomView((1.0, 1.0), flip_prob=1.0)(x),
                       x.flip(-1))
    # a half-size crop, zoomed: not the image
    assert not torch.allclose(RandomZoomView((0.5, 0.5), 0.0)(x), x)


@pytest.mark.parametrize('kwargs, match', [
    (dict(crop_range=(0.0, 1.0)), r'crop_range must be \(lo, hi\)'),
    (dict(crop_range=(0.8, 0.5)), r'crop_range must be \(lo, hi\)'),
    (dict(flip_prob=2), r'flip_prob must be in \[0, 1\], got 2')])
def test_zoom_view_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomZoomView(**kwargs)


@pytest.mark.parametrize('loss_kd, term, reaches_classifier', [
    (dict(type='PixelKLDivLoss'), 'loss_kd', True),
    # the recipe, AT alone: AT compares the maps the self-teacher reads --
    # the classifier's input D, not its logits
    (None, 'loss_at', False)])
def test_view_trains_the_student_from_its_own_stream(
        tiny_decoder_cfg, batch, message_hub, loss_kd, term,
        reaches_classifier):
    tiny_decoder_cfg.loss_kd = loss_kd
    tiny_decoder_cfg.distill_view = dict(type='RandomZoomView')
    model = build_model(tiny_decoder_cfg).train()
    plain_cfg = copy.deepcopy(tiny_decoder_cfg)
    plain_cfg.distill_view = None
    plain = build_model(plain_cfg).train()
    message_hub.update_info('iter', 100)
    torch.manual_seed(3)
    losses = model.loss(*batch)
    after_view = torch.get_rng_state()
    torch.manual_seed(3)
    plain_losses = plain.loss(*batch)
    # the view draws from the self-teacher's stream, not the run's
    assert torch.equal(after_view, torch.get_rng_state())
    view_keys = {k for k in losses if k.endswith('_view')}
    assert view_keys == ({'distill.loss_kd_view', 'distill.loss_at_view'}
                         if loss_kd else {'distill.loss_at_view'})
    assert not any(k.endswith('_view') for k in plain_losses)
    view_loss = losses[f'distill.{term}_view']
    assert view_loss.item() > 0
    view_loss.backward()
    for name, p in model.named_parameters():
        reached = p.grad is not None and p.grad.abs().sum() > 0
        student = name.startswith(('backbone.', 'decode_head.'))
        assert reached == (student and (reaches_classifier
                                        or 'conv_seg' not in name)), name
    # nothing runs during the warm-up
    tiny_decoder_cfg.distill_schedule = dict(type='DistillSchedule',
                                             warmup=1000)
    model = build_model(tiny_decoder_cfg).train()
    assert model.loss(*batch)[f'distill.{term}_view'].item() == 0


def test_an_identity_view_repeats_the_batchs_distillation_terms(
        tiny_decoder_cfg, batch, message_hub):
    """On a view that is the batch itself, each view term equals the batch's
    own term (eval mode: no dropout, BN running statistics)."""
    tiny_decoder_cfg.distill_view = dict(type='RandomZoomView',
                                         crop_range=(1.0, 1.0), flip_prob=0.0)
    model = build_model(tiny_decoder_cfg).eval()
    assert model.view_terms == ('kd', 'feat')
    message_hub.update_info('iter', 100)
    with torch.no_grad():
        losses = model.loss(*batch)
    assert losses['distill.loss_at'].item() > 0
    assert losses['distill.loss_at_view'].item() == pytest.approx(
        losses['distill.loss_at'].item(), rel=1e-5)
    # the batch's KL skips nothing here (no void pixel in the view either)
    assert losses['distill.loss_kd_view'].item() > 0


def test_view_terms_pick_the_terms(tiny_decoder_cfg, batch, message_hub):
    tiny_decoder_cfg.distill_view = dict(type='RandomZoomView')
    tiny_decoder_cfg.view_terms = ['kd']
    model = build_model(tiny_decoder_cfg).train()
    message_hub.update_info('iter', 100)
    losses = model.loss(*batch)
    assert losses['distill.loss_kd_view'].item() > 0
    assert 'distill.loss_at_view' not in losses


@pytest.mark.parametrize('changes, match', [
    (dict(view_terms=['feat']),
     r"view_terms=\['feat'\] names the terms of a second view, but "
     'distill_view is None'),
    (dict(distill_view=dict(type='RandomZoomView'), loss_kd=None,
          loss_feat=None), 'loss_kd and loss_feat are both None'),
    (dict(distill_view=dict(type='RandomZoomView'), loss_kd=None,
          view_terms=['kd']), "view_terms names 'kd', but loss_kd is None"),
    (dict(distill_view=dict(type='RandomZoomView'), view_terms=['ce']),
     r"view_terms must be a non-empty sequence of \('kd', 'feat'\), got "
     r"\['ce'\]"),
    (dict(distill_view=dict(type='RandomZoomView'), view_terms='kd'),
     'view_terms must be a non-empty sequence')])
def test_bad_view_terms_fail_at_build(tiny_decoder_cfg, changes, match):
    tiny_decoder_cfg.update(changes)
    with pytest.raises(ValueError, match=match):
        build_model(tiny_decoder_cfg)


def test_a_loss_without_type_updates_the_default(tiny_frskd_cfg):
    """``--cfg-options model.loss_kd.tau=2`` on a config that leaves the
    losses to the segmentor's defaults (was: KeyError, no "type") turns on
    the official KL, at tau 2."""
    tiny_frskd_cfg.loss_kd = dict(tau=2.0)
    tiny_frskd_cfg.loss_feat = dict(levels=[0])
    model = build_model(tiny_frskd_cfg)
    assert type(model.loss_kd).__name__ == 'PixelKLDivLoss'
    assert (model.loss_kd.tau, model.loss_kd.resolution,
            model.loss_kd.loss_weight) == (2.0, 'label', 1.0)
    assert type(model.loss_feat).__name__ == 'AttentionTransferLoss'
    assert tuple(model.loss_feat.levels) == (0, )
    assert model.loss_feat.loss_weight == 100.0  # the default beta
    # with a type the dict replaces the default: its own defaults apply
    tiny_frskd_cfg.loss_kd = dict(type='PixelKLDivLoss', tau=2.0,
                                  resolution='student')
    assert build_model(tiny_frskd_cfg).loss_kd.resolution == 'student'


def test_the_default_recipe_is_attention_transfer_alone(tiny_frskd_cfg):
    """The paired study's choice: no KL (a ``loss_kd`` dict turns it on),
    attention transfer at beta = 100."""
    tiny_frskd_cfg.pop('loss_kd')
    tiny_frskd_cfg.pop('loss_feat', None)
    model = build_model(tiny_frskd_cfg)
    assert model.loss_kd is None
    assert type(model.loss_feat).__name__ == 'AttentionTransferLoss'
    assert (model.loss_feat.p, model.loss_feat.loss_weight) == (2, 100.0)
