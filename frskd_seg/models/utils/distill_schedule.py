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


def distill_weight_by_epoch(cur_epoch: int, warmup_epochs: int = 0,
                            rampup_epochs: int = 0) -> float:
    """The multiplier at ``cur_epoch``, per epoch exactly as the official
    segmentation script computes it (``main.py``): 0 for the first
    ``warmup_epochs`` epochs, then ``sigmoid_rampup(e + 1 - W, R)`` =
    ``exp(-5 (1 - min((e + 1 - W) / R, 1))^2)``, so the ramp's last epoch
    (``W + R - 1``: the 60th of the official 40 + 20) has weight 1.

    Args:
        cur_epoch (int): 0-based index of the epoch being run (mmengine's
            ``MessageHub`` info ``'epoch'``).
        warmup_epochs (int): W >= 0.
        rampup_epochs (int): R >= 0.
    """
    if warmup_epochs < 0 or rampup_epochs < 0:
        raise ValueError('distillation warm-up and ramp-up lengths must be '
                         f'>= 0, got warmup_epochs={warmup_epochs!r}, '
                         f'rampup_epochs={rampup_epochs!r}')
    if cur_epoch < warmup_epochs:
        return 0.0
    return distill_weight(cur_epoch + 1 - warmup_epochs, 0, rampup_epochs)
