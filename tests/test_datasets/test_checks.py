"""Data-set checks on generated VOC-layout data with parts removed or
corrupted: each error names the bad file or value and what was expected."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from frskd_seg.cli.config_utils import set_data_root
from frskd_seg.datasets.checks import (DatasetCheckError,
                                       check_config_datasets, check_split)
from tests.conftest import DEMO_CONFIG, load_config, run_python

VOC07 = ('VOC2007/JPEGImages', 'VOC2007/SegmentationClass')
TEST_LIST = 'VOC2007/ImageSets/Segmentation/test.txt'


@pytest.fixture
def voc(synthetic_voc, tmp_path):
    """A private copy of the synthetic set, to break."""
    root = str(tmp_path / 'VOCdevkit')
    shutil.copytree(synthetic_voc, root)
    return root


def first_test_name(root):
    return open(osp.join(root, TEST_LIST)).readline().strip()


def check(root):
    return check_split(root, *VOC07, TEST_LIST, num_classes=21)


def test_good_split_passes(voc):
    assert check(voc) == 4


def test_whole_config_is_checked(voc):
    cfg = load_config(DEMO_CONFIG)
    set_data_root(cfg, voc)
    assert check_config_datasets(cfg) == 8 + 8 + 4


def test_missing_data_root_and_list(voc):
    with pytest.raises(DatasetCheckError,
                       match=r"data_root '.*nowhere' is not a directory"):
        check_split(osp.join(voc, 'nowhere'), *VOC07, TEST_LIST)
    with pytest.raises(DatasetCheckError,
                       match=r"split list 'VOC2007/ImageSets/Segmentation/"
                       r"nope.txt' does not exist under data_root"):
        check_split(voc, *VOC07, 'VOC2007/ImageSets/Segmentation/nope.txt')


@pytest.mark.parametrize('folder, kind', [(VOC07[0], 'images'),
                                          (VOC07[1], 'masks')])
def test_listed_file_missing(voc, folder, kind):
    name = first_test_name(voc)
    suffix = '.jpg' if kind == 'images' else '.png'
    os.remove(osp.join(voc, folder, name + suffix))
    with pytest.raises(DatasetCheckError,
                       match=rf'{kind} missing from .*{folder} \(1\): '
                       rf'{name}$'):
        check(voc)


def test_rgb_mask(voc):
    path = osp.join(voc, VOC07[1], first_test_name(voc) + '.png')
    Image.open(path).convert('RGB').save(path)
    with pytest.raises(DatasetCheckError,
                       match=r'masks not palette \(P\) or greyscale \(L\) '
                       r"PNGs of class indices \(1\): \S+ \(a PNG image "
                       r"in mode 'RGB'\)"):
        check(voc)


def test_mask_that_is_a_jpeg(voc):
    path = osp.join(voc, VOC07[1], first_test_name(voc) + '.png')
    Image.open(path).convert('L').save(path, format='JPEG')
    with pytest.raises(DatasetCheckError, match="a JPEG image in mode 'L'"):
        check(voc)


def test_class_values_out_of_range(voc):
    path = osp.join(voc, VOC07[1], first_test_name(voc) + '.png')
    mask = Image.open(path)
    values = np.array(mask)
    values[0, :3] = [30, 21, 254]
    out = Image.fromarray(values, mode='P')
    out.putpalette(mask.getpalette())
    out.save(path)
    with pytest.raises(DatasetCheckError,
                       match=r'masks with values outside 0..20 and 255 '
                       r'\(ignored\) \(1\): \S+ \(values \[21, 30, 254\]\)'):
        check(voc)


def test_image_and_mask_sizes_differ(voc):
    path = osp.join(voc, VOC07[1], first_test_name(voc) + '.png')
    mask = Image.open(path)
    small = mask.resize((mask.size[0] - 3, mask.size[1]), Image.NEAREST)
    small.save(path)
    with pytest.raises(DatasetCheckError,
                       match=rf'image {mask.size[0]}x{mask.size[1]}, mask '
                       rf'{mask.size[0] - 3}x{mask.size[1]}'):
        check(voc)


def test_train_tool_fails_fast_on_bad_data(voc):
    os.remove(osp.join(voc, VOC07[0], first_test_name(voc) + '.jpg'))
    proc = run_python('tools/train.py', DEMO_CONFIG, '--data-root', voc,
                      '--work-dir', osp.join(voc, 'work'))
    assert proc.returncode != 0
    assert 'DatasetCheckError' in proc.stderr
    assert 'images missing from' in proc.stderr
    assert not osp.exists(osp.join(voc, 'work'))  # before the Runner


def tree_digest(root):
    import hashlib
    digest = hashlib.sha256()
    for dirpath, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            digest.update(f.encode())
            digest.update(open(osp.join(dirpath, f), 'rb').read())
    return digest.hexdigest()


def test_prepare_tool_reports_and_never_modifies(voc):
    run = lambda: run_python('tools/prepare_voc0712.py', voc)  # noqa: E731
    proc = run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'VOC2007 trainval  ok: 8 images, 8 masks' in proc.stdout
    assert 'VOC2007 test      ok: 4 images' in proc.stdout
    name = open(osp.join(
        voc, 'VOC2012/ImageSets/Segmentation/trainval.txt')).readline()
    os.remove(osp.join(voc, VOC07[1].replace('2007', '2012'),
                       name.strip() + '.png'))
    before = tree_digest(voc)
    proc = run()
    assert proc.returncode == 1
    assert ('VOC2012 trainval  PROBLEM: ' in proc.stdout
            and 'masks missing from' in proc.stdout
            and name.strip() in proc.stdout)
    assert 'VOC2007 test      ok' in proc.stdout
    assert tree_digest(voc) == before


def test_every_kind_of_breakage_reported_in_one_run(voc):
    """Break one split in every known way at once: one check reports every
    problem, naming each file, and modifies nothing."""
    names = open(osp.join(voc, TEST_LIST)).read().split()
    names += open(osp.join(
        voc, 'VOC2007/ImageSets/Segmentation/trainval.txt')).read().split()
    with open(osp.join(voc, TEST_LIST), 'w') as f:
        f.write('\n'.join(names) + '\n')  # 12 names to break
    img = lambda n: osp.join(voc, VOC07[0], n + '.jpg')  # noqa: E731
    seg = lambda n: osp.join(voc, VOC07[1], n + '.png')  # noqa: E731
    broken = dict(zip([
        'missing image', 'missing mask', 'truncated mask', 'truncated image',
        'garbage image', 'empty mask', 'directory mask', 'rgb mask',
        'bad values', 'wrong size'
    ], names))
    os.remove(img(broken['missing image']))
    os.remove(seg(broken['missing mask']))
    for path in (seg(broken['truncated mask']),
                 img(broken['truncated image'])):
        data = open(path, 'rb').read()
        open(path, 'wb').write(data[:len(data) // 2])
    open(img(broken['garbage image']), 'wb').write(b'not a jpeg' * 50)
    open(seg(broken['empty mask']), 'wb').close()
    os.remove(seg(broken['directory mask']))
    os.makedirs(seg(broken['directory mask']))
    path = seg(broken['rgb mask'])
    Image.open(path).convert('RGB').save(path)
    path = seg(broken['bad values'])
    mask = Image.open(path)
    values = np.array(mask)
    values[0, 0] = 99
    out = Image.fromarray(values, mode='P')
    out.putpalette(mask.getpalette())
    out.save(path)
    path = seg(broken['wrong size'])
    Image.open(path).resize((20, 10), Image.NEAREST).save(path)
    before = tree_digest(voc)
    unreadable = None
    if os.geteuid() != 0:  # root reads mode-000 files anyway
        unreadable = names[10]
        os.chmod(seg(unreadable), 0)

    with pytest.raises(DatasetCheckError) as info:
        check(voc)
    message = str(info.value)
    expected = {
        'missing image': 'images missing from',
        'missing mask': 'masks missing from',
        'truncated mask': 'unreadable masks',
        'truncated image': 'unreadable images',
        'garbage image': 'unreadable images',
        'empty mask': 'unreadable masks',
        'directory mask': 'masks that are not files',
        'rgb mask': 'masks not palette (P) or greyscale (L) PNGs',
        'bad values': 'masks with values outside 0..20',
        'wrong size': 'masks whose size differs from their image',
    }
    lines = message.splitlines()
    for what, kind in expected.items():
        line = next((line for line in lines if kind in line), None)
        assert line is not None, (what, message)
        assert broken[what] in line, (what, line)
    if unreadable:
        assert unreadable in next(
            line for line in lines if 'unreadable masks' in line)
    # counts: 2 unreadable images, 2 (or 3) unreadable masks
    assert 'unreadable images (2):' in message
    assert ('unreadable masks (3):' if unreadable else
            'unreadable masks (2):') in message
    if unreadable:
        os.chmod(seg(unreadable), 0o644)
    assert tree_digest(voc) == before


def test_a_missing_data_root_is_said_once_with_what_to_do(tmp_path):
    missing = str(tmp_path / 'nowhere')
    split = dict(type='PascalVOCDataset', data_root=missing,
                 ann_file='VOC2007/ImageSets/Segmentation/train.txt')
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(
            type='ConcatDataset', datasets=[split, dict(split)])),
        val_dataloader=dict(dataset=dict(split))))
    with pytest.raises(DatasetCheckError) as error:
        check_config_datasets(cfg)
    message = str(error.value)
    assert message.count('is not a directory') == 1
    assert '--data-root' in message and 'make_synthetic_voc.py' in message
