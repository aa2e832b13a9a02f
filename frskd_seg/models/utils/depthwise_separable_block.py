"""The 3x3 conv block of the self-teacher's P and T nodes (docs/method.md,
Self-teacher)."""
from typing import Callable, List, Optional

import torch
import torch.nn as nn
from torch import Tensor
from torch.utils.checkpoint import checkpoint
from mmcv.cnn import build_activation_layer, build_norm_layer

from frskd_seg.utils.errors import ConfigError
from mmseg.utils import ConfigType


class DepthwiseSeparableBlock(nn.Sequential):
    """``[DW3x3(c_in) -> PW1x1(c_in->c_out) -> BN]``, then ``num_convs - 1``
    times ``[act -> DW3x3 -> PW1x1 -> BN]``; no bias, no trailing activation.

    This is FRSKD's ``DepthConvBlock`` (docs/method.md, Self-teacher), not
    mmcv's ``DepthwiseSeparableConvModule``, which normalises and activates
    between the depthwise and pointwise convs.

    Args:
        in_channels (int): Channels of the input, ``c_in``.
        out_channels (int): Channels of the output, ``c_out``.
        num_convs (int): Number of DW+PW pairs (official: 2). Must be >= 1.
        norm_cfg (dict): Norm layer config (from the model config, so SyncBN
            works in distributed runs).
        act_cfg (dict): Activation between the pairs.

    ``forward(x, recompute=True)`` keeps for the backward pass only what
    enters each pair and what its BN needs: the maps inside a pair (the
    activation's and the depthwise conv's outputs) are computed again in
    the backward pass (``torch.utils.checkpoint``), the same values with
    the same operations, so outputs and gradients are bit for bit those of
    ``recompute=False``. BN stays outside what is recomputed: its running
    statistics are updated once.

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

    def forward(self, *inputs: Tensor, recompute: bool = False,
                prologue: Optional[Callable[..., Tensor]] = None) -> Tensor:
        """The block on ``prologue(*inputs)`` (default: the one input); the
        prologue (a node's fusion, say) runs inside the first pair, so with
        ``recompute`` its output is not kept either."""
        layers = list(self)
        args = inputs
        for k, norm in enumerate(layers[2::4]):  # pair k: its convs, its BN
            convs = layers[max(0, 4 * k - 1):4 * k + 2]
            x = norm(_run(convs, prologue if k == 0 else None, args,
                          recompute))
            args = (x, )
        return x


def _run(layers: List[nn.Module], prologue: Optional[Callable],
         inputs: tuple, recompute: bool) -> Tensor:
    """``layers`` in turn on ``prologue(*inputs)`` (on the one input without
    a prologue), recomputed in the backward pass when ``recompute``."""

    def run(*args):
        x = prologue(*args) if prologue else args[0]
        for layer in layers:
            x = layer(x)
        return x

    if recompute and torch.is_grad_enabled():
        return checkpoint(run, *inputs, use_reentrant=False)
    return run(*inputs)
