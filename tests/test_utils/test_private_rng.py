import pytest
import torch

from frskd_seg.utils.private_rng import PrivateRNG
from frskd_seg.models.utils import scale_grad


def test_private_stream_leaves_the_global_one_alone():
    torch.manual_seed(0)
    expected = torch.rand(5)
    torch.manual_seed(0)
    rng = PrivateRNG(123)
    with rng:
        inside = torch.rand(3)
    assert torch.equal(torch.rand(5), expected)
    # the private stream is seed 123's and continues where it stopped
    reference = torch.Generator().manual_seed(123)
    assert torch.equal(inside, torch.rand(3, generator=reference))
    with rng:
        again = torch.rand(3)
    assert torch.equal(again, torch.rand(3, generator=reference))


def test_private_stream_state_round_trip():
    rng = PrivateRNG(5)
    with rng:
        torch.rand(4)
    state = rng.state_dict()
    with rng:
        want = torch.rand(4)
    restored = PrivateRNG(0)
    restored.load_state_dict(state)
    with restored:
        assert torch.equal(torch.rand(4), want)


def test_private_stream_is_not_reentrant():
    rng = PrivateRNG(0)
    with rng:
        with pytest.raises(RuntimeError, match='not re-entrant'):
            rng.__enter__()


@pytest.mark.parametrize('scale', [0.0, 0.25, 1.0])
def test_scale_grad(scale):
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = scale_grad(x, scale)
    assert torch.equal(y, x)
    if scale == 0:
        assert not y.requires_grad  # detached
        return
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    torch.testing.assert_close(x.grad, scale * torch.tensor([1.0, 2.0, 3.0]))
