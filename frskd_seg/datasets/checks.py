"""Checks of segmentation data sets, run when a tool loads its config, so a
wrong path or a broken mask fails in seconds with a message naming it, not
hours later inside a data-loader worker."""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config, ConfigDict
from PIL import Image

from .dataset_configs import DATALOADERS, leaf_datasets

#: what to do when a config's data root does not exist
NO_DATA_HINT = (
    'point the tools at the data with --data-root DIR (the folder holding '
    'VOC2007/ and VOC2012/; check it with tools/prepare_voc0712.py DIR), or '
    'make the demo data set: python tools/make_synthetic_voc.py '
    'data/voc0712_demo')
#: how many offending names an error message lists
SHOWN = 5


class DatasetCheckError(ValueError):
    """A data set of the config is missing files or holds bad ones."""


def _shown(names: List[str]) -> str:
    more = f' and {len(names) - SHOWN} more' if len(names) > SHOWN else ''
    return ', '.join(names[:SHOWN]) + more


def _count(n: int, noun: str) -> str:
    return f'{n} {noun}' if n == 1 else f'{n} {noun}s'


class SplitProblems:
    """Every problem found in one split, grouped by kind: ``{kind: [name
    (detail), ...]}`` in the order found."""

    def __init__(self, list_path: str):
        self.list_path = list_path
        self.kinds: Dict[str, List[str]] = {}

    def add(self, kind: str, name: str, detail: str = '') -> None:
        self.kinds.setdefault(kind, []).append(
            f'{name} ({detail})' if detail else name)

    def __bool__(self) -> bool:
        return bool(self.kinds)

    def message(self) -> str:
        count = sum(len(v) for v in self.kinds.values())
        lines = [f'{self.list_path}: {_count(count, "problem")}']
        for kind, names in self.kinds.items():
            lines.append(f'  {kind} ({len(names)}): {_shown(names)}')
        return '\n'.join(lines)


def _reason(error: Exception) -> str:
    text = str(error).split('\n')[0]
    return f'{type(error).__name__}: {text}' if text else type(error).__name__


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
    does not exist or the list is empty; otherwise every listed pair is
    checked and one error reports every kind of problem found, with counts
    and the first names of each: images or masks that are missing (or not
    regular files), and with ``check_masks`` images or masks that cannot be
    read in full (truncated, not an image, empty, unreadable), masks that
    are not palette/greyscale PNGs, that differ in size from their image,
    or that hold values outside ``0..num_classes-1`` and ``ignore_index``.
    Nothing is modified.
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
    problems = SplitProblems(list_path)
    for name in names:
        img_path = osp.join(data_root, img_dir, name + img_suffix)
        seg_path = osp.join(data_root, seg_dir, name + seg_suffix)
        present = True
        for kind, path, folder in (('image', img_path, img_dir),
                                   ('mask', seg_path, seg_dir)):
            if not osp.exists(path):
                problems.add(f'{kind}s missing from '
                             f'{osp.join(data_root, folder)}', name)
                present = False
            elif not osp.isfile(path):
                problems.add(f'{kind}s that are not files', name,
                             'a directory' if osp.isdir(path) else
                             'not a regular file')
                present = False
        if check_masks and present:
            _check_pair(name, img_path, seg_path, num_classes, ignore_index,
                        problems)
    if problems:
        raise DatasetCheckError(problems.message())
    return len(names)


def _read(path: str):
    """The decoded image (format, mode, size, pixels), or the error."""
    try:
        with Image.open(path) as image:
            image.load()  # decodes it all: truncated files fail here
            return image.format, image.mode, image.size, np.asarray(image)
    except (OSError, SyntaxError, ValueError) as error:
        # PIL: UnidentifiedImageError and truncation are OSErrors, some
        # corrupt PNG chunks SyntaxErrors; permissions are OSErrors too
        return error


def _check_pair(name, img_path, seg_path, num_classes, ignore_index,
                problems: SplitProblems) -> None:
    image, mask = _read(img_path), _read(seg_path)
    if isinstance(image, Exception):
        problems.add('unreadable images', name, _reason(image))
    if isinstance(mask, Exception):
        problems.add('unreadable masks', name, _reason(mask))
        return
    fmt, mode, size, values = mask
    if fmt != 'PNG' or mode not in ('P', 'L'):
        problems.add('masks not palette (P) or greyscale (L) PNGs of class '
                     'indices', name, f'a {fmt} image in mode {mode!r}')
        return
    if not isinstance(image, Exception) and image[2] != size:
        problems.add('masks whose size differs from their image', name,
                     f'image {image[2][0]}x{image[2][1]}, mask '
                     f'{size[0]}x{size[1]}')
    if num_classes is not None:
        bad = [int(v) for v in np.unique(values)
               if v >= num_classes and v != ignore_index]
        if bad:
            problems.add(
                f'masks with values outside 0..{num_classes - 1} and '
                f'{ignore_index} (ignored)', name, f'values {bad}')


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
    errors = []
    for ds in leaf_datasets(cfg, splits):
        if not (ds.get('ann_file') and ds.get('data_root')):
            continue  # not a list-based data set
        key = (ds.data_root, ds.ann_file)
        if key in seen:
            continue
        seen.add(key)
        prefix = ds.get('data_prefix', {})
        try:
            total += check_split(
                ds.data_root, prefix.get('img_path', ''),
                prefix.get('seg_map_path', ''), ds.ann_file,
                ds.get('img_suffix', '.jpg'),
                ds.get('seg_map_suffix', '.png'), num_classes, ignore_index,
                check_masks)
        except DatasetCheckError as error:
            errors.append(str(error))
    if errors:
        errors = list(dict.fromkeys(errors))  # one data root, said once
        if any('is not a directory' in e for e in errors):
            errors.append(NO_DATA_HINT)
        raise DatasetCheckError('\n'.join(errors))
    return total
