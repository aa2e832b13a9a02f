"""Retargeting another mmseg config to VOC2007+2012, and --data-root
refusing configs whose data sets are not VOCdevkit splits."""
import os.path as osp

import pytest
from mmengine.config import Config

from frskd_seg.cli.config_utils import load_config
from frskd_seg.datasets.checks import check_config_datasets
from frskd_seg.datasets.retarget import is_voc_layout
from mmseg.registry import DATASETS
from tests.conftest import DEMO_CONFIG, run_python, run_tool

CITYSCAPES = 'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'
RECIPE = '''_base_ = {base!r}
custom_imports = dict(imports=['frskd_seg'], allow_failed_imports=False)
model = dict(type='FRSKDEncoderDecoder', self_teacher=dict(type='SelfTeacherNeck'))
'''


def test_data_root_refuses_a_cityscapes_config(tmp_path, synthetic_voc):
    path = tmp_path / 'frskd_psp_cityscapes.py'
    path.write_text(RECIPE.format(base=CITYSCAPES))
    with pytest.raises(ValueError, match=r"train_dataloader: "
                       r"CityscapesDataset \(data_root 'data/cityscapes/'\).*"
                       r'tools/retarget_voc0712.py'):
        load_config(str(path), data_root=synthetic_voc)
    assert is_voc_layout(load_config(DEMO_CONFIG, data_root=synthetic_voc))


def test_retargeted_frskd_cityscapes_config_runs_on_voc(tmp_path,
                                                        synthetic_voc):
    src = tmp_path / 'frskd_psp_cityscapes.py'
    src.write_text(RECIPE.format(base=CITYSCAPES))
    out = tmp_path / 'voc' / 'frskd_psp_voc0712.py'
    out.parent.mkdir()
    proc = run_python('tools/retarget_voc0712.py', str(src), str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]

    cfg = load_config(str(out), data_root=synthetic_voc)  # no refusal now
    assert cfg.model.type == 'FRSKDEncoderDecoder'  # the source's model
    assert cfg.model.decode_head.num_classes == 21
    assert cfg.model.auxiliary_head.num_classes == 21
    assert cfg.model.data_preprocessor.size == (512, 512)
    assert cfg.train_cfg.max_iters == 80000  # the source's schedule
    assert is_voc_layout(cfg)
    assert [d.ann_file for d in cfg.train_dataloader.dataset.datasets] == [
        'VOC2007/ImageSets/Segmentation/trainval.txt',
        'VOC2012/ImageSets/Segmentation/trainval.txt'
    ]
    assert cfg.test_dataloader.dataset.ann_file == \
        'VOC2007/ImageSets/Segmentation/test.txt'
    assert check_config_datasets(cfg) == 8 + 8 + 4
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) == 16
    assert dataset[0]['data_samples'].gt_sem_seg.data.max() <= 255


def test_mmseg_config_keeps_its_mmseg_base(tmp_path):
    out = tmp_path / 'psp_voc0712.py'
    run_tool('tools/retarget_voc0712.py', CITYSCAPES, str(out))
    assert f'_base_ = {CITYSCAPES!r}' in out.read_text()
    cfg = Config.fromfile(str(out))
    assert cfg.model.type == 'EncoderDecoder'
    assert cfg.model.decode_head.num_classes == 21
    assert osp.basename(cfg.val_dataloader.dataset.data_prefix.img_path) == \
        'JPEGImages'
