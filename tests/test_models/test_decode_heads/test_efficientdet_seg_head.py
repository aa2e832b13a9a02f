"""EfficientDetSegHead: the official classifier's structure and count."""
import pytest
import torch
import torch.nn as nn

from frskd_seg.models.decode_heads import EfficientDetSegHead

#: official classifier1 = Conv2d(64, 256, 3, padding=1) + BatchNorm2d(256)
#: + ReLU + Conv2d(256, 21, 3, padding=1), all convs with biases
OFFICIAL_CLASSIFIER = (64 * 256 * 9 + 256) + 2 * 256 + (256 * 21 * 9 + 21)


def official_head(**kwargs):
    cfg = dict(in_channels=64, in_index=0, channels=256, num_convs=1,
               kernel_size=3, dropout_ratio=0.0, num_classes=21,
               norm_cfg=dict(type='BN'))
    cfg.update(kwargs)
    return EfficientDetSegHead(**cfg)


def test_official_structure():
    head = official_head()
    assert sum(p.numel() for p in head.parameters()) == OFFICIAL_CLASSIFIER
    assert OFFICIAL_CLASSIFIER == 196_629
    block = head.convs[0]
    assert block.conv.kernel_size == (3, 3) and block.conv.padding == (1, 1)
    assert block.conv.bias is not None and block.with_norm
    assert isinstance(block.activate, nn.ReLU)
    assert head.conv_seg.kernel_size == (3, 3)
    assert head.conv_seg.padding == (1, 1)
    assert head.dropout is None


def test_forward_reads_its_level_and_keeps_its_size():
    torch.manual_seed(0)
    head = official_head().eval()
    levels = [torch.randn(2, 64, 33, 17), torch.randn(2, 64, 17, 9)]
    with torch.no_grad():
        logits = head(levels)
        expected = head.conv_seg(head.convs(levels[0]))
    assert logits.shape == (2, 21, 33, 17)
    assert torch.equal(logits, expected)


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_convs=-1), 'num_convs must be an int >= 0, got -1'),
    (dict(kernel_size=2), 'kernel_size must be an odd int, got 2'),
    (dict(num_convs=0), r'channels \(256\) must equal in_channels \(64\)'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        official_head(**kwargs)
