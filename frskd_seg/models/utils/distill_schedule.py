"""Schedule of the distillation weights (FRSKD_SPEC §5)."""
import math


def distill_weight(cur_iter: int, warmup_iters: int = 0,
                   rampup_iters: int = 0) -> float:
    """Multiplier in [0, 1] applied to both distillation terms at ``cur_iter``.

    The official segmentation schedule, in iterations: 0 for the first
    ``warmup_iters`` iterations (the self-teacher still trains with its CE), then
    the sigmoid ramp-up ``exp(-5 (1 - t / R)^2)`` with ``t = cur_iter -
    warmup_iters`` and ``R = rampup_iters``, then 1. ``warmup_iters =
    rampup_iters = 0`` gives constant weights from iteration 0.

    Args:
        cur_iter (int): 0-based index of the iteration being run (mmengine's
            ``MessageHub`` info ``'iter'``).
        warmup_iters (int): W >= 0.
        rampup_iters (int): R >= 0.
    """
    if warmup_iters < 0 or rampup_iters < 0:
        raise ValueError('distillation warm-up and ramp-up lengths must be '
                         f'>= 0, got warmup_iters={warmup_iters!r}, '
                         f'rampup_iters={rampup_iters!r}')
    if cur_iter < warmup_iters:
        return 0.0
    if rampup_iters == 0:
        return 1.0
    phase = min(max(cur_iter - warmup_iters, 0) / rampup_iters, 1.0)
    return float(math.exp(-5.0 * (1.0 - phase)**2))
