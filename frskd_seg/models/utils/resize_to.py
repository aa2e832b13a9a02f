"""Resizing a feature map to another level's exact size (docs/method.md,
Self-teacher)."""
import math
from typing import Sequence

import torch.nn.functional as F
from torch import Tensor

UPSAMPLE_MODES = ('nearest', 'bilinear')


def max_pool_same(x: Tensor) -> Tensor:
    """3x3 stride-2 max-pool with TF "same" padding (the official downsampler).

    Output size is ``ceil(H / 2) x ceil(W / 2)``. Padding is -inf so border
    maxima come from real pixels, as with zero padding of post-ReLU maps.
    """
    h, w = x.shape[-2:]
    pad_h = max((math.ceil(h / 2) - 1) * 2 + 3 - h, 0)
    pad_w = max((math.ceil(w / 2) - 1) * 2 + 3 - w, 0)
    x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2,
                  pad_h - pad_h // 2], value=float('-inf'))
    return F.max_pool2d(x, kernel_size=3, stride=2)


def resize_to(x: Tensor, size: Sequence[int],
              upsample_mode: str = 'nearest') -> Tensor:
    """Resize ``x`` (B, C, h, w) to exactly ``size`` = (H, W).

    - same size: identity (ResNet-D8 levels 2-4 share one size);
    - larger in both dims: ``F.interpolate`` with ``upsample_mode``;
    - exactly the "same"-padded half: the official 3x3/2 max-pool;
    - any other reduction: adaptive max-pool to the target size;
    - mixed (larger in one dim, smaller in the other): interpolation.
    """
    h, w = x.shape[-2:]
    th, tw = int(size[0]), int(size[1])
    if (h, w) == (th, tw):
        return x
    if th <= h and tw <= w:
        if (th, tw) == (math.ceil(h / 2), math.ceil(w / 2)):
            return max_pool_same(x)
        return F.adaptive_max_pool2d(x, (th, tw))
    align = None if upsample_mode == 'nearest' else False
    return F.interpolate(x, size=(th, tw), mode=upsample_mode,
                         align_corners=align)
