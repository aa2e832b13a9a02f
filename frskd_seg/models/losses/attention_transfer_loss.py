"""Attention-transfer feature distillation, the β term (docs/method.md,
Losses)."""
from typing import Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS
from .utils import check_feature_pairs, check_loss_weight, check_positive

Feats = Union[Tensor, Sequence[Tensor]]


def spatial_attention(feat: Tensor, p: float = 2.0) -> Tensor:
    """``a(f) = normalize_L2(mean_c |f|^p)`` flattened per sample.

    Zagoruyko & Komodakis' activation-based attention, computed in float32.

    Shapes:
        (B, C, H, W) -> (B, H*W), each row of unit L2 norm.
    """
    if feat.dtype in (torch.float16, torch.bfloat16):
        # Under AMP, feat.float() would be saved for backward: a float32
        # copy of every student level alive until backward (~0.3 GB per GPU
        # for R50-D8 at 4x512^2). The norm reduces over channels in float32
        # from the half-precision tensor autograd keeps anyway.
        att = torch.linalg.vector_norm(
            feat, ord=p, dim=1, dtype=torch.float32).pow(p) / feat.shape[1]
    else:
        feat = feat.float()
        att = (feat.abs().pow(p) if p != 2 else feat.pow(2)).mean(dim=1)
    return F.normalize(att.flatten(1), dim=1)


@MODELS.register_module()
class AttentionTransferLoss(nn.Module):
    """``loss_weight · Σ_i mean_{b, positions} (a(F_i) − a(T_i.detach()))²``.

    The official FRSKD form (``segmentation/utils/distill.py``): a *mean* over
    batch and positions, so the value shrinks as H·W grows; the official β
    (50 for segmentation, 100 for classification) was tuned to this form, so
    it is kept as is. Student and teacher maps may have different channels
    but must share their spatial size. Computed in float32 (safe under AMP).

    Args:
        p (float): Power of the attention map (official: 2).
        loss_weight (float): β.
        loss_name (str): Key of this term in the loss dict; must contain
            'loss' for mmengine to add it to the total.

    Shapes:
        student_feats, teacher_feats: one (B, C_s, H, W) / (B, C_t, H, W)
        tensor each, or equally long sequences of them (summed over levels).
        Returns a scalar.
    """

    def __init__(self, p: float = 2.0, loss_weight: float = 1.0,
                 loss_name: str = 'loss_at'):
        super().__init__()
        self.p = check_positive(p, 'p', loss_name)
        self.loss_weight = check_loss_weight(loss_weight, loss_name)
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, student_feats: Feats, teacher_feats: Feats) -> Tensor:
        if isinstance(student_feats, Tensor):
            student_feats = [student_feats]
        if isinstance(teacher_feats, Tensor):
            teacher_feats = [teacher_feats]
        check_feature_pairs(self._loss_name, student_feats, teacher_feats,
                            len(student_feats))
        loss = student_feats[0].new_zeros((), dtype=torch.float32)
        for fs, ft in zip(student_feats, teacher_feats):
            diff = spatial_attention(fs, self.p) - spatial_attention(
                ft.detach(), self.p)
            loss = loss + diff.pow(2).mean()
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return f'p={self.p}, loss_weight={self.loss_weight}'
