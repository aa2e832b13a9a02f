"""Starting a variant's runs from another config's runs at the end of the
distillation warm-up: allowed only where the variant would have computed
exactly the same until then (a variant of the distillation terms alone), so
the result is the one training it from scratch gives, in a third of the time
for the official 2/3 warm-up."""
import copy
import inspect
import os.path as osp
from typing import List

from mmengine.config import Config

from frskd_seg.models.losses import model_distill_schedule
from frskd_seg.models.segmentors import FRSKDMixin

#: the model keys whose modules act only once distillation has started (a
#: weight above 0): runs that differ in nothing else are equal until then
_DISTILLATION_PHASE_KEYS = ('loss_kd', 'loss_feat')
#: feature losses without parameters (their build draws nothing)
_PARAMETER_FREE_FEATURE_LOSSES = (None, 'AttentionTransferLoss')
#: the parts of a config that decide what a training computes (validation
#: leaves the random streams as it found them: RNGStateHook)
_TRAINING_KEYS = ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper',
                  'param_scheduler', 'randomness', 'env_cfg',
                  'default_hooks', 'custom_hooks')
#: hooks that do not change what a training computes (they act between
#: iterations, on a signal): runs with and without them are the same run
PASSIVE_HOOKS = ('GracefulStopHook', )


def active_hooks(hooks) -> list:
    """``hooks`` (a ``custom_hooks`` list) without the
    :data:`PASSIVE_HOOKS`: those that decide what a training computes."""
    return [h for h in hooks or [] if h.get('type') not in PASSIVE_HOOKS]


def _flat(node, prefix=''):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == '_scope_':  # the Runner's registry scope, mmseg's
                continue
            out.update(_flat(value, f'{prefix}{key}.'))
        return out
    return {prefix[:-1]: node}


def warmup_differences(base: Config, variant: Config) -> List[str]:
    """Why a run of ``variant`` would not equal one of ``base`` until the end
    of the distillation warm-up (an empty list: it would, bit for bit, so it
    may start from ``base``'s warm-up-end checkpoint). Allowed to differ:
    the distillation terms (``model.loss_kd``, a parameter-free
    ``model.loss_feat``), which run only once their weight is above 0; the
    schedule must have the same warm-up."""
    reasons = []
    max_iters = int(variant.train_cfg.max_iters)
    for name, cfg in (('base', base), ('variant', variant)):
        loss_feat = cfg.model.get('loss_feat')
        terms = loss_feat if isinstance(loss_feat, (list, tuple)) else \
            [loss_feat]
        for term in terms:
            if (term or {}).get('type') not in \
                    _PARAMETER_FREE_FEATURE_LOSSES:
                reasons.append(f'the {name} feature loss {term["type"]} has '
                               'parameters (built from the self-teacher '
                               'stream)')
    warmups = [model_distill_schedule(c.model).warmup_end(max_iters)
               for c in (base, variant)]
    if warmups[0] != warmups[1] or warmups[0] == 0:
        reasons.append(f'warm-up ends at {warmups[0]} (base) and '
                       f'{warmups[1]} (variant): they must be equal and > 0')
    skip = ('distill_schedule', *_DISTILLATION_PHASE_KEYS)
    defaults = {
        name: param.default for name, param in inspect.signature(
            FRSKDMixin.__init__).parameters.items()
        if param.default is not inspect.Parameter.empty
    }
    flats = []
    for cfg in (base, variant):
        d = {k: v for k, v in cfg.to_dict().items() if k in _TRAINING_KEYS}
        d['model'] = {k: v for k, v in {**defaults, **d['model']}.items()
                      if k not in skip}
        d['custom_hooks'] = active_hooks(d.get('custom_hooks'))
        flats.append(_flat(d))
    for key in sorted(set(flats[0]) | set(flats[1])):
        if flats[0].get(key, '<absent>') != flats[1].get(key, '<absent>'):
            reasons.append(f'{key}: {flats[0].get(key, "<absent>")!r} '
                           f'(base) != {flats[1].get(key, "<absent>")!r}')
    return reasons


def warmup_checkpoint(base_run_dir: str, run) -> str:
    """The warm-up-end checkpoint of the finished base run in
    ``base_run_dir`` (``RUNS/<key>/seed_<k>``) that ``run`` equals until
    then; a ValueError naming every difference otherwise."""
    base_cfg = Config.fromfile(osp.join(base_run_dir, 'config.py'))
    variant = copy.deepcopy(run.cfg)
    variant.randomness = dict(variant.get('randomness', {}), seed=run.seed)
    reasons = warmup_differences(base_cfg, variant)
    if reasons:
        raise ValueError(
            f'{run.arm} seed {run.seed} cannot start from the warm-up of '
            f'{base_run_dir}: ' + '; '.join(reasons))
    warmup = model_distill_schedule(variant.model).warmup_end(run.max_iters)
    path = osp.join(base_run_dir, f'iter_{warmup}.pth')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} (the base run must have run past '
                                'its warm-up)')
    return path
