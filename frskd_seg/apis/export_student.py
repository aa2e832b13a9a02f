"""Export the student of an FRSKD model as a plain mmseg model.

The self-teacher exists only for training. The export is a config with
``type='EncoderDecoder'`` and no FRSKD keys or ``custom_imports``, and a
checkpoint with the self-teacher and its head removed that holds only tensors
and plain Python containers, so unmodified mmseg loads it, even with
``torch.load(..., weights_only=True)``. A student built from frskd_seg's own
architecture modules (the paper's EfficientDet model: its backbone taps, neck
and head) keeps ``custom_imports = dict(imports=['frskd_seg.models'])``: it
needs frskd_seg installed, and nothing else of it.
"""
import copy
import inspect
import os
import os.path as osp
from numbers import Number
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config

from frskd_seg.evaluation.metrics import scores_teacher
from frskd_seg.models.segmentors import STUDENT_TYPES, FRSKDMixin
from frskd_seg.utils.checkpoint import load_local_checkpoint

#: model keys of the FRSKD segmentors that their students' do not take
FRSKD_MODEL_KEYS = tuple(
    name for name, param in inspect.signature(
        FRSKDMixin.__init__).parameters.items()
    if name != 'self' and param.kind is not param.VAR_KEYWORD)
#: the packages of frskd_seg's architecture modules, which a student may be
#: built from (the paper's model)
ARCHITECTURE_PACKAGES = ('frskd_seg.models.backbones.',
                         'frskd_seg.models.necks.',
                         'frskd_seg.models.decode_heads.')
#: state-dict prefixes of the modules that exist only for training
FRSKD_STATE_PREFIXES = tuple(f'{name}.' for name in FRSKDMixin.TEACHER_SIDE)


def baseline_twin_config(cfg: Config) -> Config:
    """``cfg`` with the FRSKD segmentor turned into its student's mmseg
    segmentor (EncoderDecoder, CascadeEncoderDecoder), and without the
    metrics of the self-teacher's prediction, nothing else changed
    (initialisation, data, schedule, hooks): the baseline twin an FRSKD run
    is compared with."""
    frskd_type = cfg.model.get('type')
    if frskd_type not in STUDENT_TYPES:
        raise ValueError(f'expected a config with model.type one of '
                         f'{sorted(STUDENT_TYPES)}, got {frskd_type!r}')
    cfg = copy.deepcopy(cfg)
    cfg.model.type = STUDENT_TYPES[frskd_type]
    for key in FRSKD_MODEL_KEYS:
        cfg.model.pop(key, None)
    if cfg.get('tta_model', {}).get('module', {}).get('type') == frskd_type:
        cfg.tta_model.module = cfg.model
    for key in ('val_evaluator', 'test_evaluator'):
        metrics = cfg.get(key)
        if isinstance(metrics, (list, tuple)):
            kept = [m for m in metrics if not scores_teacher(m)]
            cfg[key] = kept[0] if len(kept) == 1 else kept
    return cfg


def frskd_registered_types(prefixes=('frskd_seg', )) -> Dict[str, str]:
    """``{type name: registry}`` of everything frskd_seg registers in
    mmseg's registries (what plain mmseg cannot build) from modules whose
    name starts with one of ``prefixes``."""
    import mmseg.registry as registries
    from mmengine.registry import Registry
    ours = {}
    for attr in dir(registries):
        registry = getattr(registries, attr)
        if not isinstance(registry, Registry):
            continue
        for name, cls in registry.module_dict.items():
            if getattr(cls, '__module__', '').startswith(tuple(prefixes)):
                ours[name] = registry.name
    return ours


