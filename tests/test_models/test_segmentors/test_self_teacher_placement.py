"""Where the self-teacher reads (``self_teacher_input``), how much of its CE
reaches the student (``teacher_grad_scale``), and evaluating it
(``evaluate_teacher``)."""
import copy

import pytest
import torch

from frskd_seg.models.losses import AttentionTransferLoss, PixelKLDivLoss
from tests.conftest import build_model, make_batch


def test_decoder_input_is_the_decode_heads_map(tiny_decoder_cfg, batch):
    model = build_model(tiny_decoder_cfg).eval()
    inputs, samples = batch
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        logits, reads = model.student_forward(feats)
        # the student's logits are the head's forward, run once
        assert torch.equal(logits, model.decode_head(feats))
        decoded = model.decode_head._forward_feature(feats)
    # ASPP reads F4: the self-teacher refines F1..F3 and the ASPP map
    assert len(reads) == 4
    for got, want in zip(reads, [*feats[:3], decoded]):
        assert torch.equal(got, want)
    assert model.self_teacher.in_channels == [16, 32, 64, 32]
    assert model.self_teacher.out_channels == [4, 8, 16, 8]
    # the default head: the student's kind of classifier (dropout + 1x1
    # conv) on the finest refined level T1 (stride 4)
    head = model.teacher_head
    assert type(head).__name__ == 'FCNHead'
    assert head.in_index == 0 and head.in_channels == 4
    assert isinstance(head.convs, torch.nn.Identity)
    assert head.conv_seg.kernel_size == (1, 1)
    assert head.num_classes == model.decode_head.num_classes
    with torch.no_grad():
        teacher_logits, refined = model.teacher_forward(reads)
    assert teacher_logits.shape[:2] == logits.shape[:2]
    assert teacher_logits.shape[2:] == reads[0].shape[2:] == (16, 16)
    assert [t.shape for t in refined] == [
        (2, 4, 16, 16), (2, 8, 8, 8), (2, 16, 8, 8), (2, 8, 8, 8)
    ]


def test_decoder_input_losses_are_the_spec_on_what_it_reads(
        tiny_decoder_cfg, batch):
    model = build_model(tiny_decoder_cfg).eval()
    inputs, samples = batch
    with torch.no_grad():
        zs, reads = model.student_forward(model.extract_feat(inputs))
        refined = model.self_teacher(reads)
        zt = model.teacher_head(refined)
        losses = model.loss(inputs, samples)
    labels = torch.stack([s.gt_sem_seg.data for s in samples])
    kd = PixelKLDivLoss(tau=1.0)(zs, zt, labels)
    at = AttentionTransferLoss()(reads, list(refined))
    assert losses['distill.loss_kd'].item() == pytest.approx(kd.item(),
                                                             rel=1e-5)
    assert losses['distill.loss_at'].item() == pytest.approx(
        100 * at.item(), rel=1e-5)  # the default beta


def test_teacher_head_reads_a_chosen_level(tiny_decoder_cfg):
    tiny_decoder_cfg.teacher_head = dict(in_index=0)
    model = build_model(tiny_decoder_cfg)
    assert model.teacher_head.in_index == 0
    assert model.teacher_head.in_channels == 4


