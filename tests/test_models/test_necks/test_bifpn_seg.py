"""BiFPNSeg: the official segmentation BiFPN layer's equations, written out."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from frskd_seg.models.necks import BiFPNSeg, BiFPNSegLayer


def node_params(c):
    # official node: Conv2d(c, c, 1, groups=c) with bias + BatchNorm2d(c)
    return c + c + 2 * c


def levels(sizes, channels=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(2, channels, h, w, generator=g) for h, w in sizes]


def by_hand(layer, p):
    """The layer's equations with its own nodes: top-down U, bottom-up O."""
    up = lambda x, ref: F.interpolate(  # noqa: E731
        x, size=ref.shape[2:], mode='bilinear', align_corners=False)
    down = lambda x, ref: F.interpolate(  # noqa: E731
        x, size=ref.shape[2:], mode='nearest')
    td, bu = layer.top_down, layer.bottom_up
    u3 = td[2](p[2])
    u2 = td[1](p[1] + up(u3, p[1]))
    u1 = td[0](p[0] + up(u2, p[0]))
    if layer.top_down_only:
        return u1, u2, u3
    o2 = bu[0](p[1] + u2 + down(u1, p[1]))
    o3 = bu[1](p[2] + u3 + down(o2, p[2]))
    return u1, o2, o3


@pytest.mark.parametrize('top_down_only', [False, True])
@pytest.mark.parametrize('sizes', [[(16, 16), (8, 8), (4, 4)],
                                   [(15, 13), (8, 7), (4, 4)]],
                         ids=['halving', 'odd'])
def test_layer_equations(sizes, top_down_only):
    torch.manual_seed(0)
    layer = BiFPNSegLayer(4, 3, top_down_only=top_down_only).eval()
    p = levels(sizes)
    with torch.no_grad():
        out = layer(p)
        expected = by_hand(layer, p)
    assert [o.shape for o in out] == [x.shape for x in p]
    for o, e in zip(out, expected):
        assert torch.allclose(o, e, atol=1e-6)


def test_halving_sizes_match_the_official_scale_factor_upsampling():
    # official: nn.Upsample(scale_factor=W_i / W_{i+1}, mode='bilinear')
    x = torch.randn(1, 3, 8, 8)
    official = nn.Upsample(scale_factor=16 / 8, mode='bilinear')(x)
    ours = F.interpolate(x, size=(16, 16), mode='bilinear',
                         align_corners=False)
    assert torch.equal(official, ours)


def test_official_structure_and_parameter_counts():
    # official BiFPNSeg(64): conv{7..2}up + conv{3..7}dw; is_last: the 6 up
    full, last = BiFPNSegLayer(64, 6), BiFPNSegLayer(64, 6, True)
    assert sum(p.numel() for p in full.parameters()) == 11 * node_params(64)
    assert sum(p.numel() for p in last.parameters()) == 6 * node_params(64)
    node = full.top_down[0]
    assert node.conv.groups == 64 and node.conv.kernel_size == (1, 1)
    assert node.conv.bias is not None and node.with_norm
    assert isinstance(node.activate, nn.ReLU)
    # the self-teacher: BiFPN2 = [BiFPNSeg(64), BiFPNSeg(64, True)]
    teacher = BiFPNSeg([64] * 6, num_layers=2, last_top_down_only=True)
    assert [len(layer.bottom_up) for layer in teacher.layers] == [5, 0]
    assert sum(p.numel() for p in teacher.parameters()) == 17 * node_params(
        64)
    assert teacher.out_channels == [64] * 6


def test_stack_runs_its_layers_in_order():
    torch.manual_seed(0)
    stack = BiFPNSeg([4] * 3, num_layers=2, last_top_down_only=True).eval()
    p = levels([(16, 16), (8, 8), (4, 4)])
    with torch.no_grad():
        expected = by_hand(stack.layers[1], by_hand(stack.layers[0], p))
        out = stack(p)
    for o, e in zip(out, expected):
        assert torch.allclose(o, e, atol=1e-6)


@pytest.mark.parametrize('kwargs, match', [
    (dict(in_channels=[64]), r'>= 2 levels .* got in_channels=\[64\]'),
    (dict(in_channels=[64, 32]), r'same number of channels .*\[64, 32\]'),
    (dict(in_channels=[8, 8], num_layers=0), 'num_layers must be an int >= '
     '1, got 0'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BiFPNSeg(**kwargs)
    with pytest.raises(ValueError, match='built for 2 levels, got 3'):
        BiFPNSeg([4, 4])(levels([(4, 4)] * 3))
