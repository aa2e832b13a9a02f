"""FitNet feature distillation, an ablation of FRSKD's feature term
(docs/method.md, Losses)."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType
from .utils import (check_channel_pairs, check_feature_pairs,
                    check_loss_weight)


@MODELS.register_module()
class FitNetLoss(nn.Module):
    """``loss_weight · Σ_i mean((r_i(F_i) − T_i.detach())²)``.

    ``r_i`` is a 1x1 conv-BN-ReLU regressor on the student side mapping
    ``F_i``'s channels to ``T_i``'s (the official ``HintLoss``). The
    regressors are trained with the student and dropped with the
    self-teacher at export. :class:`FRSKDEncoderDecoder` fills in the
    channels when the config leaves them out.

    Args:
        student_channels (Sequence[int]): Channels of F_1..F_n.
        teacher_channels (Sequence[int]): Channels of T_1..T_n.
        loss_weight (float): β.
        norm_cfg (dict): Norm of the regressors.
        loss_name (str): Key of this term in the loss dict.

    Shapes:
        n student maps (B, C_i, H_i, W_i) and n teacher maps
        (B, D_i, H_i, W_i) -> scalar (float32).
    """

    def __init__(self,
                 student_channels: Sequence[int],
                 teacher_channels: Sequence[int],
                 loss_weight: float = 1.0,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 loss_name: str = 'loss_fitnet'):
        super().__init__()
        check_channel_pairs(student_channels, teacher_channels)
        self.loss_weight = check_loss_weight(loss_weight, loss_name)
        self.regressors = nn.ModuleList(
            ConvModule(cs, ct, 1, norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'))
            for cs, ct in zip(student_channels, teacher_channels))
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, student_feats: Sequence[Tensor],
                teacher_feats: Sequence[Tensor]) -> Tensor:
        check_feature_pairs(self._loss_name, student_feats, teacher_feats,
                            len(self.regressors))
        loss = student_feats[0].new_zeros((), dtype=torch.float32)
        for regressor, fs, ft in zip(self.regressors, student_feats,
                                     teacher_feats):
            loss = loss + F.mse_loss(regressor(fs).float(),
                                     ft.detach().float())
        return self.loss_weight * loss
