"""Argument checks shared by the distillation losses."""
from numbers import Real


def check_loss_weight(loss_weight) -> float:
    if not isinstance(loss_weight, Real) or loss_weight < 0:
        raise ValueError(f'loss_weight must be a number >= 0, got '
                         f'{loss_weight!r}')
    return float(loss_weight)
