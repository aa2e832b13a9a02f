"""Overhaul feature distillation (Heo et al., ICCV 2019), an ablation of
FRSKD's feature term (docs/method.md, Losses)."""
import math
from typing import Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType
from .utils import (check_channel_pairs, check_feature_pairs,
                    check_loss_weight)


def bn_margin(weight: Tensor, bias: Tensor) -> Tensor:
    """Per-channel margin ``E[x | x < 0]`` for ``x ~ N(bias, |weight|²)``:
    the expected negative response of a BN output before its ReLU;
    ``-3 |weight|`` where P(x < 0) <= 0.001 (as the official code).

    Shapes:
        (C,), (C,) -> (C,)
    """
    std = weight.detach().abs().double().clamp(min=1e-12)
    mean = bias.detach().double()
    z = mean / std
    cdf = 0.5 * torch.erfc(z / math.sqrt(2))  # P(x < 0) = Φ(-mean/std)
    pdf = torch.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
    margin = mean - std * pdf / cdf.clamp(min=1e-300)
    return torch.where(cdf > 0.001, margin, -3 * std).float()


@MODELS.register_module()
class OverhaulLoss(nn.Module):
    """Partial L2 between connected student features and margin-clipped
    pre-ReLU teacher features (the official FRSKD ``OD`` loss)::

        t_i = max(T_i^pre.detach(), m_i)      m_i: bn_margin of T_i's last BN
        s_i = BN(conv1x1(F_i))                 the connector
        loss = loss_weight · Σ_i 2^-(n-1-i) · Σ_{(s>t) or (t>0)} (s − t)² / B

    ``T_i^pre`` are the self-teacher's outputs before their final ReLU and
    ``m_i`` comes from the current (detached) affine parameters of the norm
    layer that produced them; the official code computes the margins once at
    construction, when those are still 1 and 0. Both come with the
    self-teacher's output (:class:`RefinedFeatures` ``preacts`` and
    ``norms``: :class:`SelfTeacherNeck` gives them); the segmentor fills in
    the channels.

    Args:
        student_channels (Sequence[int]): Channels of F_1..F_n.
        teacher_channels (Sequence[int]): Channels of T_1..T_n.
        loss_weight (float): β.
        norm_cfg (dict): Norm of the connectors.
        loss_name (str): Key of this term in the loss dict.
    """
    #: reads the pre-activations of the self-teacher's output (checked at
    #: build against the self-teacher's ``gives_preacts``)
    needs_preacts = True

    def __init__(self,
                 student_channels: Sequence[int],
                 teacher_channels: Sequence[int],
                 loss_weight: float = 1.0,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 loss_name: str = 'loss_overhaul'):
        super().__init__()
        check_channel_pairs(student_channels, teacher_channels)
        self.loss_weight = check_loss_weight(loss_weight, loss_name)
        self.connectors = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(cs, ct, 1, bias=False),
                build_norm_layer(norm_cfg, ct)[1])
            for cs, ct in zip(student_channels, teacher_channels))
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, student_feats: Sequence[Tensor],
                teacher_feats) -> Tensor:
        """``student_feats``: n (B, C_i, H_i, W_i); ``teacher_feats``: the
        self-teacher's :class:`RefinedFeatures`, with ``preacts`` and
        ``norms``. Returns a scalar (float32)."""
        teacher_preacts = getattr(teacher_feats, 'preacts', None)
        teacher_norms = getattr(teacher_feats, 'norms', None)
        if teacher_preacts is None or teacher_norms is None:
            raise ValueError(
                f'{self._loss_name}: the teacher features carry no '
                'pre-activations and norms (a RefinedFeatures from a '
                'self-teacher with gives_preacts, e.g. SelfTeacherNeck)')
        n = len(self.connectors)
        check_feature_pairs(self._loss_name, student_feats, teacher_preacts,
                            n)
        loss = student_feats[0].new_zeros((), dtype=torch.float32)
        for i, (connector, fs, ft, norm) in enumerate(
                zip(self.connectors, student_feats, teacher_preacts,
                    teacher_norms)):
            margin = bn_margin(norm.weight, norm.bias).view(1, -1, 1, 1)
            target = torch.max(ft.detach().float(), margin.to(ft.device))
            source = connector(fs).float()
            mask = (source > target) | (target > 0)
            level = ((source - target)**2 * mask).sum() / fs.shape[0]
            loss = loss + level / 2**(n - i - 1)
        return self.loss_weight * loss
