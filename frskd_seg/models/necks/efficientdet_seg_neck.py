"""The decoder of the authors' EfficientDet segmentation model (docs/method.md,
Placement; ``EfficientDet`` of ``segmentation/utils/efficientdet.py`` in
MingiJi/FRSKD): an FPN top-down pass with two extra coarse levels, then
:class:`BiFPNSeg` layers."""
from numbers import Integral
from typing import Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from frskd_seg.utils.errors import ConfigError
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig
from ..utils import biased_conv_module
from .bifpn_seg import BiFPNSeg


@MODELS.register_module()
class EfficientDetSegNeck(BaseModule):
    """FPN top-down + extra levels + BiFPN: the student decoder of the paper's
    segmentation experiment.

    With n backbone levels ``C_1..C_n`` (finest first) and m extra levels::

        P_n = Lat_n(C_n)
        P_i = Up(P_{i+1}) + Lat_i(C_i)              i = n-1..1
        P_{n+1} = Ext_1(C_n),  P_{n+j} = Ext_j(P_{n+j-1})   j = 2..m
        outputs: BiFPNSeg^L(P_1, ..., P_{n+m})

    ``Lat`` is a 1x1 conv (with bias)-BN-ReLU to ``channels``, ``Ext`` a 3x3
    stride-2 conv (with bias)-BN-ReLU, ``Up`` bilinear interpolation to the
    lateral's size; no smoothing convs (the official module builds two,
    ``smooth1``/``smooth2``, and never calls them: they are left out).
    Official: n = 4 (EfficientNet-B0's 24, 40, 80, 320 channels), m = 2,
    ``channels`` = 64, L = 3 -- six levels P2..P7 at strides 4..128.

    Args:
        in_channels (Sequence[int]): Channels of the n >= 1 backbone levels.
        channels (int): Channels of every output level.
        num_extra_levels (int): m >= 0.
        num_bifpn_layers (int): L >= 0 (0: the FPN alone).
        norm_cfg (dict): Norm layers' config; SyncBN in distributed configs.
        act_cfg (dict): Activation config.
        init_cfg (dict, optional): mmengine initialisation config.

    Shapes:
        n tensors (B, c_i, H_i, W_i) -> tuple of n + m tensors
        (B, channels, H_i, W_i), the extra ones at half the previous size
        (rounded up).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int = 64,
                 num_extra_levels: int = 2,
                 num_bifpn_layers: int = 3,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        in_channels = list(in_channels)
        if not in_channels or not all(
                isinstance(c, Integral) and c > 0 for c in in_channels):
            raise ConfigError('EfficientDetSegNeck needs >= 1 input level '
                              'with channels > 0, got '
                              f'in_channels={in_channels!r}')
        for name, value, low in (('channels', channels, 1),
                                 ('num_extra_levels', num_extra_levels, 0),
                                 ('num_bifpn_layers', num_bifpn_layers, 0)):
            if not isinstance(value, Integral) or value < low:
                raise ConfigError(f'EfficientDetSegNeck {name} must be an int '
                                  f'>= {low}, got {value!r}')
        num_levels = len(in_channels) + num_extra_levels
        if num_bifpn_layers and num_levels < 2:
            raise ConfigError('EfficientDetSegNeck: BiFPN layers need >= 2 '
                              f'levels, got {len(in_channels)} input level(s) '
                              f'and num_extra_levels={num_extra_levels}')
        self.in_channels = in_channels
        self.out_channels = [channels] * num_levels
        conv = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.laterals = nn.ModuleList(
            biased_conv_module(c, channels, 1, **conv) for c in in_channels)
        self.extra_levels = nn.ModuleList(
            biased_conv_module(in_channels[-1] if j == 0 else channels,
                               channels, 3, stride=2, padding=1, **conv)
            for j in range(num_extra_levels))
        self.bifpn = BiFPNSeg(
            self.out_channels, num_layers=num_bifpn_layers,
            norm_cfg=norm_cfg, act_cfg=act_cfg) if num_bifpn_layers else None

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        if len(inputs) != len(self.in_channels):
            raise ValueError(
                f'EfficientDetSegNeck was built for {len(self.in_channels)} '
                f'backbone levels, got {len(inputs)}')
        levels = [self.laterals[-1](inputs[-1])]
        for i in range(len(inputs) - 2, -1, -1):
            lateral = self.laterals[i](inputs[i])
            levels.insert(0, F.interpolate(
                levels[0], size=lateral.shape[2:], mode='bilinear',
                align_corners=False) + lateral)
        extra = inputs[-1]
        for conv in self.extra_levels:
            extra = conv(extra)
            levels.append(extra)
        return self.bifpn(levels) if self.bifpn is not None else tuple(levels)
