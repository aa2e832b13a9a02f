"""The 3x3 conv block of the self-teacher's P and T nodes (docs/method.md,
Self-teacher)."""
from typing import List

import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer

from frskd_seg.utils.errors import ConfigError
from mmseg.utils import ConfigType


class DepthwiseSeparableBlock(nn.Sequential):
    """``[DW3x3(c_in) -> PW1x1(c_in->c_out) -> BN]`` then ``num_convs - 1`` times
    ``[act -> DW3x3 -> PW1x1 -> BN]``; no bias, no trailing activation.

    This is FRSKD's ``DepthConvBlock`` (docs/method.md, Self-teacher), not
    mmcv's
    ``DepthwiseSeparableConvModule``, which normalises and activates between the
    depthwise and pointwise convs.

    Args:
        in_channels (int): Channels of the input, ``c_in``.
        out_channels (int): Channels of the output, ``c_out``.
        num_convs (int): Number of DW+PW pairs (official: 2). Must be >= 1.
        norm_cfg (dict): Norm layer config (from the model config, so SyncBN
            works in distributed runs).
        act_cfg (dict): Activation between the pairs.

    Shapes:
        (B, c_in, H, W) -> (B, c_out, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int, num_convs: int,
                 norm_cfg: ConfigType, act_cfg: ConfigType):
        if num_convs < 1:
            raise ConfigError(
                f'num_convs must be >= 1, got {num_convs!r}')
        layers: List[nn.Module] = []
        channels = in_channels
        for i in range(num_convs):
            if i > 0:
                layers.append(build_activation_layer(act_cfg))
            layers.append(
                nn.Conv2d(channels, channels, 3, padding=1, groups=channels,
                          bias=False))
            layers.append(nn.Conv2d(channels, out_channels, 1, bias=False))
            layers.append(build_norm_layer(norm_cfg, out_channels)[1])
            channels = out_channels
        super().__init__(*layers)
