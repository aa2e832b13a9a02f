"""running_stats_kept: forwards as in training, running statistics kept."""
import pytest
import torch
import torch.nn as nn

from frskd_seg.models.utils import running_stats_kept


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Conv2d(4, 4, 1),
                         nn.InstanceNorm2d(4, track_running_stats=True),
                         nn.BatchNorm2d(4, momentum=None))


def _running(net):
    return {k: v.clone() for k, v in net.state_dict().items()
            if 'running' in k or 'num_batches' in k}


def test_forwards_normalise_with_their_batch_and_keep_the_running_stats():
    net, ref = _net(), _net()
    x = torch.randn(2, 3, 8, 8) * 3 + 1
    before, buffer = _running(net), net[1].running_mean
    with running_stats_kept(net):
        out = net(x)
    # the very tensors (a DDP wrapper holds them), not copies
    assert net[1].running_mean is buffer
    out.sum().backward()  # the graph is intact
    expected = ref(x)  # the same forward, free to update its statistics
    assert torch.equal(out, expected)
    after, moved = _running(net), _running(ref)
    assert set(after) == set(before) and len(after) == 9
    for key in before:
        assert torch.equal(after[key], before[key]), key
    # without the block they move: the assertion above can fail
    assert not torch.equal(moved['1.running_mean'], before['1.running_mean'])
    assert moved['5.num_batches_tracked'] == 1
    assert net[0].weight.grad is not None


def test_kept_through_an_exception_and_eval_layers_untouched():
    net = _net()
    before = _running(net)
    with pytest.raises(RuntimeError):
        with running_stats_kept(net):
            net(torch.randn(2, 3, 8, 8))
            raise RuntimeError('stop')
    for key, value in _running(net).items():
        assert torch.equal(value, before[key]), key
    net[1].eval()
    net[1].running_mean.fill_(2.0)
    with running_stats_kept(net):
        net[1].running_mean.add_(1.0)  # an eval layer is not the block's
    assert torch.equal(net[1].running_mean, torch.full((4, ), 3.0))
