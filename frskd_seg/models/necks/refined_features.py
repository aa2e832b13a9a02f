"""What every self-teacher returns (docs/method.md, "Self-teacher")."""
from typing import Optional, Sequence

import torch.nn as nn
from torch import Tensor


class RefinedFeatures(tuple):
    """The refined maps ``T_1..T_n`` of a self-teacher, finest first: a tuple
    of (B, d_i, H_i, W_i) tensors, so any mmseg decode head reads it as its
    inputs -- with what feature losses may need beside the maps.

    Attributes:
        preacts (tuple[Tensor] | None): The maps before their final
            activation (same shapes), for losses that compare pre-ReLU
            features (:class:`OverhaulLoss`); None where the self-teacher
            has no such activation to report.
        norms (list[nn.Module] | None): The norm layer that produced each
            pre-activation (its affine parameters set Overhaul's margins).
    """

    preacts: Optional[tuple]
    norms: Optional[list]

    def __new__(cls, maps: Sequence[Tensor],
                preacts: Optional[Sequence[Tensor]] = None,
                norms: Optional[Sequence[nn.Module]] = None):
        out = super().__new__(cls, maps)
        if preacts is not None and len(preacts) != len(out):
            raise ValueError(f'{len(out)} refined maps but {len(preacts)} '
                             'pre-activations')
        out.preacts = None if preacts is None else tuple(preacts)
        out.norms = None if norms is None else list(norms)
        return out
