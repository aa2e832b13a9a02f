import math

import pytest
import torch
import torch.nn.functional as F

from frskd_seg.models.utils import max_pool_same, resize_to


def official_max_pool_same(x):
    """The official ``MaxPool2dStaticSamePadding(3, 2)``: zero padding."""
    h, w = x.shape[-2:]
    extra_h = (math.ceil(w / 2) - 1) * 2 - w + 3
    extra_v = (math.ceil(h / 2) - 1) * 2 - h + 3
    x = F.pad(x, [extra_h // 2, extra_h - extra_h // 2, extra_v // 2,
                  extra_v - extra_v // 2])
    return F.max_pool2d(x, 3, 2)


@pytest.mark.parametrize('size', [(8, 8), (9, 7), (5, 12)])
def test_max_pool_same_matches_official_on_relu_maps(size):
    x = F.relu(torch.randn(2, 3, *size))
    assert torch.equal(max_pool_same(x), official_max_pool_same(x))
    assert max_pool_same(x).shape[-2:] == (math.ceil(size[0] / 2),
                                           math.ceil(size[1] / 2))


def test_identity_when_sizes_match():
    x = torch.randn(1, 2, 5, 5)
    assert resize_to(x, (5, 5)) is x


def test_upsampling_modes():
    x = torch.arange(4.).view(1, 1, 2, 2)
    assert torch.equal(
        resize_to(x, (4, 4)),
        x.repeat_interleave(2, 2).repeat_interleave(2, 3))
    bil = resize_to(x, (3, 5), 'bilinear')
    assert torch.allclose(
        bil, F.interpolate(x, (3, 5), mode='bilinear', align_corners=False))


def test_non_half_reduction_uses_adaptive_max_pool():
    x = torch.randn(1, 2, 12, 12)
    assert torch.equal(resize_to(x, (5, 5)), F.adaptive_max_pool2d(x, 5))
