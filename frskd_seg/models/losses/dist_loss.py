"""DIST: distillation by correlation (Huang et al., NeurIPS 2022), a
candidate for the logit term (docs/method.md, Losses)."""
from typing import Optional

import torch
from torch import Tensor

from mmseg.registry import MODELS
from .utils import LogitLoss, check_loss_weight


def pearson(x: Tensor, y: Tensor, eps: float = 1e-8) -> Tensor:
    """Pearson correlation of the rows of ``x`` and ``y``: (R, n) -> (R,)."""
    x = x - x.mean(dim=1, keepdim=True)
    y = y - y.mean(dim=1, keepdim=True)
    return (x * y).sum(1) / (x.norm(dim=1) * y.norm(dim=1) + eps)


@MODELS.register_module()
class DISTLoss(LogitLoss):
    """``loss_weight · τ² · (inter_weight · (1 − mean_pixels ρ(p_s, p_t))
    + intra_weight · (1 − mean_classes ρ(p_s, p_t)))``, p = softmax(z/τ).

    Pearson correlation ρ replaces the KL's match of values, so the student
    may be less sure than its teacher as long as it ranks alike. Inter-class:
    at each pixel, across the K classes. Intra-class: for each class, across
    every pixel of the batch (B·H·W): the pixels are flattened first, so no
    correlation runs across the batch dimension alone. The teacher is
    detached; everything runs in float32 with autocast off.

    Args:
        tau (float): Temperature τ > 0 (the authors' segmentation: 1).
        inter_weight (float): β, the inter-class term's weight.
        intra_weight (float): γ, the intra-class term's weight.
        loss_weight (float): The term's weight.
        resolution (str): ``'student'`` or ``'label'`` (:func:`logits_at`).
        loss_name (str): Key of this term in the loss dict.

    Shapes:
        student_logits (B, K, h, w), teacher_logits (B, K, h', w'),
        seg_label (B, [1,] H, W) (its size only) -> scalar.
    """

    def __init__(self, tau: float = 1.0, inter_weight: float = 1.0,
                 intra_weight: float = 1.0, loss_weight: float = 1.0,
                 resolution: str = 'student', loss_name: str = 'loss_dist'):
        super().__init__(tau, loss_weight, resolution, loss_name)
        self.inter_weight = check_loss_weight(inter_weight,
                                              f'{loss_name} inter_weight')
        self.intra_weight = check_loss_weight(intra_weight,
                                              f'{loss_name} intra_weight')

    def forward(self, student_logits: Tensor, teacher_logits: Tensor,
                seg_label: Optional[Tensor] = None) -> Tensor:
        with torch.autocast(device_type=student_logits.device.type,
                            enabled=False):
            zs, zt = self.logits(student_logits, teacher_logits, seg_label)
            num_classes = zs.shape[1]
            # (B·H·W, K): one row per pixel of the batch
            ps = (zs / self.tau).softmax(1).movedim(1, -1).reshape(
                -1, num_classes)
            pt = (zt / self.tau).softmax(1).movedim(1, -1).reshape(
                -1, num_classes)
            inter = 1 - pearson(ps, pt).mean()
            intra = 1 - pearson(ps.t(), pt.t()).mean()
            return self.loss_weight * self.tau**2 * (
                self.inter_weight * inter + self.intra_weight * intra)

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, inter_weight={self.inter_weight}, '
                f'intra_weight={self.intra_weight}, '
                f'loss_weight={self.loss_weight}, '
                f'resolution={self.resolution!r}')
