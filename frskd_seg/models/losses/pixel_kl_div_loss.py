"""Per-pixel soft-label distillation (docs/method.md, Losses, the α term)."""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from mmseg.registry import MODELS
from .utils import check_loss_weight, check_positive


@MODELS.register_module()
class PixelKLDivLoss(nn.Module):
    """``loss_weight · τ² · mean_pixels KL(softmax(z_t/τ) ‖ softmax(z_s/τ))``.

    Both logits are upsampled bilinearly to the label's size -- the input
    size in training -- as the official code does before its KL. KL is
    summed over classes and averaged over B·H·W pixels (the official
    ``DistillKL`` of ``segmentation/utils/distill.py``) -- not divided by B
    only, which would make it grow with H·W. The teacher logits are detached.
    Everything runs in float32 with autocast off, so fp16/bf16 training
    cannot overflow here. The backward pass computes the full-size maps again
    from the logits as given, instead of keeping them from the forward pass
    (the same values and gradients, bit for bit; docs/cost.md).

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
        self.tau = check_positive(tau, 'tau', loss_name)
        self.loss_weight = check_loss_weight(loss_weight, loss_name)
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, student_logits: Tensor, teacher_logits: Tensor,
                seg_label: Tensor) -> Tensor:
        if not student_logits.requires_grad or not torch.is_grad_enabled():
            return self._loss(student_logits, teacher_logits, seg_label)
        # the upsampled logits and softmaxes at the label's size are the
        # largest tensors of the step after the backbone's: recomputing them
        # costs a fraction of a percent of the step's time
        return checkpoint(self._loss, student_logits, teacher_logits,
                          seg_label, use_reentrant=False)

    def _loss(self, student_logits: Tensor, teacher_logits: Tensor,
              seg_label: Tensor) -> Tensor:
        with torch.autocast(device_type=student_logits.device.type,
                            enabled=False):
            zs, zt = self.logits_at_label(student_logits, teacher_logits,
                                          seg_label)
            log_ps = F.log_softmax(zs / self.tau, dim=1)
            log_pt = F.log_softmax(zt / self.tau, dim=1)
            kl = (log_pt.exp() * (log_pt - log_ps)).sum(dim=1)  # (B, H, W)
            return self.loss_weight * self.tau**2 * kl.mean()

    def logits_at_label(self, student_logits: Tensor, teacher_logits: Tensor,
                        seg_label: Tensor) -> Tuple[Tensor, Tensor]:
        """Both logits in float32 at ``seg_label``'s size, upsampled
        bilinearly, the teacher's detached.

        Shapes:
            (B, K, h, w) and (B, K, h', w'), ``seg_label`` (B, [1,] H, W)
            -> two (B, K, H, W) tensors.
        """
        if (student_logits.dim() != 4 or teacher_logits.dim() != 4
                or teacher_logits.shape[:2] != student_logits.shape[:2]):
            raise ValueError(
                f'{self._loss_name}: student logits '
                f'{tuple(student_logits.shape)} and teacher logits '
                f'{tuple(teacher_logits.shape)} must both be (B, '
                'num_classes, H, W) with the same B and num_classes')
        if seg_label is None:
            raise ValueError(f'{self._loss_name}: needs the label (seg_label) '
                             'to take the loss at its size')
        size = tuple(seg_label.shape[-2:])
        zs = student_logits.float()
        zt = teacher_logits.detach().float()
        if zs.shape[2:] != size:
            zs = F.interpolate(zs, size=size, mode='bilinear',
                               align_corners=False)
        if zt.shape[2:] != size:
            zt = F.interpolate(zt, size=size, mode='bilinear',
                               align_corners=False)
        return zs, zt

    def extra_repr(self) -> str:
        return f'tau={self.tau}, loss_weight={self.loss_weight}'
