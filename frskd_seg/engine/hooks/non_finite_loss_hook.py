"""Stop training at the first NaN/Inf loss term, keeping the last good
checkpoint."""
import math
from typing import List

import torch
from mmengine import dist
from mmengine.hooks import Hook

from mmseg.registry import HOOKS


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise ``FloatingPointError`` naming the loss terms and the iteration
    as soon as a logged loss term (any key containing 'loss') is NaN or Inf,
    on every rank when it happens on any (one all-reduce of a flag per rank
    and iteration in distributed runs).

    It runs before :class:`CheckpointHook` in ``after_train_iter``, so the
    iteration that went wrong writes no checkpoint: the last one on disk was
    saved from finite losses. (The optimizer step of that iteration has
    already run; the weights in memory are not trusted.)
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        terms = {
            key: float(value.detach()) if isinstance(value, torch.Tensor)
            else float(value)
            for key, value in (outputs or {}).items() if 'loss' in key
        }
        bad = [k for k, v in terms.items() if k != 'loss'
               and not math.isfinite(v)]
        if not bad and not math.isfinite(terms.get('loss', 0.0)):
            bad = ['loss']  # only the total (a term that is not logged)
        # the ranks agree before anything is saved: a NaN on one rank alone
        # must stop all of them, or rank 0 would write a checkpoint and then
        # wait for the stopped rank in the next all-reduce
        bad_ranks = self._ranks_with_bad_losses(bool(bad))
        if not bad_ranks:
            return
        last = runner.message_hub.get_info('last_ckpt', None)
        kept = (f'the last checkpoint, {last}, was written before it'
                if last else 'no checkpoint was written yet')
        where = (f' on rank(s) {bad_ranks}'
                 if dist.get_world_size() > 1 else '')
        if bad:
            what = ', '.join(f'{k!r} = {terms[k]}' for k in bad)
            what = f'non-finite loss term {what}'
        else:
            what = 'a non-finite loss term on another rank'
        raise FloatingPointError(
            f'{what} at iteration {runner.iter + 1}{where}: training '
            f'stopped ({kept})')

    @staticmethod
    def _ranks_with_bad_losses(bad: bool) -> List[int]:
        world = dist.get_world_size()
        if world == 1:
            return [0] if bad else []
        flags = torch.zeros(world)
        flags[dist.get_rank()] = float(bad)
        dist.all_reduce(flags)  # sum: each rank sets its own slot
        return [r for r in range(world) if flags[r] > 0]
