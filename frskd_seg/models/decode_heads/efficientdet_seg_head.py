"""The classifier of the authors' EfficientDet segmentation model
(``classifier1``/``classifier2`` of ``segmentation/utils/efficientdet.py``
in MingiJi/FRSKD; docs/method.md, Data protocol)."""
from numbers import Integral
from typing import List

import torch.nn as nn
from torch import Tensor

from frskd_seg.utils.errors import ConfigError
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from ..utils import biased_conv_module


@MODELS.register_module()
class EfficientDetSegHead(BaseDecodeHead):
    """``num_convs`` k x k conv (with bias)-BN-ReLU blocks, then a k x k
    classifier conv, on one level (``in_index``): official, one 3x3 block of
    256 channels and a 3x3 classifier on P2.

    mmseg's ``FCNHead(num_convs=1, concat_input=False)`` is the nearest
    mmseg head; it differs in its 1x1 classifier (``conv_seg``) and
    bias-free convs, so the parameter count would not be the official one.

    Args:
        num_convs (int): Conv blocks before the classifier, >= 0.
        kernel_size (int): k (odd), of the blocks and the classifier.
        **kwargs: :class:`BaseDecodeHead`'s (``in_channels``, ``channels``,
            ``num_classes``, ``in_index``, ``dropout_ratio``, ...).

    Shapes:
        levels (B, c_i, H_i, W_i) -> logits (B, num_classes, H, W) at the
        size of level ``in_index``.
    """

    def __init__(self, num_convs: int = 1, kernel_size: int = 3, **kwargs):
        if not isinstance(num_convs, Integral) or num_convs < 0:
            raise ConfigError('EfficientDetSegHead num_convs must be an int '
                              f'>= 0, got {num_convs!r}')
        if not isinstance(kernel_size, Integral) or kernel_size % 2 != 1:
            raise ConfigError('EfficientDetSegHead kernel_size must be an odd '
                              f'int, got {kernel_size!r}')
        super().__init__(**kwargs)
        if num_convs == 0 and self.in_channels != self.channels:
            raise ConfigError(
                'EfficientDetSegHead with num_convs=0 classifies its input: '
                f'channels ({self.channels}) must equal in_channels '
                f'({self.in_channels})')
        self.convs = nn.Sequential(*(biased_conv_module(
            self.in_channels if i == 0 else self.channels, self.channels,
            kernel_size, padding=kernel_size // 2,
            conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg) for i in range(num_convs)))
        self.conv_seg = nn.Conv2d(self.channels, self.out_channels,
                                  kernel_size, padding=kernel_size // 2)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        return self.cls_seg(self.convs(self._transform_inputs(inputs)))
