"""Feature mimicking through a connector, a candidate for the feature term
(docs/method.md, Losses)."""
from numbers import Integral
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from frskd_seg.utils.errors import ConfigError
from mmseg.registry import MODELS
from .utils import check_loss_weight


def _check_level(level, channels: Sequence[int], name: str) -> int:
    if not isinstance(level, Integral) or not -len(channels) <= level < len(
            channels):
        raise ConfigError(f'{name}={level!r} is out of range for '
                          f'{len(channels)} levels (channels '
                          f'{list(channels)})')
    return int(level)


@MODELS.register_module()
class FeatureMimicLoss(nn.Module):
    """``loss_weight · mean((c(F_s) − pool(T_t.detach()))²)``.

    One student map ``F_s`` (``student_level``; by default the last of what
    the self-teacher reads: the map the student's decode head classifies)
    goes through a learned 1x1 connector ``c`` to the width of one refined
    map ``T_t`` (``teacher_level``; by default T1, the self-teacher's fused
    finest level), and is pulled towards it. ``T_t`` is average-pooled to
    ``F_s``'s size (T1 at stride 4, the decoder's map at stride 8). The
    connector trains with the student and is dropped with the self-teacher
    at export. :class:`FRSKDEncoderDecoder` fills in the channels when the
    config leaves them out. Computed in float32, teacher detached.

    Args:
        student_channels (Sequence[int]): Channels of every student map.
        teacher_channels (Sequence[int]): Channels of every refined map.
        student_level (int): Index of ``F_s`` in the student maps.
        teacher_level (int): Index of ``T_t`` in the refined maps.
        loss_weight (float): The term's weight.
        loss_name (str): Key of this term in the loss dict.

    Shapes:
        student maps (B, C_i, H_i, W_i), refined maps (B, D_j, H_j, W_j)
        with ``T_t`` at least as large as ``F_s`` -> scalar.
    """

    def __init__(self,
                 student_channels: Sequence[int],
                 teacher_channels: Sequence[int],
                 student_level: int = -1,
                 teacher_level: int = 0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_mimic'):
        super().__init__()
        self.student_level = _check_level(student_level, student_channels,
                                          f'{loss_name}: student_level')
        self.teacher_level = _check_level(teacher_level, teacher_channels,
                                          f'{loss_name}: teacher_level')
        self.loss_weight = check_loss_weight(loss_weight, loss_name)
        self.connector = nn.Conv2d(student_channels[self.student_level],
                                   teacher_channels[self.teacher_level], 1)
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, student_feats: Sequence[Tensor],
                teacher_feats: Sequence[Tensor]) -> Tensor:
        fs = student_feats[self.student_level]
        ft = teacher_feats[self.teacher_level].detach()
        if ft.shape[0] != fs.shape[0] or ft.shape[2] < fs.shape[2] \
                or ft.shape[3] < fs.shape[3]:
            raise ValueError(
                f'{self._loss_name}: teacher map {tuple(ft.shape)} must have '
                f'the batch of the student map {tuple(fs.shape)} and be at '
                'least as large')
        with torch.autocast(device_type=fs.device.type, enabled=False):
            mimic = self.connector(fs.float())
            ft = F.adaptive_avg_pool2d(ft.float(), fs.shape[2:])
            return self.loss_weight * F.mse_loss(mimic, ft)

    def extra_repr(self) -> str:
        return (f'student_level={self.student_level}, '
                f'teacher_level={self.teacher_level}, '
                f'loss_weight={self.loss_weight}')
