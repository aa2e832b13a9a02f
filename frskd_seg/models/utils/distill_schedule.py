"""The distillation schedule w(t) (docs/method.md, "Schedule"): one object
that computes the weights, resolves lengths given as fractions of the run,
and says when a run ends before distillation does."""
import logging
import math
import warnings
from numbers import Integral, Real
from typing import Optional, Tuple, Union

from mmengine.logging import MessageHub, print_log

from mmseg.registry import MODELS

Length = Union[int, float]


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


@MODELS.register_module()
class DistillSchedule:
    """w(t): 0 for a warm-up, a sigmoid ramp-up, then 1 (the official
    schedule), in iterations or (``by_epoch``) in epochs.

    A length is an int (iterations or epochs) or a float in [0, 1]: a
    fraction of the run, resolved against the training loop's length N, so a
    shortened run keeps its proportions -- ``warmup=2/3, rampup=1/3``
    distils over the last third of any run. The ramp's start and end fall at
    ``floor(f * N)`` of their fractions (``N * 2 // 3`` and N for 2/3 + 1/3).

    Args:
        warmup (int | float): W: weight 0 before it.
        rampup (int | float): R: the sigmoid ramp ``exp(-5 (1 - t/R)^2)``
            after the warm-up; 0: full weight at once.
        by_epoch (bool): Lengths and progress in epochs, per epoch as the
            official ``main.py`` steps it (:func:`distill_weight_by_epoch`),
            for an ``EpochBasedTrainLoop``.
    """

    def __init__(self, warmup: Length = 0, rampup: Length = 0,
                 by_epoch: bool = False):
        for name, value in (('warmup', warmup), ('rampup', rampup)):
            if isinstance(value, bool) or not (
                    (isinstance(value, Integral) and value >= 0) or
                    (isinstance(value, Real) and 0 <= value <= 1)):
                raise ValueError(
                    f'distill_schedule {name} must be an int >= 0 '
                    '(iterations or epochs) or a float in [0, 1] (a fraction '
                    f'of the run), got {value!r}')
        fractions = [v for v in (warmup, rampup) if not isinstance(
            v, Integral)]
        if sum(fractions) > 1 + 1e-9 and len(fractions) == 2:
            raise ValueError(
                f'distill_schedule warmup={warmup} + rampup={rampup} is more '
                'than the whole run')
        self.warmup = warmup
        self.rampup = rampup
        self.by_epoch = bool(by_epoch)
        self._warned = False

    @property
    def unit(self) -> str:
        return 'epochs' if self.by_epoch else 'iterations'

    @property
    def relative(self) -> bool:
        """Whether a length is a fraction of the run."""
        return not (isinstance(self.warmup, Integral)
                    and isinstance(self.rampup, Integral))

    def lengths(self, run_length: Optional[int] = None) -> Tuple[int, int]:
        """(W, R) in :attr:`unit` for a run of ``run_length`` of them."""
        if self.relative and run_length is None:
            raise ValueError(
                f'distill_schedule warmup={self.warmup}, rampup='
                f'{self.rampup} are fractions of the run: they need its '
                f'length in {self.unit} (max_iters / max_epochs of the '
                "training loop: mmengine's RuntimeInfoHook puts them in the "
                'MessageHub before training; outside a Runner, call '
                "MessageHub.get_current_instance().update_info('max_iters', "
                'N))')

        def point(fraction):  # 1e-9: 0.29 * 100 is 28.999999999999996
            return int(math.floor(fraction * run_length + 1e-9))

        if isinstance(self.warmup, Integral):
            warmup = int(self.warmup)
            end = warmup + (int(self.rampup) if isinstance(
                self.rampup, Integral) else point(self.rampup))
        else:
            warmup = point(self.warmup)
            end = (warmup + int(self.rampup) if isinstance(
                self.rampup, Integral) else point(self.warmup + self.rampup))
        return warmup, end - warmup

    def weight(self, progress: int, run_length: Optional[int] = None) -> float:
        """w at ``progress`` (0-based iteration, or epoch with ``by_epoch``)
        of a run of ``run_length``."""
        warmup, rampup = self.lengths(run_length)
        if self.by_epoch:
            return distill_weight_by_epoch(progress, warmup, rampup)
        return distill_weight(progress, warmup, rampup)

    def current(self) -> float:
        """w of the iteration (epoch) being run, read from mmengine's
        ``MessageHub`` (``'iter'``/``'epoch'``, 0 outside a training loop;
        the run's length from ``'max_iters'``/``'max_epochs'``). Warns once
        when the run ends before the ramp-up does."""
        hub = MessageHub.get_current_instance()
        unit = 'epoch' if self.by_epoch else 'iter'
        run_length = hub.get_info(f'max_{unit}s')
        if run_length is not None and not self._warned:
            self._warned = True
            warning = self.short_run_warning(run_length)
            if warning:
                print_log(warning, logger='current', level=logging.WARNING)
        return self.weight(hub.get_info(unit, 0), run_length)

    def warmup_end(self, run_length: Optional[int] = None) -> int:
        """The first iteration (epoch) with a non-zero weight."""
        return self.lengths(run_length)[0]

    def short_run_warning(self, run_length: int) -> Optional[str]:
        """A message when a run of ``run_length`` ends before the ramp-up
        does (None when it does not)."""
        warmup, rampup = self.lengths(run_length)
        if run_length >= warmup + rampup:
            return None
        reached = self.weight(run_length - 1, run_length)
        what = ('never distils: its weight stays 0' if reached == 0 else
                f'distils at a weight of at most {reached:.3g}')
        return (f'the distillation schedule (warm-up {warmup} + ramp-up '
                f'{rampup} {self.unit}) ends after the training loop '
                f'({run_length} {self.unit}), so this run {what}. Give the '
                'schedule as fractions of the run (model.distill_schedule='
                "dict(type='DistillSchedule', warmup=2/3, rampup=1/3)) or "
                f'shorter lengths in {self.unit}')

    def check_loop(self, train_cfg: dict) -> None:
        """Refuse a schedule in epochs with a loop that is not epoch-based:
        an ``IterBasedTrainLoop`` runs "1 epoch", so the weights would stay
        at their warm-up value."""
        if not self.by_epoch:
            return
        train_cfg = train_cfg or {}
        by_epoch = train_cfg.get('type') == 'EpochBasedTrainLoop' or (
            'type' not in train_cfg and train_cfg.get('by_epoch', False))
        if not by_epoch:
            raise ValueError(
                'the model gives its distillation schedule in epochs '
                f'({self!r}) but train_cfg is not an EpochBasedTrainLoop '
                f"(got {train_cfg.get('type', train_cfg)!r}): use "
                "train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=...) "
                'or a schedule in iterations (by_epoch=False)')

    def __repr__(self) -> str:
        return (f'DistillSchedule(warmup={self.warmup}, rampup={self.rampup},'
                f' by_epoch={self.by_epoch})')


