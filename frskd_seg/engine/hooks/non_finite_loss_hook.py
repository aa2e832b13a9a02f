"""Stop training at the first NaN/Inf loss term, keeping the last good
checkpoint."""
import math

from mmengine.hooks import Hook

from mmseg.registry import HOOKS


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise ``FloatingPointError`` naming the loss terms and the iteration
    as soon as a logged loss term (any key containing 'loss') is NaN or Inf.

    It runs before :class:`CheckpointHook` in ``after_train_iter``, so the
    iteration that went wrong writes no checkpoint: the last one on disk was
    saved from finite losses. (The optimizer step of that iteration has
    already run; the weights in memory are not trusted.)
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        terms = {
            key: float(value)
            for key, value in (outputs or {}).items() if 'loss' in key
        }
        bad = [k for k, v in terms.items() if k != 'loss'
               and not math.isfinite(v)]
        if not bad and not math.isfinite(terms.get('loss', 0.0)):
            bad = ['loss']  # only the total (a term that is not logged)
        if bad:
            last = runner.message_hub.get_info('last_ckpt', None)
            kept = (f'the last checkpoint, {last}, was written before it'
                    if last else 'no checkpoint was written yet')
            names = ', '.join(f'{k!r} = {terms[k]}' for k in bad)
            raise FloatingPointError(
                f'non-finite loss term {names} at iteration '
                f'{runner.iter + 1}: training stopped ({kept})')
