"""The BiFPN of the authors' segmentation model (``BiFPNSeg`` of
``segmentation/utils/BiFPN.py`` in MingiJi/FRSKD): the student decoder's last
three layers and, two layers more, the self-teacher of the paper's
segmentation experiment (docs/method.md, Placement)."""
from numbers import Integral
from typing import List, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from frskd_seg.utils.errors import ConfigError
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig
from ..utils import biased_conv_module
from .refined_features import RefinedFeatures


def _node(channels: int, norm_cfg: ConfigType, act_cfg: ConfigType):
    # per-channel (depthwise) 1x1 conv with a bias, norm, activation: the
    # official nodes, which keep the channels apart (no channel mixing)
    return biased_conv_module(channels, channels, 1, groups=channels,
                              norm_cfg=norm_cfg, act_cfg=act_cfg)


class BiFPNSegLayer(BaseModule):
    """One BiFPN layer of the official segmentation code.

    With n levels, i = 1 the finest (index 0 here)::

        U_n = N↓_n(P_n)
        U_i = N↓_i(P_i + Up(U_{i+1}))                  i = n-1..1
        O_1 = U_1
        O_i = N↑_i(P_i + U_i + Down(O_{i-1}))           i = 2..n
        outputs: O_1..O_n, or U_1..U_n (``top_down_only``)

    ``N`` is a depthwise 1x1 conv (with bias)-BN-ReLU node, the sums are
    plain sums, ``Up`` is bilinear and ``Down`` nearest interpolation to the
    target level's exact size. The official code scales by the width ratio
    (``nn.Upsample(scale_factor=W_i / W_{i+1})``), which equals resizing to
    the target size whenever the sizes halve exactly (512 x 512 inputs) and
    gives maps one pixel off (a crash) at odd sizes; resizing to the size
    works at every size.

    Args:
        channels (int): Channels of every level.
        num_levels (int): n >= 2.
        top_down_only (bool): The official ``is_last``: no bottom-up nodes.
        norm_cfg (dict): Norm layers' config.
        act_cfg (dict): Activation config.

    Shapes:
        n tensors (B, C, H_i, W_i) -> tuple of n tensors (B, C, H_i, W_i).
    """

    def __init__(self,
                 channels: int,
                 num_levels: int,
                 top_down_only: bool = False,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        self.num_levels = num_levels
        self.top_down_only = top_down_only
        self.top_down = nn.ModuleList(
            _node(channels, norm_cfg, act_cfg) for _ in range(num_levels))
        # bottom-up nodes of levels 2..n (none with top_down_only)
        self.bottom_up = nn.ModuleList(
            _node(channels, norm_cfg, act_cfg)
            for _ in range(0 if top_down_only else num_levels - 1))

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        n = self.num_levels
        up = [None] * n
        up[n - 1] = self.top_down[n - 1](inputs[n - 1])
        for i in range(n - 2, -1, -1):
            size = inputs[i].shape[2:]
            up[i] = self.top_down[i](inputs[i] + F.interpolate(
                up[i + 1], size=size, mode='bilinear', align_corners=False))
        if self.top_down_only:
            return tuple(up)
        outs = [up[0]]
        for i in range(1, n):
            size = inputs[i].shape[2:]
            down = F.interpolate(outs[i - 1], size=size, mode='nearest')
            outs.append(self.bottom_up[i - 1](inputs[i] + up[i] + down))
        return tuple(outs)


@MODELS.register_module()
class BiFPNSeg(BaseModule):
    """A stack of :class:`BiFPNSegLayer`: as the self-teacher of the paper's
    segmentation model, two layers on the student decoder's outputs, the
    second top-down only (official ``BiFPN2 = [BiFPNSeg(c), BiFPNSeg(c,
    True)]``).

    Args:
        in_channels (Sequence[int]): Channels of the n >= 2 levels, finest
            first; all equal (the nodes are per-channel).
        num_layers (int): Layers, >= 1.
        last_top_down_only (bool): The last layer has no bottom-up nodes
            (official self-teacher: True; its levels 2..n are then the
            top-down maps).
        norm_cfg (dict): Norm layers' config; SyncBN in distributed configs.
        act_cfg (dict): Activation config.
        init_cfg (dict, optional): mmengine initialisation config.

    Shapes:
        n tensors (B, C, H_i, W_i) -> tuple of n tensors (B, C, H_i, W_i).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 num_layers: int = 1,
                 last_top_down_only: bool = False,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        channels = list(in_channels)
        if len(channels) < 2 or len(set(channels)) != 1 or not all(
                isinstance(c, Integral) and c > 0 for c in channels):
            raise ConfigError(
                'BiFPNSeg needs >= 2 levels with the same number of channels '
                f'(its nodes are per-channel), got in_channels={channels!r}')
        if not isinstance(num_layers, Integral) or num_layers < 1:
            raise ConfigError(
                f'BiFPNSeg num_layers must be an int >= 1, got {num_layers!r}')
        self.in_channels: List[int] = channels
        self.out_channels: List[int] = list(channels)
        self.layers = nn.Sequential(*(BiFPNSegLayer(
            channels[0], len(channels),
            top_down_only=last_top_down_only and i == num_layers - 1,
            norm_cfg=norm_cfg, act_cfg=act_cfg) for i in range(num_layers)))

    def forward(self, inputs: Sequence[Tensor]) -> RefinedFeatures:
        """The refined levels (no pre-activations: its nodes end in ReLU
        inside each layer, and FRSKD's official model distils the maps)."""
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'BiFPNSeg was built for {len(self.in_channels)} '
                             f'levels, got {len(inputs)}')
        return RefinedFeatures(self.layers(tuple(inputs)))
