import pytest
import torch
import torch.nn as nn

from frskd_seg.models.utils import DepthwiseSeparableBlock

BN = dict(type='BN')
RELU = dict(type='ReLU')


def test_layout_matches_spec():
    block = DepthwiseSeparableBlock(4, 6, 2, BN, RELU)
    kinds = [type(m).__name__ for m in block]
    assert kinds == [
        'Conv2d', 'Conv2d', 'BatchNorm2d', 'ReLU', 'Conv2d', 'Conv2d',
        'BatchNorm2d'
    ]
    dw1, pw1, dw2, pw2 = [m for m in block if isinstance(m, nn.Conv2d)]
    assert (dw1.groups, dw1.kernel_size, dw1.in_channels) == (4, (3, 3), 4)
    assert (pw1.in_channels, pw1.out_channels, pw1.kernel_size) == (4, 6,
                                                                    (1, 1))
    assert (dw2.groups, pw2.out_channels) == (6, 6)
    assert all(c.bias is None for c in (dw1, pw1, dw2, pw2))
    # 4*9 + 4*6 + 2*6 (BN) + 6*9 + 6*6 + 2*6
    assert sum(p.numel() for p in block.parameters()) == 174


def test_no_trailing_activation():
    block = DepthwiseSeparableBlock(3, 3, 1, BN, RELU).train()
    out = block(torch.randn(4, 3, 5, 5))
    assert (out < 0).any()  # BN output, not ReLU'd
    assert out.shape == (4, 3, 5, 5)


def test_num_convs_checked():
    with pytest.raises(ValueError, match='num_convs must be >= 1, got 0'):
        DepthwiseSeparableBlock(3, 3, 0, BN, RELU)
