"""Walking the data-set configs of a config's dataloaders."""
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
