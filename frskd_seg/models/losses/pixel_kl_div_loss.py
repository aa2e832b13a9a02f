"""Per-pixel soft-label distillation (docs/method.md, Losses, the α term)."""
from numbers import Real

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from frskd_seg.utils.errors import ConfigError
from mmseg.registry import MODELS
from .utils import check_loss_weight, logits_at


@MODELS.register_module()
class PixelKLDivLoss(nn.Module):
    """``loss_weight · τ² · mean_pixels KL(softmax(z_t/τ) ‖ softmax(z_s/τ))``.

    Both logits are upsampled bilinearly to the label's size -- the input
    size in training -- as the official code does before its KL. KL is
    summed over classes and averaged over B·H·W pixels (the official
    ``DistillKL`` of ``segmentation/utils/distill.py``) -- not divided by B
    only, which would make it grow with H·W. The teacher logits are detached.
    Everything runs in float32 with autocast off, so fp16/bf16 training
    cannot overflow here.

    Args:
        tau (float): Temperature τ > 0 (official segmentation: 1).
        loss_weight (float): α.
        loss_name (str): Key of this term in the loss dict.

    Shapes:
        student_logits (B, K, h, w), teacher_logits (B, K, h', w'),
        seg_label (B, H, W) or (B, 1, H, W) (its size only) -> scalar.
    """

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0,
                 loss_name: str = 'loss_kd'):
        super().__init__()
        if not isinstance(tau, Real) or tau <= 0:
            raise ConfigError(f'tau must be a number > 0, got {tau!r}')
        self.tau = float(tau)
        self.loss_weight = check_loss_weight(loss_weight, loss_name)
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, student_logits: Tensor, teacher_logits: Tensor,
                seg_label: Tensor) -> Tensor:
        with torch.autocast(device_type=student_logits.device.type,
                            enabled=False):
            zs, zt = logits_at(student_logits, teacher_logits, 'label',
                               seg_label, self._loss_name)
            log_ps = F.log_softmax(zs / self.tau, dim=1)
            log_pt = F.log_softmax(zt / self.tau, dim=1)
            kl = (log_pt.exp() * (log_pt - log_ps)).sum(dim=1)  # (B, H, W)
            return self.loss_weight * self.tau**2 * kl.mean()

    def extra_repr(self) -> str:
        return f'tau={self.tau}, loss_weight={self.loss_weight}'
