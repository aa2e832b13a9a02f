"""Turning any mmseg config into its PASCAL VOC 2007+2012 version.

Adding ``configs/_base_/datasets/voc0712.py`` to another config's ``_base_``
fails (``Duplicate key is not allowed among bases``: both define the
dataloaders). :func:`voc0712_overrides` gives instead what a config written
on top of the original must say -- the VOC07+12 dataloaders and evaluators
with ``_delete_=True`` (replacing the original data sets whole), 21 classes
in every head, the 512x512 crop in the data preprocessor -- and
``tools/retarget_voc0712.py SRC OUT`` writes that config.
"""
import copy
import os.path as osp
from typing import List, Optional

from mmengine.config import Config

from .dataset_configs import DATALOADERS, leaf_datasets

#: the VOC07+12 data-set config: the package's copy of configs/ (setup.py
#: puts it in frskd_seg/.mim/configs, as mmseg ships its own)
VOC0712 = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim',
                   'configs', '_base_', 'datasets', 'voc0712.py')
NUM_CLASSES = 21
CROP = (512, 512)


def not_voc_datasets(cfg: Config) -> List[str]:
    """``'<dataloader>: <why>'`` for each data set of the config's
    dataloaders that is not a VOCdevkit split (see :func:`voc_problem`)."""
    return [f'{loader}: {problem}' for loader in DATALOADERS
            for ds in leaf_datasets(cfg, [loader])
            for problem in [voc_problem(ds)] if problem]


def is_voc_layout(cfg: Config) -> bool:
    """Whether every data set of the config's dataloaders is a VOCdevkit
    split (``PascalVOCDataset`` under ``VOC2007/`` or ``VOC2012/``), so that
    ``--data-root VOCdevkit`` means the same folder to all of them."""
    return bool(list(leaf_datasets(cfg))) and not not_voc_datasets(cfg)


def voc_problem(dataset: dict) -> Optional[str]:
    """Why a data-set config is not a VOCdevkit split, or None."""
    kind = dataset.get('type')
    img_path = dataset.get('data_prefix', {}).get('img_path', '')
    if kind != 'PascalVOCDataset':
        return f'{kind} (data_root {dataset.get("data_root")!r})'
    if not str(img_path).startswith(('VOC2007/', 'VOC2012/')):
        return (f'{kind} with img_path {img_path!r} (data_root '
                f'{dataset.get("data_root")!r}), not under VOC2007/ or '
                'VOC2012/ of a VOCdevkit')
    return None


def voc0712_overrides(cfg: Config,
                      data_root: Optional[str] = None) -> dict:
    """What a config on top of ``cfg`` sets to train and test on VOC07+12.

    Args:
        cfg: The original (any mmseg segmentation config).
        data_root: The VOCdevkit folder (default: voc0712.py's).

    Returns:
        dict: Top-level keys to write: the dataloaders and evaluators of
        ``configs/_base_/datasets/voc0712.py`` (``_delete_=True``), and
        ``model`` with 21 classes in the decode and auxiliary heads and the
        512x512 crop.
    """
    voc = Config.fromfile(VOC0712)
    if data_root is not None:
        for ds in leaf_datasets(voc):
            ds['data_root'] = data_root
    out = {}
    for key in (*DATALOADERS, 'val_evaluator', 'test_evaluator'):
        value = copy.deepcopy(voc[key]).to_dict()
        value['_delete_'] = True
        out[key] = value
    model = dict(data_preprocessor=dict(size=CROP))
    for head in ('decode_head', 'auxiliary_head'):
        heads = cfg.model.get(head)
        if isinstance(heads, (list, tuple)):
            # cascades: lists are not merged but replaced, so all of it
            model[head] = [
                dict(copy.deepcopy(h), num_classes=NUM_CLASSES)
                for h in heads
            ]
        elif heads is not None:
            model[head] = dict(num_classes=NUM_CLASSES)
    out['model'] = model
    return out


def write_voc0712_config(src: str, out: str,
                         data_root: Optional[str] = None,
                         base: Optional[str] = None) -> str:
    """Write ``out``: ``src`` (as its ``_base_``: ``base`` if given, e.g.
    ``'mmseg::...'``, else its path relative to ``out``) retargeted to
    VOC07+12. Returns the text written."""
    cfg = Config.fromfile(src)
    overrides = voc0712_overrides(cfg, data_root)
    if base is None:
        base = osp.relpath(osp.abspath(src), osp.dirname(osp.abspath(out)))
    body = Config(overrides).pretty_text
    text = (
        f'# {osp.basename(src)} retargeted to PASCAL VOC 2007+2012 '
        '(tools/retarget_voc0712.py):\n'
        '# train on VOC2007 + VOC2012 trainval, test on VOC2007 test '
        '(configs/_base_/datasets/voc0712.py),\n'
        f'# {NUM_CLASSES} classes, {CROP[0]}x{CROP[1]} crops. The schedule '
        "and the optimizer are the original's.\n"
        f'_base_ = {base!r}\n\n' + body)
    with open(out, 'w') as f:
        f.write(text)
    return text