def _student_grads(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward(retain_graph=True)
    return {
        name: p.grad.clone()
        for name, p in model.named_parameters()
        if name.startswith(('backbone.', 'decode_head.')) and
        p.grad is not None
    }


@pytest.mark.parametrize('placement', ['backbone', 'decoder'])
def test_teacher_grad_scale(tiny_frskd_cfg, tiny_decoder_cfg, batch,
                            placement):
    """The self-teacher's CE reaches the student scaled by
    teacher_grad_scale: all of it at 1, half at 0.5, none at 0; the
    self-teacher itself still learns from it."""
    cfg = tiny_frskd_cfg if placement == 'backbone' else tiny_decoder_cfg
    grads = {}
    for scale in (1.0, 0.5, 0.0):
        cfg.teacher_grad_scale = scale
        torch.manual_seed(0)
        model = build_model(cfg).eval()
        losses = model.loss(*batch)
        grads[scale] = _student_grads(model, losses['teacher.loss_ce'])
        teacher = [p.grad for p in model.self_teacher.parameters()]
        assert any(g is not None and g.abs().sum() > 0 for g in teacher)
    assert grads[0.0] == {} or all(g.abs().sum() == 0
                                   for g in grads[0.0].values())
    assert grads[1.0] and set(grads[0.5]) == set(grads[1.0])
    for name, g in grads[1.0].items():
        torch.testing.assert_close(grads[0.5][name], 0.5 * g)


def test_detached_teacher_leaves_the_student_training_as_its_twin(
        tiny_decoder_cfg, tiny_baseline_cfg, batch):
    """teacher_grad_scale=0, in the warm-up: the student's gradient is
    exactly its twin's."""
    tiny_decoder_cfg.teacher_grad_scale = 0.0
    tiny_decoder_cfg.distill_schedule = dict(type='DistillSchedule',
                                             warmup=100)
    torch.manual_seed(0)
    model = build_model(tiny_decoder_cfg)
    model.init_weights()
    torch.manual_seed(0)
    twin = build_model(tiny_baseline_cfg)
    twin.init_weights()
    # the same global random state (dropout masks) for both steps
    torch.manual_seed(1)
    loss, _ = model.parse_losses(model.loss(*batch))
    loss.backward()
    torch.manual_seed(1)
    twin_loss, _ = twin.parse_losses(twin.loss(*batch))
    twin_loss.backward()
    theirs = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        if name in theirs:
            assert torch.equal(p.grad, theirs[name].grad), name


def test_evaluate_teacher_adds_the_teachers_prediction(tiny_decoder_cfg):
    model = build_model(tiny_decoder_cfg).eval()
    inputs, samples = make_batch(seed=5)
    model.evaluate_teacher = False
    with torch.no_grad():
        plain = model.predict(inputs, make_batch(seed=5)[1])
    model.evaluate_teacher = True
    with torch.no_grad():
        results = model.predict(inputs, samples)
        zs, reads = model.student_forward(model.extract_feat(inputs))
        zt, _ = model.teacher_forward(reads)
    zt = torch.nn.functional.interpolate(zt, size=inputs.shape[2:],
                                         mode='bilinear',
                                         align_corners=False)
    for result, base, want in zip(results, plain, zt.argmax(1)):
        # the student's prediction is untouched ...
        assert torch.equal(result.seg_logits.data, base.seg_logits.data)
        assert torch.equal(result.pred_sem_seg.data, base.pred_sem_seg.data)
        # ... and the self-teacher's is its own logits' argmax
        assert torch.equal(result.pred_teacher_sem_seg.data[0], want)
    assert not torch.equal(results[0].pred_teacher_sem_seg.data,
                           results[0].pred_sem_seg.data)


@pytest.mark.parametrize('mode', ['whole', 'slide'])
def test_evaluate_teacher_runs_the_backbone_once_per_crop(tiny_decoder_cfg,
                                                          mode):
    # the self-teacher's logits come from the features the student's
    # prediction computed: the same prediction as computing them again
    from mmseg.models.segmentors import EncoderDecoder
    cfg = copy.deepcopy(tiny_decoder_cfg)
    cfg.test_cfg = dict(mode=mode, crop_size=(48, 48), stride=(32, 32))
    model = build_model(cfg).eval()
    model.evaluate_teacher = True
    inputs, samples = make_batch(seed=7)
    calls = []
    model.backbone.register_forward_hook(lambda *args: calls.append(1))
    with torch.no_grad():
        results = model.predict(inputs, samples)
    crops = 1 if mode == 'whole' else 4  # 64 x 64 in 48-crops, stride 32
    assert len(calls) == crops

    def teacher_logits(crop, metas):  # the self-teacher from scratch
        _, reads = model.student_forward(model.extract_feat(crop))
        with model.teacher_rng:
            zt, _ = model.teacher_forward(reads)
        return torch.nn.functional.interpolate(
            zt, size=crop.shape[2:], mode='bilinear', align_corners=False)

    model.encode_decode = teacher_logits
    with torch.no_grad():
        want = EncoderDecoder.inference(
            model, inputs, [s.metainfo for s in samples]).argmax(1)
    for result, w in zip(results, want):
        assert torch.equal(result.pred_teacher_sem_seg.data[0], w)


@pytest.mark.parametrize('change, error, match', [
    (dict(self_teacher_input='head'), ValueError,
     "self_teacher_input must be one of \\('backbone', 'neck', 'decoder'\\),"
     " got 'head'"),
    (dict(self_teacher_input='neck'), ValueError,
     "self_teacher_input='neck' refines the student's neck outputs, but this "
     "FRSKDEncoderDecoder has no neck: use 'backbone'"),
    (dict(teacher_grad_scale=1.5), ValueError,
     r'teacher_grad_scale must be a number in \[0, 1\], got 1.5'),
    (dict(teacher_grad_scale=-0.1), ValueError,
     r'teacher_grad_scale must be a number in \[0, 1\], got -0.1'),
    (dict(self_teacher=dict(type='SelfTeacherNeck',
                            in_channels=[16, 32, 64, 128])), ValueError,
     r'in_channels=\[16, 32, 64, 128\] does not match the student: the '
     r"decode head's map and the backbone levels below it give 4 feature "
     r'maps with channels \[16, 32, 64, 32\]'),
])
def test_bad_placement_configs_fail_at_build(tiny_decoder_cfg, change, error,
                                             match):
    tiny_decoder_cfg.update(change)
    with pytest.raises(error, match=match):
        build_model(tiny_decoder_cfg)


def test_decoder_input_needs_one_classifier_call(tiny_decoder_cfg):
    from mmseg.models.decode_heads import FCNHead
    from mmseg.registry import MODELS

    @MODELS.register_module(force=True)
    class _TwoClassifierHead(FCNHead):

        def forward(self, inputs):
            x = self._forward_feature(inputs)
            return self.cls_seg(x) + self.cls_seg(x)

    tiny_decoder_cfg.decode_head = dict(
        type='_TwoClassifierHead', in_channels=128, channels=16, in_index=3,
        num_classes=21)
    with pytest.raises(NotImplementedError,
                       match='_TwoClassifierHead called cls_seg 2 times'):
        build_model(tiny_decoder_cfg)


def test_decoder_input_on_a_head_without_forward_feature(
        tiny_decoder_cfg, batch):
    """SegFormer's head has no _forward_feature: its map is read where its
    classifier receives it."""
    tiny_decoder_cfg.decode_head = dict(
        type='SegformerHead', in_channels=[16, 32, 64, 128],
        in_index=[0, 1, 2, 3], channels=24, num_classes=21)
    model = build_model(tiny_decoder_cfg).eval()
    assert model.self_teacher.in_channels == [16, 32, 64, 24]
    inputs, samples = batch
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        logits, reads = model.student_forward(feats)
        assert torch.equal(logits, model.decode_head(feats))
    assert reads[-1].shape == (2, 24, 16, 16)  # fused at the finest level
    assert not hasattr(model.decode_head, '__dict__') or \
        'cls_seg' not in model.decode_head.__dict__
    model.train()
    losses = model.loss(inputs, samples)
    assert torch.isfinite(model.parse_losses(losses)[0])


def test_every_distillation_target_is_trained(tiny_decoder_cfg, batch):
    """With the head on T1 alone the self-teacher is top-down only, and the
    targets are T1 and the P_i it is computed from: every parameter behind
    every target map gets a gradient from the self-teacher's CE, and none
    is frozen."""
    model = build_model(tiny_decoder_cfg).train()
    assert model.self_teacher.top_down_only
    assert all(p.requires_grad for p in model.self_teacher.parameters())
    inputs, samples = batch
    _, reads = model.student_forward(model.extract_feat(inputs))
    reads = [r.detach() for r in reads]
    logits, refined = model.teacher_forward(reads)
    ce = model.teacher_head.loss_by_feat(logits, samples)['loss_ce']
    params = list(model.self_teacher.parameters())
    taught = torch.autograd.grad(ce, params, retain_graph=True,
                                 allow_unused=True)
    for level, target in enumerate(refined):
        behind = torch.autograd.grad(target.sum(), params, retain_graph=True,
                                     allow_unused=True)
        untaught = [i for i, (b, t) in enumerate(zip(behind, taught))
                    if b is not None and t is None]
        assert untaught == [], level
    assert all(t is not None for t in taught)


def test_the_bottom_up_targets_when_asked_for(tiny_decoder_cfg):
    """``top_down_only=False`` keeps T_2..T_n as targets; nothing reads
    them, so their parameters are frozen at build."""
    cfg = tiny_decoder_cfg.copy()
    cfg.self_teacher = dict(cfg.self_teacher, top_down_only=False)
    model = build_model(cfg)
    frozen = {n.split('.')[0] for n, p in
              model.self_teacher.named_parameters() if not p.requires_grad}
    assert frozen == {'second_laterals', 'down_resamples', 'down_fusions',
                      'down_nodes'}
