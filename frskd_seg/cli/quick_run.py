"""Trying a config small: ``--crop N`` (the whole geometry scaled to an
N x N training crop) and ``--smoke`` (a few iterations on a few images).

Both rewrite the config the tool runs, like ``--cfg-options``: the work
dir's config dump shows what ran.
"""
from typing import List, Tuple

from mmengine.config import Config

from frskd_seg.datasets.dataset_configs import leaf_datasets
from frskd_seg.utils.errors import ConfigError

#: ``--smoke``: training iterations, and images per validation/test data set
SMOKE_ITERS = 10
SMOKE_IMAGES = 4
#: transforms whose ``scale`` is an image size in pixels
_RESIZES = ('Resize', 'RandomResize', 'RandomChoiceResize')


def _pipelines(cfg: Config) -> List[list]:
    """Every pipeline the config defines: its data sets' and the top-level
    helper variables' (``train_pipeline``...), so the dump stays honest."""
    found = [d['pipeline'] for d in leaf_datasets(cfg) if 'pipeline' in d]
    found += [value for key, value in cfg.items()
              if key.endswith('pipeline') and isinstance(value, list)]
    # TTA pipelines nest their transforms (TestTimeAug.transforms)
    nested = []
    for pipeline in found:
        for step in pipeline:
            for group in step.get('transforms', []) if isinstance(
                    step, dict) else []:
                nested.append(group if isinstance(group, list) else [group])
    return found + nested


def training_crop(cfg: Config) -> Tuple[int, int]:
    """The (h, w) of the training pipeline's ``RandomCrop``."""
    for dataset in leaf_datasets(cfg, ('train_dataloader', )):
        for step in dataset.get('pipeline', []):
            if step.get('type') == 'RandomCrop':
                size = step['crop_size']
                return (size, size) if isinstance(size, int) else tuple(size)
    raise ConfigError('--crop scales the config to a new training crop, but '
                      'the training pipeline has no RandomCrop (crop_size) '
                      'to scale from')


def scale_to_crop(cfg: Config, crop: int) -> float:
    """Train on ``crop`` x ``crop`` crops and scale every image size of the
    config with it: the resize scales of all pipelines, the data
    preprocessor's padding size and a sliding-window test's window and
    stride, by ``crop / (the old crop's longer side)`` -- so a crop covers
    about the same part of an image as before. Returns the factor."""
    if crop < 8:
        raise ConfigError(f'--crop must be at least 8 pixels, got {crop}')
    old = training_crop(cfg)
    factor = crop / max(old)

    def scaled(size):
        if isinstance(size, int):
            return max(1, round(size * factor))
        return type(size)(max(1, round(s * factor)) for s in size)

    done = set()  # a transform shared by two pipelines is scaled once
    for pipeline in _pipelines(cfg):
        for step in pipeline:
            if not isinstance(step, dict) or id(step) in done:
                continue
            done.add(id(step))
            if step.get('type') == 'RandomCrop':
                step['crop_size'] = (crop, crop)
            elif step.get('type') in _RESIZES and 'scale' in step:
                scale = step['scale']
                step['scale'] = ([scaled(s) for s in scale] if isinstance(
                    scale, list) else scaled(scale))
    for holder in (cfg.get('model', {}), cfg):
        if holder.get('data_preprocessor', {}).get('size') is not None:
            holder['data_preprocessor']['size'] = (crop, crop)
    if 'crop_size' in cfg:
        cfg.crop_size = (crop, crop)
    test_cfg = cfg.get('model', {}).get('test_cfg') or {}
    if test_cfg.get('mode') == 'slide':
        test_cfg['crop_size'] = (crop, crop)
        test_cfg['stride'] = scaled(test_cfg['stride'])
    return factor


def make_smoke_run(cfg: Config) -> None:
    """A run that checks the path in a minute: ``SMOKE_ITERS`` training
    iterations (validated and checkpointed at the end), the first
    ``SMOKE_IMAGES`` images of each validation and test data set, no loader
    worker processes. An FRSKD schedule given as fractions of the run still
    distils; one in iterations is warned about at start."""
    loop = cfg.get('train_cfg', {})
    if 'max_iters' in loop:
        loop['max_iters'] = SMOKE_ITERS
        loop['val_interval'] = SMOKE_ITERS
    elif 'max_epochs' in loop:
        loop['max_epochs'] = 1
        loop['val_interval'] = 1
        for dataset in leaf_datasets(cfg, ('train_dataloader', )):
            dataset['indices'] = SMOKE_ITERS
    hooks = cfg.get('default_hooks', {})
    if 'checkpoint' in hooks:
        hooks['checkpoint']['interval'] = SMOKE_ITERS if 'max_iters' in \
            loop else 1
        hooks['checkpoint'].pop('save_best', None)
    if 'logger' in hooks:
        hooks['logger']['interval'] = 1
    for dataset in leaf_datasets(cfg, ('val_dataloader', 'test_dataloader')):
        dataset['indices'] = SMOKE_IMAGES
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader) is not None:
            cfg[loader]['num_workers'] = 0
            cfg[loader]['persistent_workers'] = False


def add_quick_run_arguments(parser) -> None:
    """``--crop`` and ``--smoke`` (tools/train.py, tools/test.py)."""
    parser.add_argument(
        '--crop', type=int, metavar='N',
        help='try the config small: N x N training crops, and every image '
        'size of the config (resize scales, padding, sliding window) '
        'scaled with the crop')
    parser.add_argument(
        '--smoke', action='store_true',
        help=f'a quick check of the path: {SMOKE_ITERS} training '
        f'iterations, the first {SMOKE_IMAGES} images of each validation '
        'and test set, no loader workers')


def apply_quick_run_arguments(cfg: Config, args) -> None:
    """What ``--crop`` and ``--smoke`` ask of ``cfg``, after
    ``--cfg-options``."""
    if args.crop is not None:
        scale_to_crop(cfg, args.crop)
    if args.smoke:
        make_smoke_run(cfg)
