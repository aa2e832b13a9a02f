"""The unlabeled pool: VOC's listed images without masks, never a held-out
one, its augmentations from a stream of its own."""
import os
import os.path as osp
import random

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from frskd_seg.cli.config_utils import set_data_root
from frskd_seg.datasets import (PrivateRandomState, SplitSizes,
                                VOCUnlabeledDataset, make_synthetic_voc0712)
from frskd_seg.datasets.checks import (DatasetCheckError,
                                       check_config_datasets)
from frskd_seg.datasets.dataset_configs import leaf_datasets
from tests.conftest import UNLABELED_CONFIG, load_config


def _names(dataset):
    return [osp.splitext(osp.basename(dataset.get_data_info(i)['img_path']))
            [0] for i in range(len(dataset))]


def _read(root, year, task, split):
    with open(osp.join(root, year, 'ImageSets', task, f'{split}.txt')) as f:
        return f.read().split()


def _pool(root, year, held_out=()):
    return VOCUnlabeledDataset(
        data_root=root,
        data_prefix=dict(img_path=f'{year}/JPEGImages',
                         seg_map_path=f'{year}/SegmentationClass'),
        ann_file=f'{year}/ImageSets/Main/trainval.txt',
        held_out=list(held_out), pipeline=[])


def test_synthetic_pool_is_main_without_the_masked_images(synthetic_voc):
    for year, count in (('VOC2007', 8), ('VOC2012', 6)):
        pool = _names(_pool(synthetic_voc, year))
        assert len(pool) == count
        masked = set(_read(synthetic_voc, year, 'Segmentation', 'trainval'))
        assert not set(pool) & masked
        listed = set(_read(synthetic_voc, year, 'Main', 'trainval'))
        assert set(pool) | masked == listed  # Main lists both, as in VOC
        for name in pool:
            assert osp.isfile(osp.join(synthetic_voc, year, 'JPEGImages',
                                       name + '.jpg'))
            assert not osp.exists(osp.join(
                synthetic_voc, year, 'SegmentationClass', name + '.png'))


def test_the_pool_leaves_the_labeled_files_unchanged(tmp_path):
    sizes = dict(voc07_train=2, voc07_val=1, voc07_test=2, voc12_train=2,
                 voc12_val=1)
    with_pool, without = str(tmp_path / 'a'), str(tmp_path / 'b')
    make_synthetic_voc0712(with_pool, SplitSizes(**sizes), image_size=(24, 32))
    make_synthetic_voc0712(without, SplitSizes(**sizes, voc07_unlabeled=0,
                                               voc12_unlabeled=0),
                           image_size=(24, 32))
    for year in ('VOC2007', 'VOC2012'):
        for folder in ('SegmentationClass', 'JPEGImages'):
            for name in os.listdir(osp.join(without, year, folder)):
                with open(osp.join(with_pool, year, folder, name), 'rb') as a, \
                        open(osp.join(without, year, folder, name),
                             'rb') as b:
                    assert a.read() == b.read(), name
    assert len(os.listdir(osp.join(with_pool, 'VOC2007', 'JPEGImages'))) == \
        5 + 360


def _write_voc2007(root, lists, masked, images):
    """A VOC2007 folder: ``lists`` {(task, split): names}, masks for
    ``masked``, images for ``images``."""
    year = osp.join(root, 'VOC2007')
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Main',
                'ImageSets/Segmentation'):
        os.makedirs(osp.join(year, sub), exist_ok=True)
    img = np.full((8, 8, 3), 128, np.uint8)
    for name in images:
        cv2.imwrite(osp.join(year, 'JPEGImages', name + '.jpg'), img)
    for name in masked:
        cv2.imwrite(osp.join(year, 'SegmentationClass', name + '.png'),
                    np.zeros((8, 8), np.uint8))
    for (task, split), names in lists.items():
        with open(osp.join(year, 'ImageSets', task, split + '.txt'), 'w') as f:
            f.write(''.join(n + '\n' for n in names))


@pytest.fixture
def overlapping_voc(tmp_path):
    """Lists that overlap as a careless merge makes them: Main/trainval also
    names a segmentation val image, a segmentation test image and a Main
    test image without a mask."""
    root = str(tmp_path / 'VOCdevkit')
    _write_voc2007(
        root, {
            ('Main', 'trainval'): ['a', 'b', 'c', 'segtrain', 'segval',
                                   'segtest', 'maintest'],
            ('Main', 'test'): ['maintest', 'segtest'],
            ('Segmentation', 'trainval'): ['segtrain', 'segval'],
            ('Segmentation', 'val'): ['segval'],
            ('Segmentation', 'test'): ['segtest'],
        },
        masked=['segtrain', 'segval', 'segtest'],
        images=['a', 'b', 'c', 'segtrain', 'segval', 'segtest', 'maintest'])
    return root


