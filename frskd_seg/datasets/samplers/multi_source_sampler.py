"""Batches drawn from several data sets at a fixed ratio, the first one's
draws exactly those of mmengine's ``InfiniteSampler`` over it alone."""
import itertools
from typing import Iterable, Iterator, Optional, Sequence

from mmengine.dataset import ConcatDataset, InfiniteSampler
from mmengine.dist import sync_random_seed
from torch.utils.data import Sampler

from frskd_seg.utils.errors import ConfigError
from mmseg.registry import DATA_SAMPLERS

#: offset between the seeds of consecutive sources
_SOURCE_SEED_OFFSET = 0x50C3


@DATA_SAMPLERS.register_module()
class MultiSourceSampler(Sampler):
    """Each batch takes a fixed number of samples from each data set of a
    ``ConcatDataset`` (mmdet's ``MultiSourceSampler``, as its
    semi-supervised detectors use, for an iteration-based loop).

    With ``source_ratio=[1, 1]`` and ``batch_size=8``, every batch is 4
    samples of the first data set followed by 4 of the second. Source ``i``
    is shuffled by a generator of its own, seeded ``seed + i * offset``, and
    split across ranks as ``InfiniteSampler`` splits a data set: the first
    source's samples are exactly those, in the same order, that
    ``InfiniteSampler(seed=seed)`` gives over that source alone with a
    batch of its share. So a run whose batches also hold unlabeled images
    trains on exactly the labeled batches of its twin without them.

    Args:
        dataset (ConcatDataset): The sources, in ``source_ratio``'s order.
        batch_size (int): Samples per batch; must be the dataloader's.
        source_ratio (Sequence[int]): Samples of each source per batch, up to
            a common factor: ``batch_size * r_i / sum(r)`` must be whole.
        shuffle (bool): Shuffle each source (else sequential).
        seed (int, optional): The Runner passes the run's seed.
    """

    def __init__(self,
                 dataset: ConcatDataset,
                 batch_size: int,
                 source_ratio: Sequence[int],
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        if not isinstance(dataset, ConcatDataset):
            raise ConfigError(
                'MultiSourceSampler samples a ConcatDataset of the sources '
                f'(labeled first), got {type(dataset).__name__}')
        sources = dataset.datasets
        if len(source_ratio) != len(sources) or any(
                not isinstance(r, int) or r < 1 for r in source_ratio):
            raise ConfigError(
                f'MultiSourceSampler: source_ratio={list(source_ratio)} '
                f'needs one whole number >= 1 per data set (the '
                f'ConcatDataset has {len(sources)})')
        total = sum(source_ratio)
        if batch_size % total:
            raise ConfigError(
                f'MultiSourceSampler: batch_size={batch_size} cannot be '
                f'split by source_ratio={list(source_ratio)}: it must be a '
                f'multiple of {total}')
        self.num_per_source = [batch_size * r // total for r in source_ratio]
        for i, source in enumerate(sources):
            if len(source) == 0:
                raise ConfigError(
                    f'MultiSourceSampler: data set {i} of the ConcatDataset '
                    f'({type(source).__name__}) is empty')
        self.dataset = dataset
        self.batch_size = batch_size
        self.source_ratio = list(source_ratio)
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        offsets = [0] + list(itertools.accumulate(map(len, sources)))[:-1]
        # each source's draws are mmengine's InfiniteSampler's over it alone
        # (the first one's with the run's seed), split across ranks alike
        self._streams = [
            _shifted(InfiniteSampler(source, shuffle=shuffle,
                                     seed=self.seed + i * _SOURCE_SEED_OFFSET),
                     offset)
            for i, (source, offset) in enumerate(zip(sources, offsets))
        ]

    def __iter__(self) -> Iterator[int]:
        while True:
            for stream, count in zip(self._streams, self.num_per_source):
                for _ in range(count):
                    yield next(stream)

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Not used: an iteration-based loop."""


def _shifted(indices: Iterable[int], offset: int) -> Iterator[int]:
    """A source's indices as the ConcatDataset's."""
    for index in indices:
        yield offset + index
