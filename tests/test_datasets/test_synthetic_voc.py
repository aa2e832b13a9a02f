import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from frskd_seg.cli.config_utils import set_data_root
from frskd_seg.datasets import (SplitSizes, make_scene, make_synthetic_voc0712,
                                voc_palette)
from mmseg.datasets import PascalVOCDataset
from mmseg.registry import DATASETS
from tests.conftest import REPO


def read_list(root, year, split):
    path = osp.join(root, year, 'ImageSets', 'Segmentation', f'{split}.txt')
    with open(path) as f:
        return f.read().split()


def test_voc_layout_and_lists(synthetic_voc):
    root = synthetic_voc
    for year, splits in [('VOC2007', ['train', 'val', 'trainval', 'test']),
                         ('VOC2012', ['train', 'val', 'trainval'])]:
        for split in splits:
            for name in read_list(root, year, split):
                assert osp.isfile(
                    osp.join(root, year, 'JPEGImages', f'{name}.jpg'))
                assert osp.isfile(
                    osp.join(root, year, 'SegmentationClass', f'{name}.png'))
        assert read_list(root, year, 'trainval') == read_list(
            root, year, 'train') + read_list(root, year, 'val')
    assert len(read_list(root, 'VOC2007', 'test')) == 4
    assert not set(read_list(root, 'VOC2007', 'test')) & set(
        read_list(root, 'VOC2007', 'trainval'))
    assert all(
        n.startswith('20') and '_' in n
        for n in read_list(root, 'VOC2012', 'trainval'))


def test_masks_are_voc_palette_pngs_with_void_borders(synthetic_voc):
    labels = set()
    for name in read_list(synthetic_voc, 'VOC2007', 'trainval'):
        png = Image.open(
            osp.join(synthetic_voc, 'VOC2007', 'SegmentationClass',
                     f'{name}.png'))
        assert png.mode == 'P'
        assert png.getpalette()[:63] == voc_palette()[:63]
        img = Image.open(
            osp.join(synthetic_voc, 'VOC2007', 'JPEGImages', f'{name}.jpg'))
        assert img.size == png.size
        values = set(np.unique(np.array(png)).tolist())
        assert values <= set(range(21)) | {255}
        assert 255 in values and 0 in values
        labels |= values
    assert len(labels - {0, 255}) >= 3  # several object classes


def test_scene_has_several_classes_and_occlusion():
    rng = np.random.default_rng(0)
    from frskd_seg.datasets.synthetic_voc import _class_appearance
    looks = _class_appearance(20, rng)
    counts = [
        len(set(np.unique(make_scene(rng, looks, (96, 128))[1])) - {0, 255})
        for _ in range(30)
    ]
    assert max(counts) >= 3 and min(counts) >= 0
    img, label = make_scene(rng, looks, (50, 70))
    assert img.shape == (50, 70, 3) and img.dtype == np.uint8
    assert label.shape == (50, 70)


def test_same_seed_same_files(tmp_path):
    sizes = SplitSizes(1, 1, 1, 1, 1)
    make_synthetic_voc0712(str(tmp_path / 'a'), sizes, seed=3)
    make_synthetic_voc0712(str(tmp_path / 'b'), sizes, seed=3)
    for dirpath, _, files in os.walk(tmp_path / 'a'):
        for f in files:
            p = osp.join(dirpath, f)
            q = p.replace(str(tmp_path / 'a'), str(tmp_path / 'b'))
            assert open(p, 'rb').read() == open(q, 'rb').read()


def test_refuses_to_write_into_a_real_folder(tmp_path):
    (tmp_path / 'VOC2007').mkdir()
    with pytest.raises(FileExistsError, match='not a synthetic data set'):
        make_synthetic_voc0712(str(tmp_path))
    with pytest.raises(ValueError, match='num_object_classes must be in '
                       '1..20, got 21'):
        make_synthetic_voc0712(str(tmp_path / 'x'), num_object_classes=21)


def test_real_dataset_config_reads_it(synthetic_voc):
    """configs/_base_/datasets/voc0712.py runs with only data_root changed."""
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'datasets', 'voc0712.py'))
    assert set_data_root(cfg, synthetic_voc) == 4  # 2 train + val + test
    train = DATASETS.build(cfg.train_dataloader.dataset)
    test = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(train) == 8 + 8 and len(test) == 4
    sample = train[0]
    # mmseg's VOC pipeline: random resize around 512 short side, 512 crop
    assert sample['inputs'].shape[0] == 3
    assert max(sample['inputs'].shape[1:]) <= 512
    assert isinstance(test, PascalVOCDataset)
    item = test[0]
    gt = item['data_samples'].gt_sem_seg.data
    assert set(gt.unique().tolist()) <= set(range(21)) | {255}
