"""EfficientDetSegNeck: the official FPN + extra levels + BiFPN, written
out, and the official layers' parameter counts."""
import pytest
import torch
import torch.nn.functional as F

from frskd_seg.models.necks import EfficientDetSegNeck


def conv_bn(cin, cout, k):
    # official Conv(): Conv2d with bias + BatchNorm2d (+ ReLU)
    return cin * cout * k * k + cout + 2 * cout


#: the official EfficientDet decoder for EfficientNet-B0 (outc = 64), layer
#: by layer, as segmentation/utils/efficientdet.py builds it
OFFICIAL_DECODER = {
    'toplayer': conv_bn(320, 64, 1),
    'latlayer1': conv_bn(80, 64, 1),
    'latlayer2': conv_bn(40, 64, 1),
    'latlayer3': conv_bn(24, 64, 1),
    'conv6': conv_bn(320, 64, 3),
    'conv7': conv_bn(64, 64, 3),
    # 3 x BiFPNSeg(64): 11 per-channel 1x1 nodes of 4 x 64 parameters each
    'BiFPN1': 3 * 11 * 4 * 64,
}
#: built by the official module, never called in its forward
OFFICIAL_UNUSED = {'smooth1': conv_bn(64, 64, 3),
                   'smooth2': conv_bn(64, 64, 3)}


def backbone_levels(size, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    h, w = size
    out = []
    for c, s in zip((24, 40, 80, 320), (4, 8, 16, 32)):
        h_s, w_s = -(-h // s), -(-w // s)
        out.append(torch.randn(batch, c, h_s, w_s, generator=g))
    return out


def test_parameter_counts_are_the_official_ones():
    neck = EfficientDetSegNeck([24, 40, 80, 320])
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(neck.laterals[3]) == OFFICIAL_DECODER['toplayer']
    assert [count(m) for m in neck.laterals[:3]] == [
        OFFICIAL_DECODER[k] for k in ('latlayer3', 'latlayer2', 'latlayer1')
    ]
    assert [count(m) for m in neck.extra_levels] == [
        OFFICIAL_DECODER['conv6'], OFFICIAL_DECODER['conv7']
    ]
    assert count(neck.bifpn) == OFFICIAL_DECODER['BiFPN1']
    assert count(neck) == sum(OFFICIAL_DECODER.values()) == 260_480
    assert sum(OFFICIAL_UNUSED.values()) == 74_112  # left out


@pytest.mark.parametrize('size', [(512, 512), (97, 131)],
                         ids=['512', 'odd'])
def test_fpn_equations_and_shapes(size):
    torch.manual_seed(0)
    neck = EfficientDetSegNeck([24, 40, 80, 320], num_bifpn_layers=0).eval()
    c = backbone_levels(size, batch=1)
    with torch.no_grad():
        out = neck(c)
        lat = [m(x) for m, x in zip(neck.laterals, c)]
        up = lambda x, ref: F.interpolate(  # noqa: E731
            x, size=ref.shape[2:], mode='bilinear', align_corners=False)
        p5 = lat[3]
        p4 = up(p5, lat[2]) + lat[2]
        p3 = up(p4, lat[1]) + lat[1]
        p2 = up(p3, lat[0]) + lat[0]
        p6 = neck.extra_levels[0](c[3])
        p7 = neck.extra_levels[1](p6)
    for o, e in zip(out, (p2, p3, p4, p5, p6, p7)):
        assert torch.allclose(o, e, atol=1e-6)
    h, w = size
    strides = (4, 8, 16, 32, 64, 128)
    assert [tuple(o.shape[2:]) for o in out] == [
        (-(-h // s), -(-w // s)) for s in strides
    ]
    assert all(o.shape[1] == 64 for o in out)


def test_bifpn_layers_run_on_the_fpn_levels():
    torch.manual_seed(0)
    neck = EfficientDetSegNeck([24, 40, 80, 320]).eval()
    c = backbone_levels((97, 131), batch=1)
    with torch.no_grad():
        bifpn, neck.bifpn = neck.bifpn, None
        fpn = neck(c)
        neck.bifpn = bifpn
        assert all(torch.allclose(a, b, atol=1e-6)
                   for a, b in zip(neck(c), bifpn(fpn)))
    assert len(neck.bifpn.layers) == 3
    assert not any(layer.top_down_only for layer in neck.bifpn.layers)


@pytest.mark.parametrize('kwargs, match', [
    (dict(in_channels=[]), r'>= 1 input level .* got in_channels=\[\]'),
    (dict(in_channels=[8], channels=0), 'channels must be an int >= 1, got 0'),
    (dict(in_channels=[8], num_extra_levels=0),
     r'BiFPN layers need >= 2 levels, got 1 input level\(s\) and '
     'num_extra_levels=0'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EfficientDetSegNeck(**kwargs)
    neck = EfficientDetSegNeck([24, 40, 80, 320])
    with pytest.raises(ValueError, match='built for 4 backbone levels, got 3'):
        neck(backbone_levels((64, 64))[:3])
