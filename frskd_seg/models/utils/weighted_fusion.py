"""Fast normalized fusion of BiFPN nodes (docs/method.md, Self-teacher)."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from frskd_seg.utils.errors import ConfigError


class WeightedFusion(nn.Module):
    """Fuse k same-shaped, non-negative maps: ``sum_k ŵ_k · x_k``.

    ``ŵ = relu(w) / (sum(relu(w)) + eps)`` with a learnable ``w`` initialised
    to ones (docs/method.md, Self-teacher). The official code applies
    ``F.relu`` to each term of a node; :class:`SelfTeacherNeck` applies ReLU
    once to every tensor that can be negative before it is used (laterals
    and resamplers already end in ReLU), so the per-term ReLU would be a
    no-op that only costs memory. With ``weighted=False`` the node is a plain
    sum and has no parameters (an ablation of the paper's self-teacher
    structure).

    Args:
        num_inputs (int): k, the number of fused maps (>= 2).
        weighted (bool): Learnable normalized weights, or a plain sum.
        eps (float): The normalisation's epsilon (official: 1e-6).

    Shapes:
        k tensors of (B, C, H, W), all >= 0 -> (B, C, H, W).
    """

    def __init__(self, num_inputs: int, weighted: bool = True,
                 eps: float = 1e-6):
        super().__init__()
        if num_inputs < 2:
            raise ConfigError(f'num_inputs must be >= 2, got {num_inputs!r}')
        self.num_inputs = num_inputs
        self.eps = eps
        if weighted:
            self.weight = nn.Parameter(torch.ones(num_inputs))
        else:
            self.register_parameter('weight', None)

    def normalized_weights(self) -> Tensor:
        """The k fusion weights ŵ actually applied, shape (k,)."""
        if self.weight is None:
            return torch.ones(self.num_inputs)
        w = F.relu(self.weight)
        return w / (w.sum() + self.eps)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        if len(inputs) != self.num_inputs:
            raise ValueError(f'expected {self.num_inputs} inputs to fuse, '
                             f'got {len(inputs)}')
        if self.weight is None:
            return sum(inputs)
        w = self.normalized_weights().to(inputs[0].dtype)
        return sum(w[k] * x for k, x in enumerate(inputs))

    def extra_repr(self) -> str:
        return (f'num_inputs={self.num_inputs}, '
                f'weighted={self.weight is not None}, eps={self.eps}')
