"""TappedEfficientNet: OpenMMLab's EfficientNet-B0 read where the official
segmentation model reads efficientnet_pytorch's (layer1..layer5)."""
import pytest
import torch

from frskd_seg.models.backbones import OFFICIAL_B0_TAPS
from tests.conftest import build_model

pytest.importorskip('mmdet', reason='OpenMMLab EfficientNet: mmdet')

EFFICIENTNET = dict(type='mmdet.EfficientNet', arch='b0', init_cfg=None)


def mbconv(cin, cout, k, expand):
    """Parameters of an efficientnet_pytorch MBConvBlock (SE ratio 0.25 of
    the block's input channels; BN weight and bias)."""
    mid = cin * expand
    squeezed = max(1, int(cin * 0.25))
    return ((cin * mid + 2 * mid if expand != 1 else 0)  # expand conv + BN
            + k * k * mid + 2 * mid  # depthwise conv + BN
            + mid * squeezed + squeezed + squeezed * mid + mid  # SE convs
            + mid * cout + 2 * cout)  # project conv + BN


#: (in, out, kernel, expand ratio) of EfficientNet-B0's 16 blocks
B0_BLOCKS = ([(32, 16, 3, 1), (16, 24, 3, 6), (24, 24, 3, 6),
              (24, 40, 5, 6), (40, 40, 5, 6), (40, 80, 3, 6)] +
             [(80, 80, 3, 6)] * 2 + [(80, 112, 5, 6)] +
             [(112, 112, 5, 6)] * 2 + [(112, 192, 5, 6)] +
             [(192, 192, 5, 6)] * 3 + [(192, 320, 3, 6)])
STEM = 3 * 32 * 9 + 2 * 32  # conv_stem (no bias) + bn0
#: the official model's layer0..layer5 as blocks of efficientnet_pytorch
OFFICIAL_LAYERS = dict(layer0=[], layer1=[0, 1], layer2=[2, 3],
                       layer3=[4, 5], layer4=list(range(6, 12)),
                       layer5=list(range(12, 16)))


def build(**kwargs):
    cfg = dict(type='TappedEfficientNet', efficientnet=dict(EFFICIENTNET))
    cfg.update(kwargs)
    return build_model(cfg)


def test_official_layers_have_the_official_parameter_counts():
    backbone = build()
    assert backbone.taps == list(OFFICIAL_B0_TAPS)
    blocks = [m for s in range(1, 6) for m in backbone.net.layers[s]]
    assert len(blocks) == 16  # stages past the last tap are not built
    assert len(backbone.net.layers) == 6
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(backbone.net.layers[0]) == STEM
    for name, index in OFFICIAL_LAYERS.items():
        ours = sum(count(blocks[i]) for i in index)
        assert ours == sum(mbconv(*B0_BLOCKS[i]) for i in index), name
    # = EfficientNet-B0's 5,288,548 minus its conv_head, bn1 and fc
    assert count(backbone) == STEM + sum(
        mbconv(*b) for b in B0_BLOCKS) == 5_288_548 - 409_600 - 2_560 - \
        1_281_000


@pytest.mark.parametrize('size', [(512, 512), (97, 131)],
                         ids=['512', 'odd'])
def test_taps_give_the_official_levels(size):
    backbone = build().eval()
    with torch.no_grad():
        outs = backbone(torch.zeros(1, 3, *size))
    h, w = size
    assert [o.shape[1] for o in outs] == [24, 40, 80, 320]
    assert [tuple(o.shape[2:]) for o in outs] == [
        (-(-h // s), -(-w // s)) for s in (4, 8, 16, 32)
    ]


def test_a_stage_end_tap_equals_the_stock_network_output():
    torch.manual_seed(0)
    backbone = build(taps=[(3, 1), (5, 4)]).eval()
    stock = build_model(dict(EFFICIENTNET, out_indices=(3, 5)))
    stock.eval()  # (mmdet's train() returns None)
    stock.load_state_dict(backbone.net.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for ours, theirs in zip(backbone(x), stock(x)):
            assert torch.equal(ours, theirs)


@pytest.mark.parametrize('taps, match', [
    ([], r'\(stage, block\) pairs'),
    ([(2, 0), (1, 0)], 'running order'),
    ([(2, 5)], r'tap \(2, 5\) does not exist: .* \[1, 1, 2\] blocks'),
])
def test_bad_taps(taps, match):
    with pytest.raises(ValueError, match=match):
        build(taps=taps)
