"""The options of how the distillation terms apply, through the segmentor:
the KL's temperature, attention transfer's weight, several terms per slot,
and the defaults a dict without ``type`` updates."""
import pytest
import torch

from frskd_seg.models.losses import AttentionTransferLoss, PixelKLDivLoss
from frskd_seg.models.segmentors import describe_recipe
from frskd_seg.utils.errors import ConfigError
from tests.conftest import build_model


def test_kd_and_at_options_are_the_losses_applied(tiny_frskd_cfg, batch,
                                                  message_hub):
    cfg = tiny_frskd_cfg
    cfg.loss_kd = dict(type='PixelKLDivLoss', tau=2.0)
    cfg.loss_feat = dict(type='AttentionTransferLoss', loss_weight=50.0)
    model = build_model(cfg).eval()  # BN/dropout deterministic
    inputs, samples = batch
    label = torch.stack([s.gt_sem_seg.data for s in samples])
    message_hub.update_info('iter', 100)
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        refined = model.self_teacher(feats)
        zs, zt = model.decode_head(feats), model.teacher_head(refined)
        kd = PixelKLDivLoss(tau=2.0)(zs, zt, label)
        at = AttentionTransferLoss()(list(feats), list(refined))
        losses = model.loss(inputs, samples)
    assert losses['distill.loss_kd'].item() == pytest.approx(kd.item(),
                                                             rel=1e-5)
    assert losses['distill.loss_at'].item() == pytest.approx(
        50.0 * at.item(), rel=1e-5)


def test_kd_reaches_the_student_only(tiny_frskd_cfg, batch, message_hub):
    tiny_frskd_cfg.loss_kd = dict(type='PixelKLDivLoss')
    model = build_model(tiny_frskd_cfg).train()
    message_hub.update_info('iter', 100)
    kd = model.loss(*batch)['distill.loss_kd']
    kd.backward()
    for name, p in model.named_parameters():
        reached = p.grad is not None and p.grad.abs().sum() > 0
        assert reached == name.startswith(('backbone.', 'decode_head.')), name


def test_a_loss_without_type_updates_the_default(tiny_frskd_cfg):
    """``--cfg-options model.loss_kd.tau=2`` on a config that leaves the
    losses to the segmentor's defaults (was: KeyError, no "type") turns on
    the official KL, at tau 2."""
    tiny_frskd_cfg.loss_kd = dict(tau=2.0)
    tiny_frskd_cfg.loss_feat = dict(p=1.0)
    model = build_model(tiny_frskd_cfg)
    assert type(model.loss_kd).__name__ == 'PixelKLDivLoss'
    assert (model.loss_kd.tau, model.loss_kd.loss_weight) == (2.0, 1.0)
    assert type(model.loss_feat).__name__ == 'AttentionTransferLoss'
    assert model.loss_feat.p == 1.0
    assert model.loss_feat.loss_weight == 100.0  # the default beta
    # with a type the dict replaces the default: its own defaults apply
    tiny_frskd_cfg.loss_feat = dict(type='AttentionTransferLoss', p=1.0)
    assert build_model(tiny_frskd_cfg).loss_feat.loss_weight == 1.0


def test_the_default_recipe_trains_both_losses(tiny_frskd_cfg):
    """FRSKD's two losses, at the weights the paired study chose on the
    pretrained student: the KL at the input size (alpha 1, tau 1)
    and attention transfer (beta 100)."""
    tiny_frskd_cfg.pop('loss_kd')
    tiny_frskd_cfg.pop('loss_feat', None)
    model = build_model(tiny_frskd_cfg)
    assert type(model.loss_kd).__name__ == 'PixelKLDivLoss'
    assert (model.loss_kd.loss_weight, model.loss_kd.tau) == (1.0, 1.0)
    assert type(model.loss_feat).__name__ == 'AttentionTransferLoss'
    assert (model.loss_feat.p, model.loss_feat.loss_weight) == (2, 100.0)


def test_several_terms_per_slot_each_applied(tiny_frskd_cfg, batch,
                                             message_hub):
    """A list in ``loss_kd`` / ``loss_feat`` (as mmseg's ``loss_decode``):
    every term is computed on what the single term would get, under its own
    key; the regressors of the FitNet term are the student side's, dropped
    with the self-teacher."""
    cfg = tiny_frskd_cfg
    cfg.loss_kd = [dict(type='PixelKLDivLoss', tau=2.0),
                   dict(type='PixelKLDivLoss', loss_name='loss_kd_tau1')]
    cfg.loss_feat = [dict(type='AttentionTransferLoss', loss_weight=50.0),
                     dict(type='FitNetLoss', loss_weight=2.0)]
    model = build_model(cfg).eval()
    inputs, samples = batch
    label = torch.stack([s.gt_sem_seg.data for s in samples])
    message_hub.update_info('iter', 100)
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        refined = model.self_teacher(feats)
        zs, zt = model.decode_head(feats), model.teacher_head(refined)
        expected = {
            'loss_kd': PixelKLDivLoss(tau=2.0)(zs, zt, label),
            'loss_kd_tau1': PixelKLDivLoss()(zs, zt, label),
            'loss_at': 50.0 * AttentionTransferLoss()(list(feats),
                                                      list(refined)),
            'loss_fitnet': model.loss_feat[1](list(feats), list(refined)),
        }
        losses = model.loss(inputs, samples)
    for name, value in expected.items():
        assert losses[f'distill.{name}'].item() == pytest.approx(
            value.item(), rel=1e-5), name
    assert [r.in_channels for r in model.loss_feat[1].regressors] == [
        f.shape[1] for f in feats]
    assert not any(k.startswith('loss_feat.')
                   for k in model.student_state_dict())
    assert 'PixelKLDivLoss(tau=2.0' in describe_recipe(model)
    assert 'PixelKLDivLoss(tau=1.0' in describe_recipe(model)
    assert 'FitNetLoss' in describe_recipe(model)


@pytest.mark.parametrize('terms,match', [
    ([], r'model.loss_kd is an empty list'),
    ([dict(tau=2.0)], r"model.loss_kd\[0\] must be a dict with a type"),
    ([dict(type='PixelKLDivLoss'), dict(type='PixelKLDivLoss', tau=2.0)],
     r"different loss_name values .* got \['loss_kd', 'loss_kd'\]"),
])
def test_bad_term_lists_refused_at_build(tiny_frskd_cfg, terms, match):
    tiny_frskd_cfg.loss_kd = terms
    with pytest.raises(ConfigError, match=match):
        build_model(tiny_frskd_cfg)
