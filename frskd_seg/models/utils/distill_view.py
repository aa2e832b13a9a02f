"""A second, differently augmented view of a training batch, on which the
student learns from its self-teacher alone (docs/method.md, Losses)."""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS


@MODELS.register_module()
class RandomZoomView:
    """Each image of a (normalised) batch zoomed into a random square-ish
    crop and resized back to the batch's size, and flipped left-right with
    probability ``flip_prob``: a view whose pixels the labels of the batch do
    not describe, so the student gets no CE there -- only the self-teacher's
    prediction, through the KL.

    Random draws come from the generator that is current when it is called
    (the segmentor calls it inside the self-teacher's own stream, so the
    student's data and initialisation stay its twin's).

    Args:
        crop_range (Sequence[float]): The crop's side as a fraction of the
            image's, drawn uniformly from [lo, hi] with 0 < lo <= hi <= 1.
        flip_prob (float): Probability of a left-right flip.

    Shapes:
        (B, C, H, W) -> (B, C, H, W).
    """

    def __init__(self, crop_range: Sequence[float] = (0.5, 1.0),
                 flip_prob: float = 0.5):
        if (len(crop_range) != 2
                or not 0 < crop_range[0] <= crop_range[1] <= 1):
            raise ValueError('distill_view crop_range must be (lo, hi) with '
                             f'0 < lo <= hi <= 1, got {crop_range!r}')
        if not 0 <= flip_prob <= 1:
            raise ValueError('distill_view flip_prob must be in [0, 1], got '
                             f'{flip_prob!r}')
        self.crop_range = (float(crop_range[0]), float(crop_range[1]))
        self.flip_prob = float(flip_prob)

    def __call__(self, inputs: Tensor) -> Tensor:
        b, _, h, w = inputs.shape
        lo, hi = self.crop_range
        sides = lo + (hi - lo) * torch.rand(b)
        corners = torch.rand(b, 2)
        flips = torch.rand(b) < self.flip_prob
        views = []
        for i in range(b):
            ch = max(1, int(round(float(sides[i]) * h)))
            cw = max(1, int(round(float(sides[i]) * w)))
            top = int(float(corners[i, 0]) * (h - ch + 1))
            left = int(float(corners[i, 1]) * (w - cw + 1))
            crop = inputs[i:i + 1, :, top:top + ch, left:left + cw]
            view = F.interpolate(crop, size=(h, w), mode='bilinear',
                                 align_corners=False)
            views.append(view.flip(-1) if flips[i] else view)
        return torch.cat(views)

    def __repr__(self) -> str:
        return (f'RandomZoomView(crop_range={self.crop_range}, '
                f'flip_prob={self.flip_prob})')
