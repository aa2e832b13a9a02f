"""Per-pixel soft-label distillation (docs/method.md, Losses, the α term)."""
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from mmseg.registry import MODELS
from .utils import LogitLoss


@MODELS.register_module()
class PixelKLDivLoss(LogitLoss):
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
        super().__init__(tau, loss_weight, 'label', loss_name)

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
            zs, zt = self.logits(student_logits, teacher_logits, seg_label)
            log_ps = F.log_softmax(zs / self.tau, dim=1)
            log_pt = F.log_softmax(zt / self.tau, dim=1)
            kl = (log_pt.exp() * (log_pt - log_ps)).sum(dim=1)  # (B, H, W)
            return self.loss_weight * self.tau**2 * kl.mean()

    def extra_repr(self) -> str:
        return f'tau={self.tau}, loss_weight={self.loss_weight}'
