"""MultiSourceSampler: fixed shares per batch, the first source's draws
exactly InfiniteSampler's over it alone."""
import itertools

import pytest
from mmengine.dataset import BaseDataset, ConcatDataset, InfiniteSampler
from mmengine.dataset import sampler as mmengine_sampler

from frskd_seg.datasets import MultiSourceSampler
from frskd_seg.datasets.dataset_configs import labeled_dataloader
from frskd_seg.utils.errors import ConfigError


class _Sized(BaseDataset):

    def __init__(self, n):
        self.n = n
        super().__init__(serialize_data=False)

    def load_data_list(self):
        return [dict(index=i) for i in range(self.n)]


def _concat(*sizes):
    return ConcatDataset([_Sized(n) for n in sizes])


def _batches(sampler, batch_size, count):
    it = iter(sampler)
    return [[next(it) for _ in range(batch_size)] for _ in range(count)]


@pytest.mark.parametrize('seed', [0, 7])
@pytest.mark.parametrize('ratio,batch', [([1, 1], 4), ([1, 3], 8),
                                         ([2, 1], 6)])
def test_first_source_is_infinite_samplers(seed, ratio, batch):
    dataset = _concat(10, 37)
    sampler = MultiSourceSampler(dataset, batch, ratio, seed=seed)
    labeled = batch * ratio[0] // sum(ratio)
    twin = iter(InfiniteSampler(_Sized(10), seed=seed))
    for drawn in _batches(sampler, batch, 25):
        assert drawn[:labeled] == [next(twin) for _ in range(labeled)]
        assert all(10 <= i < 47 for i in drawn[labeled:])
    # every unlabeled image comes round once per pass over the pool
    sampler = MultiSourceSampler(dataset, batch, ratio, seed=seed)
    pool = list(itertools.islice(
        (i for b in _batches(sampler, batch, 200) for i in b[labeled:]),
        37 * 2))
    assert sorted(pool[:37]) == list(range(10, 47))


@pytest.mark.parametrize('rank', [0, 1, 2])
def test_ranks_split_each_source_as_infinite_sampler(rank, monkeypatch):
    monkeypatch.setattr(mmengine_sampler, 'get_dist_info', lambda: (rank, 3))
    sampler = MultiSourceSampler(_concat(11, 20), 4, [1, 1], seed=3)
    twin = iter(InfiniteSampler(_Sized(11), seed=3))
    for drawn in _batches(sampler, 4, 10):
        assert drawn[:2] == [next(twin), next(twin)]


def test_bad_arguments_are_named():
    with pytest.raises(ConfigError, match=r'batch_size=5 .*multiple of 2'):
        MultiSourceSampler(_concat(3, 3), 5, [1, 1], seed=0)
    with pytest.raises(ConfigError, match=r'source_ratio=\[1\].*has 2'):
        MultiSourceSampler(_concat(3, 3), 4, [1], seed=0)
    with pytest.raises(ConfigError, match='data set 1 .* is empty'):
        MultiSourceSampler(_concat(3, 0), 4, [1, 1], seed=0)
    with pytest.raises(ConfigError, match='ConcatDataset'):
        MultiSourceSampler(_Sized(3), 4, [1, 1], seed=0)


def test_labeled_dataloader_is_the_twins():
    labeled = dict(type='ConcatDataset', datasets=['voc07', 'voc12'])
    loader = dict(batch_size=12, num_workers=2,
                  sampler=dict(type='MultiSourceSampler', batch_size=12,
                               source_ratio=[1, 2], shuffle=True),
                  dataset=dict(type='ConcatDataset',
                               datasets=[labeled, 'pool']))
    assert labeled_dataloader(loader) == dict(
        batch_size=4, num_workers=2,
        sampler=dict(type='InfiniteSampler', shuffle=True), dataset=labeled)
    plain = dict(batch_size=4, sampler=dict(type='InfiniteSampler'))
    assert labeled_dataloader(plain) == plain
