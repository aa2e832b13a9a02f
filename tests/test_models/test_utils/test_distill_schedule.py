import math

import pytest

from frskd_seg.models.utils import distill_weight, distill_weight_by_epoch


def test_constant_when_no_schedule():
    assert [distill_weight(i) for i in (0, 1, 1000)] == [1.0, 1.0, 1.0]


def test_warmup_then_sigmoid_rampup_then_one():
    w = lambda i: distill_weight(i, warmup_iters=400, rampup_iters=200)  # noqa
    assert w(0) == 0.0 and w(399) == 0.0
    assert w(400) == pytest.approx(math.exp(-5))  # t = 0
    assert w(450) == pytest.approx(math.exp(-5 * 0.75**2))
    assert w(500) == pytest.approx(math.exp(-5 * 0.25))
    assert w(600) == 1.0 and w(10_000) == 1.0
    weights = [w(i) for i in range(400, 601)]
    assert weights == sorted(weights)  # monotone


def test_official_epoch_schedule_in_iterations():
    # 60 epochs of 100 iterations: warm-up 40 epochs, ramp 20 epochs
    w = lambda epoch: distill_weight(epoch * 100, 4000, 2000)  # noqa
    assert w(39) == 0
    assert w(50) == pytest.approx(math.exp(-5 * (1 - 10 / 20)**2))


def test_warmup_only():
    assert distill_weight(9, 10, 0) == 0.0
    assert distill_weight(10, 10, 0) == 1.0


def test_negative_lengths_rejected():
    with pytest.raises(ValueError, match='warmup_iters=-1'):
        distill_weight(0, -1, 0)


def official_epoch_weight(epoch, warmup=40, num_epochs=60):
    """segmentation/main.py, written out: alpha = beta = 0 before the
    warm-up's end, then sigmoid_rampup(epoch + 1 - warmup, num_epochs -
    warmup) with sigmoid_rampup(c, L) = exp(-5 (1 - clip(c, 0, L) / L)^2)."""
    if epoch < warmup:
        return 0.0
    length = num_epochs - warmup
    current = min(max(epoch + 1 - warmup, 0), length)
    return math.exp(-5.0 * (1.0 - current / length)**2)


def test_by_epoch_is_the_official_per_epoch_schedule():
    for epoch in range(60):
        assert distill_weight_by_epoch(epoch, 40, 20) == pytest.approx(
            official_epoch_weight(epoch), abs=0), epoch
    assert distill_weight_by_epoch(40, 40, 20) == pytest.approx(
        math.exp(-5 * 0.95**2))
    assert distill_weight_by_epoch(59, 40, 20) == 1.0
    assert distill_weight_by_epoch(3, 0, 0) == 1.0
    assert distill_weight_by_epoch(2, 3, 0) == 0.0
    with pytest.raises(ValueError, match='rampup_epochs=-2'):
        distill_weight_by_epoch(0, 1, -2)
