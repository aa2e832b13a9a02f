"""Walking the data-set configs of a config's dataloaders."""
import copy
from typing import Iterator, Sequence

from mmengine.config import Config, ConfigDict

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def leaf_datasets(cfg: Config,
                  loaders: Sequence[str] = DATALOADERS) -> Iterator[dict]:
    """The data-set configs of the named dataloaders, through wrappers
    (``ConcatDataset.datasets``, ``RepeatDataset.dataset``); yielded as the
    config's own dicts, so edits reach the config."""

    def visit(dataset):
        if isinstance(dataset, (list, tuple)):
            for d in dataset:
                yield from visit(d)
        elif isinstance(dataset, (dict, ConfigDict)):
            if 'datasets' in dataset or 'dataset' in dataset:
                yield from visit(dataset.get('datasets', []))
                yield from visit(dataset.get('dataset'))
            else:
                yield dataset

    for name in loaders:
        if cfg.get(name) is not None:
            yield from visit(cfg[name].get('dataset'))


def labeled_dataloader(loader: dict) -> dict:
    """A ``train_dataloader`` config without its unlabeled data sets: for a
    ``MultiSourceSampler`` over ``ConcatDataset([labeled, unlabeled...])``,
    the labeled data set alone, with ``InfiniteSampler`` and the labeled
    share of the batch (the batches the run's labeled images come in);
    any other loader unchanged. A copy either way."""
    loader = copy.deepcopy(loader)
    sampler = loader.get('sampler') or {}
    if sampler.get('type') != 'MultiSourceSampler':
        return loader
    ratio = list(sampler['source_ratio'])
    loader['batch_size'] = sampler['batch_size'] * ratio[0] // sum(ratio)
    loader['sampler'] = dict(type='InfiniteSampler',
                             shuffle=sampler.get('shuffle', True))
    loader['dataset'] = loader['dataset']['datasets'][0]
    return loader
