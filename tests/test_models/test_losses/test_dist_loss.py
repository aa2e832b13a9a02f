"""DIST against hand-computed references."""
import math

import pytest
import torch
import torch.nn.functional as F

from frskd_seg.models.losses import DISTLoss
from frskd_seg.utils.errors import ConfigError


def logits(seed, shape=(2, 3, 2, 3)):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64).float() * 2


def softmax(values, tau):
    exps = [math.exp(v / tau) for v in values]
    return [e / sum(exps) for e in exps]


def reference_pearson(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sx = math.sqrt(sum((x - mx)**2 for x in xs))
    sy = math.sqrt(sum((y - my)**2 for y in ys))
    return cov / (sx * sy)


def reference_dist(zs, zt, tau, inter_weight, intra_weight):
    """Pearson over classes at each pixel, and over every pixel of the
    batch for each class, by loops."""
    b, k, h, w = zs.shape
    ps, pt = [], []  # one row of k probabilities per pixel
    for n in range(b):
        for y in range(h):
            for x in range(w):
                ps.append(softmax(zs[n, :, y, x].tolist(), tau))
                pt.append(softmax(zt[n, :, y, x].tolist(), tau))
    inter = 1 - sum(reference_pearson(s, t)
                    for s, t in zip(ps, pt)) / len(ps)
    intra = 1 - sum(reference_pearson([r[c] for r in ps],
                                      [r[c] for r in pt])
                    for c in range(k)) / k
    return tau**2 * (inter_weight * inter + intra_weight * intra)


@pytest.mark.parametrize('tau,inter,intra', [(1.0, 1.0, 1.0),
                                             (2.0, 0.5, 2.0)])
def test_dist_matches_hand_computed(tau, inter, intra):
    zs, zt = logits(2, (2, 4, 3, 2)), logits(3, (2, 4, 3, 2))
    loss = DISTLoss(tau=tau, inter_weight=inter, intra_weight=intra)(zs, zt)
    assert loss.item() == pytest.approx(
        reference_dist(zs, zt, tau, inter, intra), rel=1e-5)


def test_dist_correlates_over_pixels_not_over_the_batch():
    """A batch of one image: the intra-class term still has H·W pixels to
    correlate, so a student that ranks pixels as its teacher scores 0."""
    zt = logits(4, (1, 3, 4, 4))
    assert DISTLoss()(2 * zt, zt).item() < DISTLoss()(logits(5, (1, 3, 4, 4)),
                                                     zt).item()
    assert DISTLoss()(zt.clone(), zt).item() == pytest.approx(0, abs=1e-6)


def test_student_resolution_average_pools_the_teacher():
    zs, zt = logits(6, (2, 3, 2, 2)), logits(7, (2, 3, 4, 4))
    pooled = F.avg_pool2d(zt, 2)
    assert DISTLoss(resolution='student')(zs, zt).item() == pytest.approx(
        DISTLoss(resolution='student')(zs, pooled).item(), rel=1e-6)


def test_label_resolution_upsamples_both():
    zs, zt = logits(8, (2, 3, 2, 2)), logits(9, (2, 3, 4, 4))
    label = torch.zeros(2, 1, 8, 8, dtype=torch.long)
    up = dict(size=(8, 8), mode='bilinear', align_corners=False)
    expected = DISTLoss(resolution='student')(F.interpolate(zs, **up),
                                              F.interpolate(zt, **up))
    assert DISTLoss(resolution='label')(zs, zt, label).item() == \
        pytest.approx(expected.item(), rel=1e-6)
    with pytest.raises(ValueError, match="resolution='label' needs the "
                       'label'):
        DISTLoss(resolution='label')(zs, zt)


def test_teacher_detached_float32_under_autocast():
    zs = logits(10).requires_grad_()
    zt = logits(11).requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = DISTLoss()(zs.bfloat16(), zt.bfloat16())
    assert value.dtype == torch.float32
    value.backward()
    assert zs.grad is not None and zs.grad.abs().sum() > 0
    assert zt.grad is None


@pytest.mark.parametrize('kwargs,match', [
    (dict(tau=0), 'tau must be a number > 0, got 0'),
    (dict(resolution='input'), "resolution must be one of .*got 'input'"),
    (dict(loss_weight=-1), 'loss_weight must be a number >= 0, got -1'),
])
def test_bad_arguments_named(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        DISTLoss(**kwargs)


def test_mismatched_logits_named():
    with pytest.raises(ValueError, match=r'teacher logits \(2, 4, 2, 3\)'):
        DISTLoss()(logits(0), logits(1, (2, 4, 2, 3)))
