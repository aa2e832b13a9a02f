"""Random-number-generator state in checkpoints, for exact resumption."""
import logging
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmseg.registry import HOOKS


class _RestoreBeforeBatch:
    """Wraps the train loop's data iterator: right before the batch at
    position ``skip`` (the first one a resumed run trains on) is fetched,
    ``restore()`` runs, so that data skipped on resumption does not consume
    the restored generators (with ``num_workers=0`` the pipeline draws from
    the main process's numpy/random/torch generators)."""

    def __init__(self, iterator, skip: int, restore):
        self._iterator = iterator
        self._skip = skip
        self._restore = restore
        self._fetched = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self._restore is not None and self._fetched == self._skip:
            self._restore()
            self._restore = None
        self._fetched += 1
        return next(self._iterator)

    def __getattr__(self, name):
        return getattr(self._iterator, name)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the global random generators' states in every checkpoint and
    restore them on ``--resume``, so that a resumed run continues with the
    same random draws (dropout, random data transforms in the main process)
    as an uninterrupted run with the same seed.

    mmengine's checkpoints carry the seed but not the generators' states:
    a resumed run re-seeds and so repeats the first iterations' draws. This
    hook stores Python's ``random``, numpy's and torch's CPU (and, when
    available, CUDA) generator states under ``checkpoint['rng_state']``. The
    states are restored right before the first batch the resumed run trains
    on is fetched, after mmengine has skipped the already-trained batches.
    Data-loader workers need nothing: mmengine seeds each worker from the
    seed, the rank and the worker id, and the skipped batches replay them.
    """

    priority = 'VERY_LOW'

    def __init__(self):
        self._resumed_state: Optional[dict] = None

    @staticmethod
    def capture() -> dict:
        state = dict(
            python=random.getstate(),
            numpy=np.random.get_state(),
            torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        return state

    @staticmethod
    def restore(state: dict) -> None:
        random.setstate(state['python'])
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])

    @staticmethod
    def _private_rng(runner):
        # FRSKD's self-teacher draws from a stream of its own (PrivateRNG)
        model = runner.model
        model = getattr(model, 'module', model)
        return getattr(model, 'teacher_rng', None)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = self.capture()
        private = self._private_rng(runner)
        if private is not None:
            checkpoint['rng_state']['teacher'] = private.state_dict()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # load_checkpoint (load_from, testing) calls this hook too; only a
        # resumed training run continues the generators
        if runner._resume or runner.cfg.get('resume', False):
            self._resumed_state = checkpoint.get('rng_state')
            if self._resumed_state is None:
                print_log(
                    'the checkpoint has no rng_state (written without '
                    'RNGStateHook): random draws after resuming will differ '
                    'from an uninterrupted run', logger='current',
                    level=logging.WARNING)

    def before_train(self, runner) -> None:
        if self._resumed_state is None:
            return
        loop = runner.train_loop
        state, self._resumed_state = self._resumed_state, None
        private = self._private_rng(runner)
        if private is not None and 'teacher' in state:
            private.load_state_dict(state['teacher'])
        if hasattr(loop, 'dataloader_iterator'):
            # iteration-based loop: mmengine skips loop.iter batches first
            loop.dataloader_iterator = _RestoreBeforeBatch(
                loop.dataloader_iterator, loop.iter,
                lambda: self.restore(state))
        else:
            self.restore(state)
