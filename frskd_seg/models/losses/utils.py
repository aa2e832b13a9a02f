"""Argument checks shared by the distillation losses."""
from numbers import Real
from typing import Optional, Tuple

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from frskd_seg.utils.errors import ConfigError


def check_loss_weight(loss_weight, loss_name: str = 'loss') -> float:
    """``loss_weight`` as a float; a ValueError naming the loss unless it
    is a number >= 0."""
    if not isinstance(loss_weight, Real) or loss_weight < 0:
        raise ConfigError(f'{loss_name}: loss_weight must be a number >= 0, '
                          f'got {loss_weight!r}')
    return float(loss_weight)


def check_feature_pairs(loss_name: str, student_feats, teacher_feats,
                        num_levels: int) -> None:
    """Same number of levels (``num_levels``) and spatial sizes."""
    if not len(student_feats) == len(teacher_feats) == num_levels:
        raise ValueError(
            f'{loss_name}: got {len(student_feats)} student and '
            f'{len(teacher_feats)} teacher feature maps, expected '
            f'{num_levels} of each')
    for level, (fs, ft) in enumerate(zip(student_feats, teacher_feats)):
        if fs.shape[0] != ft.shape[0] or fs.shape[2:] != ft.shape[2:]:
            raise ValueError(
                f'{loss_name}: level {level} student shape {tuple(fs.shape)} '
                f'and teacher shape {tuple(ft.shape)} differ in batch or '
                'spatial size')


def check_channel_pairs(student_channels, teacher_channels) -> None:
    """One teacher width per student level, for losses with adapters."""
    if len(student_channels) != len(teacher_channels):
        raise ConfigError(
            f'student_channels {list(student_channels)} and '
            f'teacher_channels {list(teacher_channels)} differ in length')


#: where a logit loss compares the two maps
LOGIT_RESOLUTIONS = ('student', 'label')


def check_resolution(resolution, loss_name: str) -> str:
    """``resolution`` if it is one of :data:`LOGIT_RESOLUTIONS`."""
    if resolution not in LOGIT_RESOLUTIONS:
        raise ConfigError(f'{loss_name}: resolution must be one of '
                          f'{LOGIT_RESOLUTIONS}, got {resolution!r}')
    return resolution


def logits_at(student_logits: Tensor, teacher_logits: Tensor,
              resolution: str, seg_label: Optional[Tensor],
              loss_name: str) -> Tuple[Tensor, Tensor]:
    """Both logits in float32, the teacher's detached, at one size:
    ``'student'``: the student's, the teacher's average-pooled to it (each
    student position gets the mean of the teacher's logits over the area it
    covers); ``'label'``: ``seg_label``'s (the input size in training), both
    upsampled bilinearly.

    Shapes:
        (B, K, h, w) and (B, K, h', w'), ``seg_label`` (B, [1,] H, W) ->
        two (B, K, h, w) or (B, K, H, W) tensors.
    """
    if (student_logits.dim() != 4 or teacher_logits.dim() != 4
            or teacher_logits.shape[:2] != student_logits.shape[:2]):
        raise ValueError(
            f'{loss_name}: student logits {tuple(student_logits.shape)} and '
            f'teacher logits {tuple(teacher_logits.shape)} must both be (B, '
            'num_classes, H, W) with the same B and num_classes')
    zs = student_logits.float()
    zt = teacher_logits.detach().float()
    if resolution == 'student':
        if zt.shape[2:] != zs.shape[2:]:
            zt = F.adaptive_avg_pool2d(zt, zs.shape[2:])
        return zs, zt
    if seg_label is None:
        raise ValueError(f"{loss_name}: resolution='label' needs the label "
                         '(seg_label) to take the loss at its size')
    size = tuple(seg_label.shape[-2:])
    if zs.shape[2:] != size:
        zs = F.interpolate(zs, size=size, mode='bilinear',
                           align_corners=False)
    if zt.shape[2:] != size:
        zt = F.interpolate(zt, size=size, mode='bilinear',
                           align_corners=False)
    return zs, zt


class LogitLoss(nn.Module):
    """What the logit distillation terms share: a temperature τ > 0, a
    weight, where the two logit maps are compared (:func:`logits_at`) and
    the term's key in the loss dict."""

    def __init__(self, tau: float, loss_weight: float, resolution: str,
                 loss_name: str):
        super().__init__()
        if not isinstance(tau, Real) or tau <= 0:
            raise ConfigError(f'{loss_name}: tau must be a number > 0, got '
                              f'{tau!r}')
        self.tau = float(tau)
        self.loss_weight = check_loss_weight(loss_weight, loss_name)
        self.resolution = check_resolution(resolution, loss_name)
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def logits(self, student_logits: Tensor, teacher_logits: Tensor,
               seg_label: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """Both logits in float32 at :attr:`resolution`, the teacher's
        detached (:func:`logits_at`)."""
        return logits_at(student_logits, teacher_logits, self.resolution,
                         seg_label, self._loss_name)
