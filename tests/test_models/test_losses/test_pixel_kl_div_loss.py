import math

import pytest
import torch
import torch.nn.functional as F

from frskd_seg.models.losses import PixelKLDivLoss


def reference_kd(zs, zt, tau, valid=None):
    """Per-pixel KL(p_t || p_s) by explicit loops, times tau^2, averaged over
    the (valid) pixels."""
    b, k, h, w = zs.shape
    total, count = 0.0, 0
    for n in range(b):
        for y in range(h):
            for x in range(w):
                if valid is not None and not valid[n, y, x]:
                    continue
                ps = [math.exp(zs[n, c, y, x] / tau) for c in range(k)]
                pt = [math.exp(zt[n, c, y, x] / tau) for c in range(k)]
                ps = [p / sum(ps) for p in ps]
                pt = [p / sum(pt) for p in pt]
                total += sum(pt[c] * math.log(pt[c] / ps[c]) for c in range(k))
                count += 1
    return tau**2 * total / count


def logits(seed, shape=(2, 3, 2, 3)):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64).float() * 2


def label_for(z):
    """A label of the logits' own size: the KL is taken there."""
    return torch.zeros(z.shape[0], *z.shape[2:], dtype=torch.long)


@pytest.mark.parametrize('tau', [1.0, 4.0, 0.5])
def test_matches_hand_computed_kl(tau):
    zs, zt = logits(0), logits(1)
    loss = PixelKLDivLoss(tau=tau)(zs, zt, label_for(zs))
    assert loss.item() == pytest.approx(
        reference_kd(zs, zt, tau), rel=1e-5)


def test_matches_official_formula_and_loss_weight():
    zs, zt = logits(2, (2, 5, 4, 4)), logits(3, (2, 5, 4, 4))
    tau = 3.0
    official = F.kl_div(
        F.log_softmax(zs / tau, 1), F.softmax(zt / tau, 1),
        reduction='sum') * tau**2 / (2 * 4 * 4)
    loss = PixelKLDivLoss(tau=tau, loss_weight=0.5)(zs, zt, label_for(zs))
    assert loss.item() == pytest.approx(0.5 * official.item(), rel=1e-5)


def test_identical_logits_give_zero():
    z = logits(4)
    loss = PixelKLDivLoss()(z, z.clone(), label_for(z))
    assert loss.item() == pytest.approx(0, abs=1e-7)


def test_the_kl_upsamples_both_logits_to_the_label():
    zs = logits(13, (2, 3, 2, 2)).requires_grad_()
    zt = logits(14, (2, 3, 4, 4))
    label = torch.zeros(2, 8, 8, dtype=torch.long)
    loss = PixelKLDivLoss()(zs, zt, label)
    up_s = F.interpolate(zs.detach(), size=(8, 8), mode='bilinear',
                         align_corners=False)
    up_t = F.interpolate(zt, size=(8, 8), mode='bilinear',
                         align_corners=False)
    assert loss.item() == pytest.approx(reference_kd(up_s, up_t, 1.0),
                                        rel=1e-5)
    loss.backward()  # the gradient reaches the student's own logits
    assert zs.grad.shape == zs.shape and zs.grad.abs().sum() > 0


def test_the_label_size_needs_the_label():
    with pytest.raises(ValueError,
                       match=r'loss_kd: needs the label \(seg_label\)'):
        PixelKLDivLoss()(logits(0), logits(1), None)


def test_teacher_is_detached_and_resized_to_the_label():
    zs = logits(9, (1, 3, 4, 4)).requires_grad_()
    zt = logits(10, (1, 3, 2, 2)).requires_grad_()
    loss = PixelKLDivLoss()(zs, zt, label_for(zs))
    loss.backward()
    assert zs.grad is not None and zs.grad.abs().sum() > 0
    assert zt.grad is None
    up = F.interpolate(zt.detach(), size=(4, 4), mode='bilinear',
                       align_corners=False)
    assert loss.item() == pytest.approx(
        reference_kd(zs.detach(), up, 1.0), rel=1e-5)


def test_float32_under_bf16_autocast():
    zs, zt = logits(11, (2, 4, 8, 8)), logits(12, (2, 4, 8, 8))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = PixelKLDivLoss(tau=2.0)(zs.bfloat16(), zt.bfloat16(),
                                       label_for(zs))
    assert loss.dtype == torch.float32
    ref = PixelKLDivLoss(tau=2.0)(zs.bfloat16().float(),
                                  zt.bfloat16().float(), label_for(zs))
    assert loss.item() == pytest.approx(ref.item(), rel=1e-6)


@pytest.mark.parametrize('kwargs, match', [
    (dict(tau=0), 'tau must be a number > 0, got 0'),
    (dict(tau=-1.5), 'tau must be a number > 0, got -1.5'),
    (dict(loss_weight=-1),
     'loss_kd: loss_weight must be a number >= 0, got -1'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PixelKLDivLoss(**kwargs)


def test_mismatched_classes_error_names_shapes():
    with pytest.raises(ValueError, match=r'\(2, 3, 2, 3\).*\(2, 4, 2, 3\)'):
        PixelKLDivLoss()(logits(0), logits(1, (2, 4, 2, 3)),
                         label_for(logits(0)))


def test_the_backward_pass_keeps_nothing_of_the_label_size():
    """The upsampled maps and softmaxes are computed again in the backward
    pass: autograd keeps the logits as given and the label, and the loss
    and the student's gradient are those of the plain computation, bit for
    bit."""
    zs = logits(15, (2, 5, 4, 4)).requires_grad_()
    zt = logits(16, (2, 5, 8, 8))
    label = torch.zeros(2, 16, 16, dtype=torch.long)
    kd = PixelKLDivLoss(tau=2.0)
    kept = []

    def pack(t):
        kept.append(tuple(t.shape))
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = kd(zs, zt, label)
    assert sorted(kept) == [(2, 5, 4, 4), (2, 5, 8, 8), (2, 16, 16)]
    (grad, ) = torch.autograd.grad(loss, zs)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        plain = kd._loss(zs, zt, label)  # without recomputation
    assert (2, 5, 16, 16) in kept
    assert torch.equal(loss, plain)
    assert torch.equal(grad, torch.autograd.grad(plain, zs)[0])
