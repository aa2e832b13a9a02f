import math

import pytest
import torch

from frskd_seg.models.losses import AttentionTransferLoss, PixelKLDivLoss
from mmseg.models.segmentors import EncoderDecoder
from tests.conftest import build_model, make_batch

GROUPS = ('backbone', 'decode_head', 'auxiliary_head', 'self_teacher',
          'teacher_head')


def test_loss_keys(tiny_frskd_cfg, batch):
    model = build_model(tiny_frskd_cfg)
    losses = model.loss(*batch)
    assert set(losses) == {
        'decode.loss_ce', 'decode.acc_seg', 'aux.loss_ce', 'aux.acc_seg',
        'teacher.loss_ce', 'teacher.acc_seg', 'distill.loss_kd',
        'distill.loss_at', 'distill.weight'
    }
    assert all(torch.isfinite(v).all() for v in losses.values())


def test_distillation_terms_are_the_losses_of_the_spec(tiny_frskd_cfg, batch,
                                                       message_hub):
    tiny_frskd_cfg.distill_schedule = dict(type='DistillSchedule', warmup=10,
                                           rampup=20)
    model = build_model(tiny_frskd_cfg).eval()  # BN/dropout deterministic
    inputs, samples = batch
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        refined = model.self_teacher(feats)
        zs, zt = model.decode_head(feats), model.teacher_head(refined)
        # the default KL: both logits upsampled to the label's size first
        labels = torch.stack([s.gt_sem_seg.data for s in samples])
        kd = PixelKLDivLoss(tau=1.0)(zs, zt, labels)
        at = AttentionTransferLoss()(list(feats), list(refined))
    # the KL switched on by the fixture; AT at the default beta = 100
    for it, w in [(0, 0.0), (9, 0.0), (10, math.exp(-5)),
                  (20, math.exp(-5 * 0.25)), (30, 1.0), (100, 1.0)]:
        message_hub.update_info('iter', it)
        with torch.no_grad():
            losses = model.loss(inputs, samples)
        assert losses['distill.weight'].item() == pytest.approx(w)
        assert losses['distill.loss_kd'].item() == pytest.approx(
            w * 1.0 * kd.item(), rel=1e-5, abs=1e-9)
        assert losses['distill.loss_at'].item() == pytest.approx(
            w * 100.0 * at.item(), rel=1e-5, abs=1e-9)


def grads_by_group(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward(retain_graph=True)
    return {
        group: any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in getattr(model, group).parameters())
        for group in GROUPS
    }


def test_gradient_routing(tiny_frskd_cfg, batch):
    """docs/method.md, Gradient route: the self-teacher's CE reaches the
    backbone; the distillation
    targets (refined features, teacher logits) are detached."""
    model = build_model(tiny_frskd_cfg).train()
    losses = model.loss(*batch)
    expect = {
        'decode.loss_ce': {'backbone', 'decode_head'},
        'aux.loss_ce': {'backbone', 'auxiliary_head'},
        'teacher.loss_ce': {'backbone', 'self_teacher', 'teacher_head'},
        'distill.loss_kd': {'backbone', 'decode_head'},
        'distill.loss_at': {'backbone'},
    }
    for key, groups in expect.items():
        got = grads_by_group(model, losses[key])
        assert {g for g, has in got.items() if has} == groups, key


def test_every_parameter_is_trained(tiny_frskd_cfg, batch):
    model = build_model(tiny_frskd_cfg).train()
    loss, _ = model.parse_losses(model.loss(*batch))
    loss.backward()
    assert [n for n, p in model.named_parameters() if p.grad is None] == []


def test_student_decode_head_runs_once_per_step(tiny_frskd_cfg, batch,
                                                monkeypatch):
    model = build_model(tiny_frskd_cfg)
    head_cls = type(model.decode_head)
    forward, calls = head_cls.forward, []

    def counted(self, *args, **kwargs):
        calls.append(self)
        return forward(self, *args, **kwargs)

    # mmseg's loss calls self.forward() directly (no module hooks fire)
    monkeypatch.setattr(head_cls, 'forward', counted)
    model.loss(*batch)
    assert calls.count(model.decode_head) == 1


def test_prediction_is_the_student_alone(tiny_frskd_cfg, tiny_baseline_cfg):
    torch.manual_seed(0)
    model = build_model(tiny_frskd_cfg)
    # train a step so BN statistics and weights are not the initial ones
    inputs, samples = make_batch(seed=3)
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    loss, _ = model.parse_losses(model.loss(inputs, samples))
    loss.backward()
    optim.step()
    model.eval()

    plain = build_model(tiny_baseline_cfg).eval()
    assert type(plain) is EncoderDecoder
    plain.load_state_dict(model.student_state_dict(), strict=True)

    def refuse(*_):
        raise AssertionError('the self-teacher ran at inference')

    model.self_teacher.register_forward_pre_hook(refuse)
    model.teacher_head.register_forward_pre_hook(refuse)
    test_inputs, test_samples = make_batch(seed=4)
    with torch.no_grad():
        ours = model.predict(test_inputs, test_samples)
        theirs = plain.predict(test_inputs, make_batch(seed=4)[1])
        assert torch.equal(
            model._forward(test_inputs), plain._forward(test_inputs))
    for a, b in zip(ours, theirs):
        assert torch.equal(a.seg_logits.data, b.seg_logits.data)
        assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)


