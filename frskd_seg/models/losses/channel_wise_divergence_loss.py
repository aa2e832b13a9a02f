"""Channel-wise distillation of logits (Shu et al., ICCV 2021), a candidate
for the logit term (docs/method.md, Losses)."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS
from .utils import LogitLoss


@MODELS.register_module()
class ChannelWiseDivergenceLoss(LogitLoss):
    """``loss_weight · τ² · mean_{b, k} KL(softmax_HW(z_t[b,k]/τ) ‖
    softmax_HW(z_s[b,k]/τ))``.

    Each class channel of each image is turned into a distribution over its
    H·W positions (where in the image the class sits), and the student's is
    pulled towards the self-teacher's: the KL is summed over positions and
    averaged over the B·K channels (the paper's normalisation). The teacher
    is detached; everything runs in float32 with autocast off.

    Args:
        tau (float): Temperature τ > 0 (segmentation KD works: 4).
        loss_weight (float): The term's weight (segmentation KD works: 3).
        resolution (str): ``'student'``: at the student's logit size, the
            self-teacher's logits average-pooled to it; ``'label'``: both
            upsampled to the label's size (:func:`logits_at`).
        loss_name (str): Key of this term in the loss dict.

    Shapes:
        student_logits (B, K, h, w), teacher_logits (B, K, h', w'),
        seg_label (B, [1,] H, W) (its size only) -> scalar.
    """

    def __init__(self, tau: float = 4.0, loss_weight: float = 3.0,
                 resolution: str = 'student', loss_name: str = 'loss_cwd'):
        super().__init__(tau, loss_weight, resolution, loss_name)

    def forward(self, student_logits: Tensor, teacher_logits: Tensor,
                seg_label: Optional[Tensor] = None) -> Tensor:
        with torch.autocast(device_type=student_logits.device.type,
                            enabled=False):
            zs, zt = self.logits(student_logits, teacher_logits, seg_label)
            zs = zs.flatten(2) / self.tau  # (B, K, positions)
            zt = zt.flatten(2) / self.tau
            log_pt = F.log_softmax(zt, dim=2)
            kl = (log_pt.exp() * (log_pt - F.log_softmax(zs, dim=2))).sum(2)
            return self.loss_weight * self.tau**2 * kl.mean()

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, loss_weight={self.loss_weight}, '
                f'resolution={self.resolution!r}')
