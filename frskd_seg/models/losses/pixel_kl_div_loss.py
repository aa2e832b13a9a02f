"""Per-pixel soft-label distillation (FRSKD_SPEC §4, the α term)."""
from numbers import Real
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS
from .utils import check_loss_weight


@MODELS.register_module()
class PixelKLDivLoss(nn.Module):
    """``loss_weight · τ² · mean_pixels KL(softmax(z_t/τ) ‖ softmax(z_s/τ))``.

    KL is summed over classes and averaged over B·H·W pixels (the official
    ``DistillKL`` of ``segmentation/utils/distill.py``) — not divided by B
    only, which would make it grow with H·W. The teacher logits are detached.
    Everything runs in float32 with autocast off, so fp16/bf16 training cannot
    overflow here. If the teacher's map differs in size from the student's,
    it is bilinearly resized to the student's. With ``ignore_index`` set and
    a label given, pixels labelled ``ignore_index`` (nearest-resized to the
    logits' size) are left out of the average; the official code keeps them,
    so this is off by default.

    Args:
        tau (float): Temperature τ > 0 (official segmentation: 1).
        loss_weight (float): α.
        ignore_index (int, optional): Label to leave out, e.g. 255.
        loss_name (str): Key of this term in the loss dict.

    Shapes:
        student_logits (B, K, H, W), teacher_logits (B, K, H', W'),
        seg_label (B, H'', W'') or (B, 1, H'', W'') -> scalar.
    """

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0,
                 ignore_index: Optional[int] = None,
                 loss_name: str = 'loss_kd'):
        super().__init__()
        if not isinstance(tau, Real) or tau <= 0:
            raise ValueError(f'tau must be a number > 0, got {tau!r}')
        self.tau = float(tau)
        self.loss_weight = check_loss_weight(loss_weight)
        self.ignore_index = ignore_index
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, student_logits: Tensor, teacher_logits: Tensor,
                seg_label: Optional[Tensor] = None) -> Tensor:
        if (student_logits.dim() != 4
                or teacher_logits.shape[:2] != student_logits.shape[:2]):
            raise ValueError(
                f'{self._loss_name}: student logits {tuple(student_logits.shape)}'
                f' and teacher logits {tuple(teacher_logits.shape)} must both '
                'be (B, num_classes, H, W) with the same B and num_classes')
        with torch.autocast(device_type=student_logits.device.type,
                            enabled=False):
            zs = student_logits.float()
            zt = teacher_logits.detach().float()
            if zt.shape[2:] != zs.shape[2:]:
                zt = F.interpolate(zt, size=zs.shape[2:], mode='bilinear',
                                   align_corners=False)
            log_ps = F.log_softmax(zs / self.tau, dim=1)
            log_pt = F.log_softmax(zt / self.tau, dim=1)
            kl = (log_pt.exp() * (log_pt - log_ps)).sum(dim=1)  # (B, H, W)
            if self.ignore_index is not None and seg_label is not None:
                valid = self._valid_mask(seg_label, kl.shape[1:])
                kl_mean = (kl * valid).sum() / valid.sum().clamp(min=1)
            else:
                kl_mean = kl.mean()
            return self.loss_weight * self.tau**2 * kl_mean

    def _valid_mask(self, seg_label: Tensor, size) -> Tensor:
        if seg_label.dim() == 3:
            seg_label = seg_label[:, None]
        if seg_label.shape[2:] != size:
            seg_label = F.interpolate(seg_label.float(), size=size,
                                      mode='nearest')
        return (seg_label[:, 0] != self.ignore_index).float()

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, loss_weight={self.loss_weight}, '
                f'ignore_index={self.ignore_index}')
