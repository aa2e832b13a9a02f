"""The distillation schedule w(t) (docs/method.md, "Schedule"): one object
that computes the weights, resolves lengths given as fractions of the run,
and learns where training stands from mmengine's ``MessageHub`` (any
Runner: ours, mmseg's ``tools/train.py``, mim) or from the caller's loop."""
import logging
import math
from numbers import Integral, Real
from typing import Optional, Tuple, Union

from mmengine.logging import MessageHub, print_log

from frskd_seg.utils.errors import ConfigError
from mmseg.registry import MODELS
from ..builder import build_checked

Length = Union[int, float]


def distill_weight(cur_iter: int, warmup_iters: int = 0,
                   rampup_iters: int = 0) -> float:
    """Multiplier in [0, 1] applied to both distillation terms at ``cur_iter``.

    The official segmentation schedule, in iterations: 0 for the first
    ``warmup_iters`` iterations (the self-teacher still trains with its CE),
    then the sigmoid ramp-up ``exp(-5 (1 - t / R)^2)`` with ``t = cur_iter -
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

    Where training stands (:meth:`current`): what the caller's loop set with
    :meth:`set_progress`, else what an mmengine Runner put in the
    ``MessageHub``; with neither (``model.loss()`` in a plain loop that sets
    nothing) a schedule that is not constant raises, saying how to tell it.

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
                raise ConfigError(
                    f'distill_schedule {name} must be an int >= 0 '
                    '(iterations or epochs) or a float in [0, 1] (a fraction '
                    f'of the run), got {value!r}')
        fractions = [v for v in (warmup, rampup) if not isinstance(
            v, Integral)]
        if sum(fractions) > 1 + 1e-9 and len(fractions) == 2:
            raise ConfigError(
                f'distill_schedule warmup={warmup} + rampup={rampup} is more '
                'than the whole run')
        self.warmup = warmup
        self.rampup = rampup
        self.by_epoch = bool(by_epoch)
        self._progress: Optional[Tuple[int, Optional[int]]] = None
        self._told = None  # the source of the step last said in the log

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
            raise ConfigError(
                f'distill_schedule warmup={self.warmup}, rampup='
                f'{self.rampup} are fractions of the run: they need its '
                f'length in {self.unit} (set_progress(step, run_length))')

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

    def set_progress(self, progress: int,
                     run_length: Optional[int] = None) -> None:
        """Where a loop of the caller's own stands: the 0-based iteration
        (epoch with ``by_epoch``) and the run's length in them (needed when
        a length is a fraction). It takes precedence over the MessageHub."""
        self._progress = (int(progress),
                          None if run_length is None else int(run_length))

    def current(self) -> float:
        """w of the step being run (:class:`DistillSchedule`, "where
        training stands"). Says where it reads the step from, once per
        source, and warns when the run ends before the ramp-up does."""
        unit = 'epoch' if self.by_epoch else 'iter'
        hub = MessageHub.get_current_instance()
        if self._progress is not None:
            progress, run_length = self._progress
            source = 'the step set by set_progress'
        elif hub.get_info('max_iters') is not None:  # a Runner is training
            progress, run_length = hub.get_info(unit, 0), hub.get_info(
                f'max_{unit}s')
            source = 'the training loop (MessageHub)'
        elif self.lengths(0) == (0, 0) and not self.relative:
            return 1.0  # constant: the step does not matter
        else:
            raise RuntimeError(
                f'the distillation schedule {self!r} needs to know where '
                'training stands, and nothing told the model: no mmengine '
                'Runner is training it and set_progress was never called. '
                'In a loop of your own, call model.distill_schedule.'
                'set_progress(iter, max_iters) before each model.loss(), or '
                "build the model with distill_schedule=dict(type='"
                "DistillSchedule') for constant weights")
        self._tell(source, run_length)
        return self.weight(progress, run_length)

    def resolved(self, run_length: Optional[int]) -> str:
        """The schedule in :attr:`unit` for a run of ``run_length``, in
        words ('' when the length is unknown and needed)."""
        if run_length is None and self.relative:
            return ''
        warmup, rampup = self.lengths(run_length)
        unit = self.unit[:-1]
        of = '' if run_length is None else f' of {run_length}'
        return (f': w = 0 before {unit} {warmup}, a sigmoid ramp-up over '
                f'{rampup} {self.unit}, 1 from {unit} {warmup + rampup}{of}')

    def _tell(self, source: str, run_length: Optional[int]) -> None:
        """Say in the log where the weights' step comes from (``source``)
        and warn about a run that cannot ramp -- once
        per source, so a training step builds no message."""
        if self._told == source:
            return
        self._told = source
        print_log(f'distillation weights follow {self!r}, reading the step '
                  f'from {source}{self.resolved(run_length)}',
                  logger='current', level=logging.INFO)
        warning = (self.short_run_warning(run_length)
                   or self.one_epoch_warning(run_length))
        if warning:
            print_log(warning, logger='current', level=logging.WARNING)

    def warmup_end(self, run_length: Optional[int] = None) -> int:
        """The first iteration (epoch) with a non-zero weight."""
        return self.lengths(run_length)[0]

    def short_run_warning(self,
                          run_length: Optional[int]) -> Optional[str]:
        """A message when a run of ``run_length`` ends before the ramp-up
        does (None when it does not, or its length is unknown)."""
        if run_length is None and self.relative:
            return None
        warmup, rampup = self.lengths(run_length)
        if run_length is None or run_length >= warmup + rampup:
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

    def one_epoch_warning(self, run_length: Optional[int]) -> Optional[str]:
        """A message for a schedule in epochs over a run of one epoch: what
        an ``IterBasedTrainLoop`` reports to the MessageHub, where the
        weights stay those of epoch 0 (a one-epoch part of an epoch-based
        run is fine)."""
        if not (self.by_epoch and run_length == 1):
            return None
        return (f'{self.loop_mismatch("a loop of one epoch")} (fine for '
                'one epoch of an EpochBasedTrainLoop run)')

    def loop_mismatch(self, loop: str) -> str:
        return (f'the model gives its distillation schedule in epochs '
                f'({self!r}) but trains in {loop}, where the weights would '
                "never ramp: use train_cfg=dict(type='EpochBasedTrainLoop', "
                'max_epochs=...) or a schedule in iterations (by_epoch='
                'False)')

    def check_loop(self, train_cfg: dict) -> None:
        """Refuse, at config load, a schedule in epochs with a loop that is
        not epoch-based (under any Runner, :meth:`current` warns at the first
        step of a one-epoch loop, which is what such a loop reports)."""
        if not self.by_epoch:
            return
        train_cfg = train_cfg or {}
        by_epoch = train_cfg.get('type') == 'EpochBasedTrainLoop' or (
            'type' not in train_cfg and train_cfg.get('by_epoch', False))
        if not by_epoch:
            raise ConfigError(self.loop_mismatch(
                repr(train_cfg.get('type', dict(train_cfg)))))

    def __repr__(self) -> str:
        return (f'DistillSchedule(warmup={self.warmup}, rampup={self.rampup},'
                f' by_epoch={self.by_epoch})')


#: the official proportions, as fractions of any run: no distillation for
#: the first 2/3, a sigmoid ramp-up over the last third (what an FRSKD model
#: without a ``distill_schedule`` gets)
DEFAULT_SCHEDULE = dict(type='DistillSchedule', warmup=2 / 3, rampup=1 / 3)


def build_distill_schedule(schedule=None) -> DistillSchedule:
    """The model's :class:`DistillSchedule` from its ``distill_schedule``
    config: None, :data:`DEFAULT_SCHEDULE`; a dict, its ``type``
    DistillSchedule unless given (``--cfg-options
    model.distill_schedule.warmup=...`` on a config that relies on the
    default writes one without); or a built schedule."""
    if isinstance(schedule, DistillSchedule):
        return schedule
    if schedule is None:
        schedule = DEFAULT_SCHEDULE
    return build_checked(dict(dict(type='DistillSchedule'), **schedule),
                         'model.distill_schedule')


def model_distill_schedule(model_cfg: dict) -> DistillSchedule:
    """The :class:`DistillSchedule` an FRSKD model config builds: what tools
    and studies ask instead of reading the schedule's keys themselves."""
    return build_distill_schedule(model_cfg.get('distill_schedule'))
