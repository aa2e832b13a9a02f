"""Random-number-generator state in checkpoints, for exact resumption."""
import logging
import random
from typing import Optional

import numpy as np
import torch
from mmengine import dist
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log

from mmseg.registry import HOOKS
from .utils import find_hook


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


def _to_cpu(value):
    # mmengine's resume loads checkpoints with map_location = the current
    # device; torch's set_rng_state functions take CPU byte tensors only
    if isinstance(value, torch.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_cpu(v) for v in value)
    return value


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the random generators' states in every checkpoint and restore
    them on ``--resume``, so that a resumed run continues with the same
    random draws (dropout, random data transforms in the main process) as an
    uninterrupted run with the same seed.

    mmengine's checkpoints carry the seed but not the generators' states:
    a resumed run re-seeds and so repeats the first iterations' draws. This
    hook stores, for every process of the run, Python's ``random``, numpy's
    and torch's CPU generator states, the current CUDA device's generator
    state (when CUDA is in use) and FRSKD's private streams
    (:class:`PrivateRNG`: the self-teacher's, and that of the forwards on
    images without masks), as ``checkpoint['rng_state']['ranks'][rank]``.
    Only rank 0 writes checkpoints, so in a distributed run every rank hands
    its states over (one ``all_gather`` at the iterations or epochs where
    :class:`CheckpointHook` saves). The states are restored right before
    the first batch the resumed run trains on is fetched, after mmengine has
    skipped the already-trained batches; each rank restores its own (with
    another number of processes than at save time it warns and restores
    none). Data-loader workers need nothing: mmengine seeds each worker from
    the seed, the rank and the worker id, and the skipped batches replay
    them.

    Validation leaves the generators as it found them (states taken before
    it, put back after it): a validation pass draws from them (each
    ``DataLoader`` pass takes a torch draw for its workers' seeds), and
    mmengine validates *after* writing the checkpoint of the same
    iteration or epoch -- so without this a run resumed from such a
    checkpoint, the usual case (mmseg's schedules save and validate at the
    same intervals), would draw differently from the uninterrupted run. It
    also makes training independent of how often it validates.
    """

    # before CheckpointHook (VERY_LOW): the states are gathered there
    priority = 'LOW'

    def __init__(self):
        self._resumed_state: Optional[dict] = None
        self._gathered: Optional[list] = None
        self._before_val: Optional[dict] = None

    @staticmethod
    def capture() -> dict:
        """This process's global generator states (CUDA: current device)."""
        state = dict(
            python=random.getstate(),
            numpy=np.random.get_state(),
            torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state()
        return state

    @staticmethod
    def restore(state: dict) -> None:
        """Set this process's generators to ``state`` (from :meth:`capture`;
        its tensors may be on any device)."""
        state = _to_cpu(state)
        random.setstate(state['python'])
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state(state['cuda'])

    @staticmethod
    def _private_rngs(runner) -> dict:
        # FRSKD's self-teacher draws from a stream of its own (PrivateRNG)
        model = runner.model
        model = getattr(model, 'module', model)
        teacher = getattr(model, 'teacher_rng', None)
        return {} if teacher is None else dict(teacher=teacher)

    def _process_state(self, runner) -> dict:
        state = self.capture()
        for name, private in self._private_rngs(runner).items():
            state[name] = private.state_dict()
        return state

    def _restore_private_state(self, runner, state: dict) -> None:
        for name, private in self._private_rngs(runner).items():
            if name in state:
                private.load_state_dict(state[name])

    def before_val(self, runner) -> None:
        self._before_val = self._process_state(runner)

    def after_val(self, runner) -> None:
        state, self._before_val = self._before_val, None
        if state is not None:
            self._restore_private_state(runner, state)
            self.restore(state)

    def gather_states(self, runner) -> None:
        """Collect every rank's states for the next checkpoint (called by
        every rank; a no-op in a single process)."""
        if dist.get_world_size() > 1:
            self._gathered = dist.all_gather_object(
                self._process_state(runner))

    # Every rank must take part in the gathering, and only rank 0 then
    # saves: gather where CheckpointHook (same conditions) is about to save.
    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        hook = find_hook(runner, CheckpointHook)
        if hook is not None and not hook.by_epoch and (
                hook.every_n_train_iters(runner, hook.interval,
                                         hook.save_begin)
                or (hook.save_last and hook.is_last_train_iter(runner))):
            self.gather_states(runner)

    def after_train_epoch(self, runner) -> None:
        hook = find_hook(runner, CheckpointHook)
        if hook is not None and hook.by_epoch and (
                hook.every_n_epochs(runner, hook.interval, hook.save_begin)
                or (hook.save_last and hook.is_last_train_epoch(runner))):
            self.gather_states(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        ranks, self._gathered = self._gathered, None
        if ranks is None or len(ranks) != dist.get_world_size():
            # single process, or a save the gathering did not foresee (a
            # best checkpoint): rank 0's states alone
            ranks = [self._process_state(runner)]
        checkpoint['rng_state'] = dict(ranks=ranks)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # load_checkpoint (load_from, testing) calls this hook too; only a
        # resumed training run continues the generators
        if not (runner._resume or runner.cfg.get('resume', False)):
            return
        saved = checkpoint.get('rng_state')
        rank, world = dist.get_rank(), dist.get_world_size()
        if saved is None:
            problem = 'the checkpoint has no rng_state (written without ' \
                      'RNGStateHook)'
        elif 'ranks' not in saved:
            # written by frskd-seg before per-rank states: rank 0's only
            saved = dict(ranks=[saved])
            problem = None
        else:
            problem = None
        if saved is not None and len(saved['ranks']) != world:
            problem = (f"the checkpoint holds {len(saved['ranks'])} "
                       f'process(es) generator states and this run has '
                       f'{world}')
        if problem is not None:
            print_log(
                f'{problem}: random draws after resuming will differ from '
                'an uninterrupted run', logger='current',
                level=logging.WARNING)
            return
        self._resumed_state = saved['ranks'][rank]

    def before_train(self, runner) -> None:
        if self._resumed_state is None:
            return
        loop = runner.train_loop
        state, self._resumed_state = _to_cpu(self._resumed_state), None
        self._restore_private_state(runner, state)
        if hasattr(loop, 'dataloader_iterator'):
            # iteration-based loop: mmengine skips loop.iter batches first
            loop.dataloader_iterator = _RestoreBeforeBatch(
                loop.dataloader_iterator, loop.iter,
                lambda: self.restore(state))
        else:
            self.restore(state)
