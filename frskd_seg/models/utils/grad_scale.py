"""Scale the gradient that flows back through a tensor."""
from torch import Tensor


def scale_grad(x: Tensor, scale: float) -> Tensor:
    """``x`` in the forward pass; in the backward pass the gradient reaching
    ``x`` is multiplied by ``scale`` (1: unchanged, 0: ``x.detach()``)."""
    if scale == 1:
        return x
    if scale == 0:
        return x.detach()
    return x * scale + x.detach() * (1 - scale)