def drop_pretrained(node) -> None:
    """Remove every ``init_cfg`` that loads weights (``Pretrained``) and
    every ``pretrained`` key from a model config, in place."""
    if isinstance(node, dict):
        node.pop('pretrained', None)
        init = node.get('init_cfg')
        inits = init if isinstance(init, (list, tuple)) else [init]
        if any(isinstance(i, dict) and i.get('type') == 'Pretrained'
               for i in inits):
            node.pop('init_cfg')
        for value in node.values():
            drop_pretrained(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            drop_pretrained(value)


def _plain_metric(metric: dict) -> Optional[dict]:
    # FRSKDIoUMetric scoring the student is mmseg's IoUMetric; the
    # self-teacher's (pred_key) does not exist in the student
    if metric.get('type') != 'FRSKDIoUMetric':
        return metric
    if scores_teacher(metric):
        return None
    metric = copy.deepcopy(metric)
    metric.type = 'IoUMetric'
    for key in ('pred_key', 'classwise'):
        metric.pop(key, None)
    return metric


def _type_paths(value, path='') -> List[Tuple[str, str]]:
    if isinstance(value, dict):
        found = [(path or 'type', value['type'])] if isinstance(
            value.get('type'), str) else []
        for key, item in value.items():
            found += _type_paths(item, f'{path}.{key}' if path else key)
        return found
    if isinstance(value, (list, tuple)):
        return [p for i, item in enumerate(value)
                for p in _type_paths(item, f'{path}[{i}]')]
    return []


def plain_student_config(cfg: Config) -> Config:
    """The baseline twin of ``cfg`` as a deployable config that unmodified
    mmseg builds, tests and fine-tunes with its Runner: nothing of
    frskd_seg's (no ``custom_imports``, none of its hooks, the student's
    ``FRSKDIoUMetric`` as mmseg's ``IoUMetric`` and the self-teacher's
    dropped, ``DeviceAmpOptimWrapper`` as ``AmpOptimWrapper``) and no
    initialisation from other weights (the exported checkpoint holds them
    all)."""
    cfg = baseline_twin_config(cfg)
    cfg.pop('custom_imports', None)
    drop_pretrained(cfg.model)
    cfg.model.backbone.pop('init_cfg', None)
    cfg.load_from = None
    cfg.resume = False
    ours = frskd_registered_types()
    # the recipe's helper variables (_base_/frskd.py: frskd_model, ...)
    for key in list(cfg.keys()):
        if key.startswith('frskd_'):
            cfg.pop(key)
    if 'custom_hooks' in cfg:
        cfg.custom_hooks = [
            h for h in cfg.custom_hooks if h.get('type') not in ours
        ]
    for key in ('val_evaluator', 'test_evaluator'):
        metrics = cfg.get(key)
        if isinstance(metrics, dict):
            cfg[key] = _plain_metric(metrics)
        elif isinstance(metrics, (list, tuple)):
            kept = [m for m in map(_plain_metric, metrics) if m is not None]
            cfg[key] = kept[0] if len(kept) == 1 else kept
    wrapper = cfg.get('optim_wrapper', {})
    if wrapper.get('type') == 'DeviceAmpOptimWrapper':
        wrapper.type = 'AmpOptimWrapper'
        if wrapper.get('dtype') == 'auto':
            wrapper.pop('dtype')
    architecture = frskd_registered_types(ARCHITECTURE_PACKAGES)
    if any(name in architecture
           for _, name in _type_paths(cfg.model.to_dict())):
        cfg.custom_imports = dict(imports=['frskd_seg.models'],
                                  allow_failed_imports=False)
    left = [f'{path}={name!r}' for path, name in _type_paths(cfg.to_dict())
            if name in ours and name not in architecture]
    if left:
        raise ValueError('the exported config would still use types only '
                         f'frskd_seg registers: {", ".join(left)}')
    return cfg


def _plain(value):
    """Keep what ``torch.load(weights_only=True)`` accepts; numpy scalars
    and arrays become Python numbers and lists; anything else is dropped."""
    if isinstance(value, torch.Tensor) or value is None or isinstance(
            value, (str, bool, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Number):
        return float(value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _plain(v)
            if v is not None or value[k] is None:
                out[str(k)] = v
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return None


def student_checkpoint(checkpoint: dict) -> dict:
    """The student part of an FRSKD training checkpoint (mmengine layout:
    ``state_dict`` + ``meta``), optimizer and message hub left out."""
    state = checkpoint.get('state_dict', checkpoint)
    if not any(k.startswith(FRSKD_STATE_PREFIXES) for k in state):
        raise ValueError('the checkpoint has no self_teacher.* or '
                         'teacher_head.* weights: not an FRSKD checkpoint')
    student = {
        k: v.detach().cpu().clone()
        for k, v in state.items() if not k.startswith(FRSKD_STATE_PREFIXES)
    }
    meta = checkpoint.get('meta', {}) or {}
    kept_meta = {
        k: _plain(meta[k])
        for k in ('dataset_meta', 'iter', 'epoch', 'seed', 'mmseg_version',
                  'mmengine_version', 'time') if k in meta
    }
    kept_meta['exported_by'] = 'frskd_seg.apis.export_student'
    return dict(state_dict=student, meta=kept_meta)


def export_student(config: str, checkpoint: str,
                   out_dir: str) -> Tuple[str, str]:
    """Write ``<name>_student.py`` and ``<name>_student.pth`` to ``out_dir``.

    Args:
        config (str): The FRSKD config the checkpoint was trained with.
        checkpoint (str): The FRSKD checkpoint (trusted: it may be unpickled
            in full, see :mod:`frskd_seg.utils.checkpoint`).
        out_dir (str): Output folder (created if missing).

    Returns:
        tuple[str, str]: Paths of the plain config and checkpoint.
    """
    cfg = plain_student_config(Config.fromfile(config))
    ckpt = student_checkpoint(load_local_checkpoint(checkpoint, 'cpu'))
    os.makedirs(out_dir, exist_ok=True)
    name = osp.splitext(osp.basename(config))[0]
    cfg_path = osp.join(out_dir, f'{name}_student.py')
    ckpt_path = osp.join(out_dir, f'{name}_student.pth')
    cfg.dump(cfg_path)
    torch.save(ckpt, ckpt_path)
    return cfg_path, ckpt_path
