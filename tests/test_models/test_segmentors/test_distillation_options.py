"""The options of where and how the distillation terms apply, through the
segmentor: KL at the label's resolution and on void pixels, attention
transfer on chosen levels."""
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
    assert kd.item() != pytest.approx(PixelKLDivLoss()(zs, zt).item(),
                                      rel=1e-3)


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
