"""Comparing two runs: logged training values (not timings) and weights."""
import math

import pytest
import torch

from studies.compare_runs import (compare_runs, first_divergence,
                                  logged_values, state_distances)

LOG = ('11/30 08:14:13 - mmengine - INFO - Iter(train) [ {it}/200]  lr: '
       '1.0e-02  eta: 0:00:{eta}  time: 0.{t}  data_time: 0.0011  loss: '
       '{loss}  distill.weight: 1.0000\n')


def _run(tmp_path, name, losses, weight, times=('1', '2')):
    work = tmp_path / name
    (work / '20261130_081400').mkdir(parents=True)
    (work / '20261130_081400' / '20261130_081400.log').write_text(''.join(
        LOG.format(it=10 * (i + 1), eta=times[i], t=times[i], loss=loss)
        for i, loss in enumerate(losses)))
    torch.save(dict(state_dict=dict(w=torch.tensor([weight]))),
               work / 'iter_20.pth')
    return str(work)


def test_logged_values_leave_timings_out():
    [(it, values)] = logged_values(LOG.format(it=10, eta='5', t='3',
                                              loss='2.5'))
    assert it == 10
    assert values == {'lr': '1.0e-02', 'loss': '2.5',
                      'distill.weight': '1.0000'}


def test_same_run_and_each_kind_of_difference(tmp_path):
    a = _run(tmp_path, 'a', ['2.5', '2.1'], 1.0)
    b = _run(tmp_path, 'b', ['2.5', '2.1'], 1.0, times=('7', '9'))
    assert compare_runs(a, b, 'iter_20.pth') == []
    c = _run(tmp_path, 'c', ['2.5', '2.2'], 1.0)
    [diff] = compare_runs(a, c, 'iter_20.pth')
    assert diff.startswith('iteration 20:')
    d = _run(tmp_path, 'd', ['2.5', '2.1'], 1.5)
    assert compare_runs(a, d, 'iter_20.pth') == [
        "1 tensors differ, e.g. ['w']"]


def test_how_far_apart_two_runs_are():
    a = LOG.format(it=10, eta='5', t='3', loss='2.5') + \
        LOG.format(it=20, eta='5', t='3', loss='2.1').replace(
            '1.0000', '1.0000  pool.loss: 0.3')
    b = LOG.format(it=10, eta='9', t='1', loss='2.5') + \
        LOG.format(it=20, eta='5', t='3', loss='2.2')
    a, b = logged_values(a), logged_values(b)
    assert first_divergence(a, b) == (20, 'loss', '2.1', '2.2')
    assert first_divergence(a, a) is None
    state_b = {'backbone.conv.weight': torch.tensor([3.0, 4.0]),
               'backbone.bn.running_mean': torch.tensor([1.0, 0.0]),
               'backbone.bn.num_batches_tracked': torch.tensor(7),
               'head.weight': torch.tensor([2.0])}
    state_a = dict(state_b, **{
        'backbone.conv.weight': torch.tensor([3.0, 4.5]),
        'backbone.bn.running_mean': torch.tensor([1.0, 0.1]),
        'head.weight': torch.tensor([2.0])})
    distances = state_distances(state_a, state_b)
    assert distances['backbone'] == pytest.approx((0.1, 0.1))
    weights, running = distances['head']
    assert weights == 0 and math.isnan(running)
