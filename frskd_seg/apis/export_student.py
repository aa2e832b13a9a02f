"""Export the student of an FRSKD model as a plain mmseg model.

The self-teacher exists only for training. The export is a config with
``type='EncoderDecoder'`` and no FRSKD keys or ``custom_imports``, and a
checkpoint with the self-teacher and its head removed that holds only tensors
and plain Python containers, so unmodified mmseg loads it, even with
``torch.load(..., weights_only=True)``.
"""
import copy
import os
import os.path as osp
from numbers import Number
from typing import Tuple

import numpy as np
import torch
from mmengine.config import Config

from frskd_seg.utils.checkpoint import load_local_checkpoint

#: model keys of FRSKDEncoderDecoder that a plain EncoderDecoder does not take
FRSKD_MODEL_KEYS = ('self_teacher', 'teacher_head', 'self_teacher_input',
                    'teacher_grad_scale', 'evaluate_teacher', 'loss_kd',
                    'loss_feat', 'distill_warmup_iters',
                    'distill_rampup_iters')
#: state-dict prefixes of the modules that exist only for training
FRSKD_STATE_PREFIXES = ('self_teacher.', 'teacher_head.', 'loss_kd.',
                        'loss_feat.')


def baseline_twin_config(cfg: Config) -> Config:
    """``cfg`` with the FRSKD segmentor turned into mmseg's EncoderDecoder and
    nothing else changed (initialisation, data, schedule, hooks): the baseline
    twin an FRSKD run is compared with."""
    if cfg.model.get('type') != 'FRSKDEncoderDecoder':
        raise ValueError('expected a config with model.type '
                         f"'FRSKDEncoderDecoder', got {cfg.model.get('type')!r}")
    cfg = copy.deepcopy(cfg)
    cfg.model.type = 'EncoderDecoder'
    for key in FRSKD_MODEL_KEYS:
        cfg.model.pop(key, None)
    if cfg.get('tta_model', {}).get('module', {}).get('type') == \
            'FRSKDEncoderDecoder':
        cfg.tta_model.module = cfg.model
    return cfg


def plain_student_config(cfg: Config) -> Config:
    """The baseline twin of ``cfg`` as a deployable config: no
    ``custom_imports`` and no initialisation from other weights (the exported
    checkpoint holds them all)."""
    cfg = baseline_twin_config(cfg)
    cfg.pop('custom_imports', None)
    cfg.model.pop('pretrained', None)
    cfg.model.backbone.pop('init_cfg', None)
    cfg.load_from = None
    cfg.resume = False
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
