"""Ctrl-C and cluster pre-emption (SIGTERM) end training with a checkpoint."""
import logging
import signal
from typing import Dict, Optional

import torch
from mmengine import dist
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from mmseg.registry import HOOKS
from .rng_state_hook import RNGStateHook
from .utils import find_hook


@HOOKS.register_module()
class GracefulStopHook(Hook):
    """On SIGINT (Ctrl-C) or SIGTERM (pre-emption: SLURM, Kubernetes,
    torchrun forwarding it), finish the current iteration, write a
    checkpoint, say how to resume and exit with status 128 + the signal's
    number (130, 143). A second Ctrl-C interrupts at once.

    The checkpoint is written exactly as :class:`CheckpointHook` writes its
    own (``iter_N.pth`` and ``last_checkpoint``, with :class:`RNGStateHook`'s
    generator states), so ``--resume`` continues as an uninterrupted run
    would. In a distributed run the ranks agree on the iteration to stop at
    (one all-reduce of a flag per iteration). An epoch-based loop (the
    paper's schedule) stops at the end of the current epoch, with that
    epoch's checkpoint: resuming mid-epoch would not be exact.
    """

    # after CheckpointHook (VERY_LOW): a checkpoint it has just written for
    # this iteration is not written twice
    priority = 'LOWEST'

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self._received: Optional[int] = None
        self._previous: Dict[int, object] = {}
        self._stopped_by: Optional[int] = None
        self._by_epoch = False

    def _handle(self, signum, frame) -> None:
        if self._received is not None and signum == signal.SIGINT:
            # asked twice: stop now, without a checkpoint
            self._restore_handlers()
            raise KeyboardInterrupt
        self._received = signum
        when = 'at the end of this epoch' if self._by_epoch else \
            'after this iteration'
        print_log(
            f'{signal.Signals(signum).name} received: training stops {when},'
            ' with a checkpoint (Ctrl-C again to stop at once, without one)',
            logger='current', level=logging.WARNING)

    def _restore_handlers(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        if not isinstance(loop, (IterBasedTrainLoop, EpochBasedTrainLoop)):
            return  # a loop without stop_training
        self._by_epoch = isinstance(loop, EpochBasedTrainLoop)
        try:
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        except ValueError:  # not the main thread: leave signals alone
            self._restore_handlers()

    def _agreed_signal(self) -> Optional[int]:
        if dist.get_world_size() == 1:
            return self._received
        flag = torch.tensor([float(self._received or 0)])
        dist.all_reduce(flag, op='max')
        return int(flag.item()) or None

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if self._previous and not self._by_epoch:
            self._stop_if_asked(runner, runner.iter + 1)

    def after_train_epoch(self, runner) -> None:
        if self._previous and self._by_epoch:
            self._stop_if_asked(runner, runner.epoch + 1)

    def _stop_if_asked(self, runner, step: int) -> None:
        """Write the checkpoint of ``step`` (an iteration, or an epoch) where
        CheckpointHook has not, and end the loop, once a signal came."""
        signum = self._agreed_signal()
        if signum is None:
            return
        checkpoint = find_hook(runner, CheckpointHook)
        last = runner.message_hub.get_info('last_ckpt', '') or ''
        if checkpoint is not None and not last.endswith(
                checkpoint.filename_tmpl.format(step)):
            rng = find_hook(runner, RNGStateHook)
            if rng is not None:
                rng.gather_states(runner)  # every rank's, for the save
            checkpoint._save_checkpoint(runner)
        runner.train_loop.stop_training = True
        self._stopped_by = signum

    def after_train(self, runner) -> None:
        self._restore_handlers()
        if self._stopped_by is None:
            return
        name = signal.Signals(self._stopped_by).name
        last = runner.message_hub.get_info('last_ckpt', None)
        where = (f'epoch {runner.epoch}' if self._by_epoch else
                 f'iteration {runner.iter}')
        print_log(
            f'training stopped by {name} after {where}; '
            f'checkpoint: {last}. Resume with the same command plus '
            f'--resume (work dir {runner.work_dir})', logger='current',
            level=logging.WARNING)
        raise SystemExit(128 + self._stopped_by)
