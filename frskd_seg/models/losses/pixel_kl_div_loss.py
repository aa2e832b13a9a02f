"""Per-pixel soft-label distillation (docs/method.md, Losses, the α term)."""
from numbers import Real
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from frskd_seg.utils.errors import ConfigError
from mmseg.registry import MODELS
from .utils import check_loss_weight


@MODELS.register_module()
class PixelKLDivLoss(nn.Module):
    """``loss_weight · τ² · mean_pixels KL(softmax(z_t/τ) ‖ softmax(z_s/τ))``.

    KL is summed over classes and averaged over B·H·W pixels (the official
    ``DistillKL`` of ``segmentation/utils/distill.py``) — not divided by B
    only, which would make it grow with H·W. The teacher logits are detached.
    Everything runs in float32 with autocast off, so fp16/bf16 training cannot
    overflow here.

    Where the KL is taken (``resolution``): ``'label'`` (the default)
    upsamples *both* logits bilinearly to the label's size -- the input size
    in training -- as the official code does before its KL; the paired gain
    study chose it on val over ``'student'``, which resizes the teacher's
    logits bilinearly to the student's (at stride 8 for a DeepLabV3 student
    the teacher's stride-4 map is shrunk, its boundary detail averaged
    away; cheaper, and needs no label).

    Args:
        tau (float): Temperature τ > 0 (official segmentation: 1).
        loss_weight (float): α.
        resolution (str): ``'label'`` or ``'student'`` (above).
        loss_name (str): Key of this term in the loss dict.

    Shapes:
        student_logits (B, K, H, W), teacher_logits (B, K, H', W'),
        seg_label (B, H'', W'') or (B, 1, H'', W'') -> scalar. With
        ``resolution='label'`` the KL is taken at ``seg_label``'s size (only
        its size is read), or at ``size`` for images without a label (their
        input size). ``min_confidence``: the KL counts only at pixels where
        the teacher's top-class probability (at τ = 1) is at least this,
        still averaged over all pixels (FixMatch's confidence mask).
    """

    RESOLUTIONS = ('student', 'label')

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0,
                 resolution: str = 'label', loss_name: str = 'loss_kd'):
        super().__init__()
        if not isinstance(tau, Real) or tau <= 0:
            raise ConfigError(f'tau must be a number > 0, got {tau!r}')
        if resolution not in self.RESOLUTIONS:
            raise ConfigError(f'{loss_name}: resolution must be one of '
                              f'{self.RESOLUTIONS}, got {resolution!r}')
        self.tau = float(tau)
        self.loss_weight = check_loss_weight(loss_weight, loss_name)
        self.resolution = resolution
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, student_logits: Tensor, teacher_logits: Tensor,
                seg_label: Optional[Tensor] = None,
                size: Optional[Sequence[int]] = None,
                min_confidence: Optional[float] = None) -> Tensor:
        if (student_logits.dim() != 4
                or teacher_logits.shape[:2] != student_logits.shape[:2]):
            raise ValueError(
                f'{self._loss_name}: student logits '
                f'{tuple(student_logits.shape)} and teacher logits '
                f'{tuple(teacher_logits.shape)} must both be (B, '
                'num_classes, H, W) with the same B and num_classes')
        if self.resolution == 'student':
            size = student_logits.shape[2:]
        elif seg_label is not None:
            size = seg_label.shape[-2:]
        elif size is None:
            raise ValueError(
                f"{self._loss_name}: resolution='label' needs the label "
                '(seg_label) or the size to take the KL at')
        size = tuple(size)
        with torch.autocast(device_type=student_logits.device.type,
                            enabled=False):
            zs = student_logits.float()
            zt = teacher_logits.detach().float()
            if zs.shape[2:] != size:
                zs = F.interpolate(zs, size=size, mode='bilinear',
                                   align_corners=False)
            if zt.shape[2:] != size:
                zt = F.interpolate(zt, size=size, mode='bilinear',
                                   align_corners=False)
            log_ps = F.log_softmax(zs / self.tau, dim=1)
            log_pt = F.log_softmax(zt / self.tau, dim=1)
            kl = (log_pt.exp() * (log_pt - log_ps)).sum(dim=1)  # (B, H, W)
            if min_confidence is not None:
                kl = kl * (confidence(zt) >= min_confidence)
            return self.loss_weight * self.tau**2 * kl.mean()

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, loss_weight={self.loss_weight}, '
                f'resolution={self.resolution!r}')


def confidence(logits: Tensor) -> Tensor:
    """The top-class probability at each pixel: (B, K, H, W) -> (B, H, W)."""
    return F.softmax(logits.float(), dim=1).amax(dim=1)