def test_teacher_head_defaults_to_a_copy_of_decode_head(tiny_frskd_cfg):
    tiny_frskd_cfg.pop('teacher_head')
    model = build_model(tiny_frskd_cfg)
    head = model.teacher_head
    assert type(head) is type(model.decode_head)
    assert head.in_channels == model.self_teacher.out_channels[3] == 32
    assert head.channels == model.decode_head.channels == 32


def test_teacher_head_partial_override(tiny_frskd_cfg):
    model = build_model(tiny_frskd_cfg)  # teacher_head=dict(channels=16)
    assert type(model.teacher_head).__name__ == 'ASPPHead'
    assert model.teacher_head.channels == 16
    assert model.teacher_head.in_channels == 32


def test_teacher_head_of_another_type(tiny_frskd_cfg):
    tiny_frskd_cfg.teacher_head = dict(
        type='FCNHead', in_index=[2, 3], input_transform='resize_concat',
        channels=8, num_convs=1, num_classes=21)
    model = build_model(tiny_frskd_cfg)
    assert type(model.teacher_head).__name__ == 'FCNHead'
    assert model.teacher_head.in_channels == 16 + 32
    losses = model.loss(*make_batch())
    assert torch.isfinite(losses['teacher.loss_ce'])


def test_distillation_terms_can_be_switched_off(tiny_frskd_cfg, batch):
    tiny_frskd_cfg.loss_kd = None
    model = build_model(tiny_frskd_cfg)
    losses = model.loss(*batch)
    assert 'distill.loss_kd' not in losses and 'distill.loss_at' in losses


@pytest.mark.parametrize('change, error, match', [
    (dict(teacher_head=dict(in_index=4)), ValueError,
     r'in_index=4 is out of range .* 4 levels with channels \[4, 8, 16, 32\]'),
    (dict(distill_schedule=dict(type='DistillSchedule', warmup=-5)),
     ValueError, 'distill_schedule warmup must be an int >= 0 .* got -5'),
    (dict(distill_schedule=dict(type='DistillSchedule', rampup=1.5)),
     ValueError, 'distill_schedule rampup must be .* got 1.5'),
    (dict(self_teacher_inputs='decoder'), TypeError,
     "FRSKDEncoderDecoder got an unknown key 'self_teacher_inputs': did you "
     "mean 'self_teacher_input'\\?"),
    (dict(self_teacher=dict(type='NoSuchNeck')), TypeError,
     "model.self_teacher: type 'NoSuchNeck' is not registered"),
    (dict(loss_kd=dict(type='PixelKLDivLoss', tau=0)), ValueError,
     'tau must be a number > 0, got 0'),
])
def test_bad_configs_fail_at_build(tiny_frskd_cfg, change, error, match):
    tiny_frskd_cfg.update(change)
    with pytest.raises(error, match=match):
        build_model(tiny_frskd_cfg)


def test_bf16_autocast_training_step(tiny_frskd_cfg, batch):
    """Mixed precision: the distillation terms are computed in float32 and
    match the float32 step within 2 % (the network itself runs in bf16)."""
    model = build_model(tiny_frskd_cfg).eval()  # same BN/dropout both times
    with torch.no_grad():
        reference = model.loss(*batch)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model.loss(*batch)
    for key in ('distill.loss_kd', 'distill.loss_at'):
        assert losses[key].dtype == torch.float32
        assert losses[key].item() == pytest.approx(reference[key].item(),
                                                   rel=2e-2), key
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_self_teacher_channels_are_inferred(tiny_frskd_cfg):
    tiny_frskd_cfg.self_teacher.pop('in_channels')
    model = build_model(tiny_frskd_cfg)
    assert model.self_teacher.in_channels == [16, 32, 64, 128]
    assert model.training  # the dry forward leaves the mode alone


def test_wrong_self_teacher_channels_fail_at_build(tiny_frskd_cfg):
    tiny_frskd_cfg.self_teacher.in_channels = [16, 32, 64, 256]
    with pytest.raises(ValueError, match=r'in_channels=\[16, 32, 64, 256\] '
                       r'does not match .* 4 feature maps with channels '
                       r'\[16, 32, 64, 128\]'):
        build_model(tiny_frskd_cfg)


def test_a_cascade_is_told_its_type(tiny_frskd_cfg):
    tiny_frskd_cfg.decode_head = [tiny_frskd_cfg.decode_head] * 2
    with pytest.raises(TypeError, match="list of 2 cascade stages .* write "
                       r"model = dict\(type='FRSKDCascadeEncoderDecoder'"):
        build_model(tiny_frskd_cfg)
    tiny_frskd_cfg.type = 'FRSKDCascadeEncoderDecoder'
    tiny_frskd_cfg.decode_head = tiny_frskd_cfg.decode_head[0]
    with pytest.raises(TypeError, match="one head .* write model = "
                       r"dict\(type='FRSKDEncoderDecoder'"):
        build_model(tiny_frskd_cfg)