#: the official proportions, as fractions of any run: no distillation for
#: the first 2/3, a sigmoid ramp-up over the last third (what an FRSKD model
#: without a ``distill_schedule`` gets)
DEFAULT_SCHEDULE = dict(type='DistillSchedule', warmup=2 / 3, rampup=1 / 3)
#: the schedule's keys before DistillSchedule, and what they became
DEPRECATED_SCHEDULE_KEYS = ('distill_warmup_iters', 'distill_rampup_iters',
                            'distill_warmup_epochs', 'distill_rampup_epochs')


def model_distill_schedule(model_cfg: dict) -> DistillSchedule:
    """The :class:`DistillSchedule` an FRSKD model config builds: what tools
    and studies ask instead of reading the schedule's keys themselves."""
    return build_distill_schedule(
        model_cfg.get('distill_schedule'),
        **{k: model_cfg.get(k) for k in DEPRECATED_SCHEDULE_KEYS})


def _with_default(schedule, deprecated: dict):
    if schedule is None and all(v is None for v in deprecated.values()):
        return dict(DEFAULT_SCHEDULE)
    if isinstance(schedule, dict) and 'type' not in schedule:
        # --cfg-options model.distill_schedule.warmup=... on a config that
        # relies on the default writes a dict without a type
        return dict(schedule, type='DistillSchedule')
    return schedule


def build_distill_schedule(schedule=None, **deprecated) -> DistillSchedule:
    """The model's :class:`DistillSchedule` from its ``distill_schedule``
    config (a dict, its ``type`` DistillSchedule unless given, or a built
    schedule), or from the deprecated keys :data:`DEPRECATED_SCHEDULE_KEYS`
    (None where not given; a ``FutureWarning`` where given). None and no
    keys: :data:`DEFAULT_SCHEDULE`."""
    schedule = _with_default(schedule, deprecated)
    given = {k: v for k, v in deprecated.items() if v is not None}
    unknown = set(given) - set(DEPRECATED_SCHEDULE_KEYS)
    if unknown:
        raise TypeError(f'unknown schedule keys {sorted(unknown)}')
    if given and schedule is not None:
        raise ValueError(
            f'give the distillation schedule once: distill_schedule='
            f'{schedule!r} and the deprecated {sorted(given)}')
    if isinstance(schedule, DistillSchedule):
        return schedule
    if schedule is not None:
        return MODELS.build(schedule)
    iters = [given.get('distill_warmup_iters', 0),
             given.get('distill_rampup_iters', 0)]
    epochs = [given.get('distill_warmup_epochs'),
              given.get('distill_rampup_epochs')]
    for name, value in given.items():
        if isinstance(value, bool) or not isinstance(value, Integral) or \
                value < 0:
            raise ValueError(f'{name} must be an int >= 0, got {value!r}')
    if any(e is not None for e in epochs):
        if any(iters):
            raise ValueError(
                'give the distillation schedule in iterations or in epochs, '
                f'not both: got {given}')
        schedule = DistillSchedule(epochs[0] or 0, epochs[1] or 0,
                                   by_epoch=True)
    else:
        schedule = DistillSchedule(*iters)
    if given:
        warnings.warn(
            f'{sorted(given)} are deprecated and will be removed in the next '
            "release: write distill_schedule=dict(type='DistillSchedule', "
            f'warmup=..., rampup=...) (here {schedule!r})', FutureWarning,
            stacklevel=3)
    return schedule
