"""Checks of segmentation data sets, run when a tool loads its config, so a
wrong path or a broken mask fails in seconds with a message naming it, not
hours later inside a data-loader worker."""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine.config import Config, ConfigDict
from PIL import Image

from .dataset_configs import DATALOADERS, leaf_datasets

#: how many offending names an error message lists
SHOWN = 5


class DatasetCheckError(ValueError):
    """A data set of the config is missing files or holds bad masks."""


def _shown(names: List[str]) -> str:
    more = f' and {len(names) - SHOWN} more' if len(names) > SHOWN else ''
    return ', '.join(names[:SHOWN]) + more


def check_split(data_root: str,
                img_dir: str,
                seg_dir: str,
                ann_file: str,
                img_suffix: str = '.jpg',
                seg_suffix: str = '.png',
                num_classes: Optional[int] = None,
                ignore_index: int = 255,
                check_masks: bool = True) -> int:
    """Check one split of a VOC-style data set; return its number of images.

    Raises :class:`DatasetCheckError` when ``data_root`` or the split list
    does not exist, the list names images or masks that do not exist, or
    (with ``check_masks``) a mask is not a palette/greyscale PNG, differs in
    size from its image, or holds values outside ``0..num_classes-1`` and
    ``ignore_index``.
    """
    if not osp.isdir(data_root):
        raise DatasetCheckError(f'data_root {data_root!r} is not a directory')
    list_path = osp.join(data_root, ann_file)
    if not osp.isfile(list_path):
        raise DatasetCheckError(
            f'split list {ann_file!r} does not exist under data_root '
            f'{data_root!r}')
    with open(list_path) as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise DatasetCheckError(f'split list {list_path} is empty')
    img_paths = [osp.join(data_root, img_dir, n + img_suffix) for n in names]
    seg_paths = [osp.join(data_root, seg_dir, n + seg_suffix) for n in names]
    for kind, paths, folder in (('images', img_paths, img_dir),
                                ('masks', seg_paths, seg_dir)):
        missing = [n for n, p in zip(names, paths) if not osp.isfile(p)]
        if missing:
            raise DatasetCheckError(
                f'{list_path} names {len(missing)} {kind} missing from '
                f'{osp.join(data_root, folder)}: {_shown(missing)}')
    if check_masks:
        for name, img_path, seg_path in zip(names, img_paths, seg_paths):
            _check_mask(name, img_path, seg_path, num_classes, ignore_index)
    return len(names)


def _check_mask(name, img_path, seg_path, num_classes, ignore_index):
    with Image.open(seg_path) as mask:
        if mask.format != 'PNG' or mask.mode not in ('P', 'L'):
            raise DatasetCheckError(
                f'mask {seg_path} is a {mask.format} image in mode '
                f'{mask.mode!r}; expected a palette (P) or greyscale (L) '
                'PNG of class indices')
        with Image.open(img_path) as img:
            if img.size != mask.size:
                raise DatasetCheckError(
                    f'image {img_path} is {img.size[0]}x{img.size[1]} but '
                    f'its mask {seg_path} is {mask.size[0]}x{mask.size[1]}')
        values = np.unique(np.asarray(mask))
    if num_classes is not None:
        bad = [int(v) for v in values
               if v >= num_classes and v != ignore_index]
        if bad:
            raise DatasetCheckError(
                f'mask {seg_path} holds values {bad}; expected class '
                f'indices 0..{num_classes - 1} or {ignore_index} (ignored)')


def check_config_datasets(cfg: Config, check_masks: bool = True,
                          splits=DATALOADERS) -> int:
    """Run :func:`check_split` on every list-based data set of the config's
    train/val/test dataloaders; return the number of images checked."""
    decode_head = cfg.get('model', {}).get('decode_head', {})
    if not isinstance(decode_head, (dict, ConfigDict)):
        decode_head = {}  # e.g. a list of cascaded heads: values unchecked
    num_classes = decode_head.get('num_classes')
    ignore_index = decode_head.get('ignore_index', 255)
    total = 0
    seen = set()
    for ds in leaf_datasets(cfg, splits):
        if not (ds.get('ann_file') and ds.get('data_root')):
            continue  # not a list-based data set
        key = (ds.data_root, ds.ann_file)
        if key in seen:
            continue
        seen.add(key)
        prefix = ds.get('data_prefix', {})
        total += check_split(
            ds.data_root, prefix.get('img_path', ''),
            prefix.get('seg_map_path', ''), ds.ann_file,
            ds.get('img_suffix', '.jpg'), ds.get('seg_map_suffix', '.png'),
            num_classes, ignore_index, check_masks)
    return total