def test_no_held_out_image_where_the_lists_overlap(overlapping_voc):
    pool = _pool(overlapping_voc, 'VOC2007', [
        'VOC2007/ImageSets/Main/test.txt',
        'VOC2007/ImageSets/Segmentation/test.txt'])
    assert _names(pool) == ['a', 'b', 'c']
    # without the held-out lists the masked images still stay out
    assert _names(_pool(overlapping_voc, 'VOC2007')) == ['a', 'b', 'c',
                                                          'maintest']


def test_the_shipped_configs_hold_no_held_out_image(synthetic_voc):
    """The demo config's pool on a VOC layout, as training builds it: no
    image of its validation or test lists (the check at config load)."""
    cfg = load_config(UNLABELED_CONFIG)
    set_data_root(cfg, synthetic_voc)
    pools = [d for d in leaf_datasets(cfg, ['train_dataloader'])
             if d['type'] == 'VOCUnlabeledDataset']
    assert len(pools) == 2
    check_config_datasets(cfg)  # does not raise
    real = Config.fromfile(osp.join(osp.dirname(UNLABELED_CONFIG), '..',
                                    'frskd_deeplab_voc_unlabeled.py'))
    held = {d['ann_file'] for d in leaf_datasets(real, ['test_dataloader'])}
    for pool in leaf_datasets(real, ['train_dataloader']):
        if pool['type'] == 'VOCUnlabeledDataset' and 'VOC2007' in \
                pool['ann_file']:
            assert held <= set(pool['held_out'])


def test_a_pool_image_in_a_held_out_list_fails_at_config_load(
        overlapping_voc):
    pool = dict(type='VOCUnlabeledDataset', data_root=overlapping_voc,
                data_prefix=dict(img_path='VOC2007/JPEGImages',
                                 seg_map_path='VOC2007/SegmentationClass'),
                ann_file='VOC2007/ImageSets/Main/trainval.txt', pipeline=[])
    test = dict(type='VOCUnlabeledDataset', data_root=overlapping_voc,
                ann_file='VOC2007/ImageSets/Main/test.txt')
    cfg = Config(dict(train_dataloader=dict(dataset=pool),
                      test_dataloader=dict(dataset=test)))
    with pytest.raises(DatasetCheckError, match=r'maintest.*held_out'):
        check_config_datasets(cfg)


def test_an_empty_pool_fails_at_config_load(overlapping_voc):
    pool = dict(type='VOCUnlabeledDataset', data_root=overlapping_voc,
                data_prefix=dict(img_path='VOC2007/JPEGImages',
                                 seg_map_path='VOC2007/SegmentationClass'),
                ann_file='VOC2007/ImageSets/Segmentation/trainval.txt')
    cfg = Config(dict(train_dataloader=dict(dataset=pool)))
    with pytest.raises(DatasetCheckError, match='pool is empty'):
        check_config_datasets(cfg)


def test_samples_have_no_mask_and_leave_the_global_streams_alone(
        synthetic_voc):
    cfg = load_config(UNLABELED_CONFIG)
    set_data_root(cfg, synthetic_voc)
    pool_cfg = cfg.train_dataloader.dataset.datasets[1].datasets[0]
    pool = VOCUnlabeledDataset(**{k: v for k, v in pool_cfg.items()
                                  if k != 'type'})
    np.random.seed(3)
    random.seed(3)
    before = (np.random.get_state()[1].copy(), random.getstate())
    sample = pool[0]
    assert np.array_equal(np.random.get_state()[1], before[0])
    assert random.getstate() == before[1]
    assert 'gt_sem_seg' not in sample['data_samples']
    h, w = sample['inputs'].shape[1:]
    assert h <= 128 and w <= 128 and max(h, w) == 128  # cropped


def test_private_random_state_is_a_stream_of_its_own():
    state = PrivateRandomState()
    np.random.seed(0)
    expected = np.random.rand(3)
    np.random.seed(0)
    with state:
        first = np.random.rand(2)
    assert np.array_equal(np.random.rand(3), expected)  # global untouched
    with state:
        second = np.random.rand(2)
    assert not np.array_equal(first, second)  # the stream continues
    replay = PrivateRandomState()
    with replay:
        assert np.array_equal(np.random.rand(4), np.r_[first, second])
