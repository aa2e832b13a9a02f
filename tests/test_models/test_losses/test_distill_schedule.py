import math

import pytest

from frskd_seg.models.losses import distill_weight, distill_weight_by_epoch


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
from frskd_seg.models.losses import (  # noqa: E402
    DistillSchedule, build_distill_schedule, distill_schedule,
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
    with pytest.raises(ValueError, match="but trains in "
                       r"'IterBasedTrainLoop', where the weights would "
                       'never ramp'):
        schedule.check_loop(dict(type='IterBasedTrainLoop', max_iters=3))
    DistillSchedule(1, 2).check_loop(dict(type='IterBasedTrainLoop'))


def test_building_a_schedule():
    assert repr(build_distill_schedule()) == repr(model_distill_schedule(
        {})) == 'DistillSchedule(warmup=0.6666666666666666, ' \
        'rampup=0.3333333333333333, by_epoch=False)'
    built = build_distill_schedule(dict(warmup=0.5))  # no type: ours
    assert isinstance(built, DistillSchedule) and built.warmup == 0.5
    assert build_distill_schedule(built) is built


def _logged(monkeypatch):
    logged = []
    monkeypatch.setattr(distill_schedule, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    return logged


@pytest.mark.parametrize('warmup, rampup', [(2 / 3, 1 / 3), (100, 50)])
def test_outside_a_training_loop_a_schedule_says_how_to_tell_it(
        message_hub, monkeypatch, warmup, rampup):
    """``model.loss()`` in a plain loop that never said where it stands (no
    Runner: no run length in the MessageHub) is refused, naming what to
    call; a constant schedule needs no step."""
    message_hub.update_info('max_iters', None)
    logged = _logged(monkeypatch)
    with pytest.raises(RuntimeError, match=r'nothing told the model: .* '
                       r'call model.distill_schedule.set_progress\(iter, '
                       r'max_iters\) before each model.loss\(\)'):
        DistillSchedule(warmup, rampup).current()
    assert DistillSchedule().current() == 1.0
    assert logged == []


def test_a_loop_of_ones_own_sets_the_step(message_hub, monkeypatch):
    """``set_progress`` (a plain loop, a notebook, another trainer) drives
    the schedule, before and instead of the MessageHub."""
    message_hub.update_info('max_iters', None)
    logged = _logged(monkeypatch)
    schedule = DistillSchedule(2 / 3, 1 / 3)
    weights = []
    for it in (0, 1332, 1333, 1999):
        schedule.set_progress(it, 2000)
        weights.append(schedule.current())
    assert weights[:2] == [0.0, 0.0]
    assert weights[2] == pytest.approx(math.exp(-5.0))
    assert weights[3] == pytest.approx(1.0, abs=1e-4)
    message_hub.update_info('max_iters', 10)
    message_hub.update_info('iter', 0)
    assert schedule.current() == weights[3]  # still its own step
    schedule.set_progress(0, 2000)
    assert schedule.current() == 0.0
    assert logged == [f'distillation weights follow {schedule!r}, reading '
                      'the step from the step set by set_progress: w = 0 '
                      'before iteration 1333, a sigmoid ramp-up over 667 '
                      'iterations, 1 from iteration 2000 of 2000']


def test_under_a_runner_the_step_comes_from_the_message_hub(
        message_hub, monkeypatch):
    logged = _logged(monkeypatch)
    schedule = DistillSchedule(2 / 3, 1 / 3)
    message_hub.update_info('max_iters', 30)
    message_hub.update_info('iter', 19)
    assert schedule.current() == 0.0
    message_hub.update_info('iter', 29)
    assert schedule.current() == pytest.approx(math.exp(-5 * 0.1**2))
    assert logged == [f'distillation weights follow {schedule!r}, reading '
                      'the step from the training loop (MessageHub): w = 0 '
                      'before iteration 20, a sigmoid ramp-up over 10 '
                      'iterations, 1 from iteration 30 of 30']
