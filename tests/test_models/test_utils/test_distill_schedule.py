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


# -- DistillSchedule --------------------------------------------------------
from frskd_seg.models.utils import (DistillSchedule,  # noqa: E402
                                    build_distill_schedule,
                                    model_distill_schedule)


def test_fractions_of_the_run_are_the_shipped_lengths():
    schedule = DistillSchedule(warmup=2 / 3, rampup=1 / 3)
    # what the configs wrote as max_iters * 2 // 3 and the rest
    for max_iters in (2000, 20000, 8, 160000):
        warmup = max_iters * 2 // 3
        assert schedule.lengths(max_iters) == (warmup, max_iters - warmup)
    assert [schedule.weight(i, 2000) for i in range(2000)] == [
        distill_weight(i, 1333, 667) for i in range(2000)]
    assert schedule.warmup_end(2000) == 1333
    # a shortened run keeps its proportions, and distils
    assert schedule.lengths(12) == (8, 4)
    assert DistillSchedule(0.29, 0.71).lengths(100) == (29, 71)
    assert schedule.short_run_warning(12) is None
    with pytest.raises(ValueError, match='fractions of the run: they need '
                       'its length in iterations'):
        schedule.weight(5)


def test_lengths_in_iterations_and_epochs():
    assert DistillSchedule(10, 20).lengths() == (10, 20)
    assert DistillSchedule(10, 20).weight(20) == pytest.approx(
        math.exp(-5 * 0.25))
    by_epoch = DistillSchedule(40, 20, by_epoch=True)
    assert [by_epoch.weight(e) for e in range(60)] == [
        distill_weight_by_epoch(e, 40, 20) for e in range(60)]
    assert DistillSchedule().weight(0) == 1.0  # constant weights
    # a fraction and a length mix
    assert DistillSchedule(0.5, 10).lengths(100) == (50, 10)


@pytest.mark.parametrize('kwargs, bad', [
    (dict(warmup=-1), '-1'), (dict(rampup=1.5), '1.5'),
    (dict(warmup=True), 'True'), (dict(rampup='2'), "'2'")])
def test_bad_lengths_are_named(kwargs, bad):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=f'distill_schedule {name} must be '
                       r'an int >= 0 \(iterations or epochs\) or a float in '
                       rf'\[0, 1\] \(a fraction of the run\), got {bad}'):
        DistillSchedule(**kwargs)
    with pytest.raises(ValueError, match='more than the whole run'):
        DistillSchedule(0.75, 0.5)


def test_a_run_that_ends_before_the_ramp_up_is_told_so():
    schedule = DistillSchedule(1333, 667)
    assert schedule.short_run_warning(2000) is None
    assert schedule.short_run_warning(4) == (
        'the distillation schedule (warm-up 1333 + ramp-up 667 iterations) '
        'ends after the training loop (4 iterations), so this run never '
        'distils: its weight stays 0. Give the schedule as fractions of the '
        "run (model.distill_schedule=dict(type='DistillSchedule', "
        'warmup=2/3, rampup=1/3)) or shorter lengths in iterations')
    assert 'distils at a weight of at most 0.00674' in \
        schedule.short_run_warning(1334)
    # the same words in epochs
    assert DistillSchedule(40, 20, by_epoch=True).short_run_warning(
        1).startswith('the distillation schedule (warm-up 40 + ramp-up 20 '
                      'epochs) ends after the training loop (1 epochs)')


def test_an_epoch_schedule_needs_an_epoch_loop():
    schedule = DistillSchedule(1, 2, by_epoch=True)
    schedule.check_loop(dict(type='EpochBasedTrainLoop', max_epochs=3))
    with pytest.raises(ValueError, match="not an EpochBasedTrainLoop "
                       r"\(got 'IterBasedTrainLoop'\)"):
        schedule.check_loop(dict(type='IterBasedTrainLoop', max_iters=3))
    DistillSchedule(1, 2).check_loop(dict(type='IterBasedTrainLoop'))


def test_deprecated_keys_still_build_the_same_schedule():
    with pytest.warns(FutureWarning, match=r"\['distill_rampup_iters', "
                      r"'distill_warmup_iters'\] are deprecated .* "
                      r'DistillSchedule\(warmup=1333, rampup=667, '
                      r'by_epoch=False\)'):
        old = build_distill_schedule(distill_warmup_iters=1333,
                                     distill_rampup_iters=667)
    assert (old.warmup, old.rampup, old.by_epoch) == (1333, 667, False)
    with pytest.warns(FutureWarning):
        epochs = model_distill_schedule(dict(distill_warmup_epochs=40,
                                             distill_rampup_epochs=20))
    assert (epochs.warmup, epochs.rampup, epochs.by_epoch) == (40, 20, True)
    with pytest.raises(ValueError, match='give the distillation schedule '
                       'once'):
        build_distill_schedule(dict(type='DistillSchedule'),
                               distill_warmup_iters=3)
    with pytest.raises(ValueError, match='in iterations or in epochs, not '
                       'both'):
        build_distill_schedule(distill_warmup_iters=3,
                               distill_rampup_epochs=2)
    built = build_distill_schedule(dict(type='DistillSchedule', warmup=0.5))
    assert isinstance(built, DistillSchedule) and built.warmup == 0.5
