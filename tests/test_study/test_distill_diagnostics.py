"""Diagnostics of an FRSKD checkpoint: the training split read with the test
pipeline, and the pixel shares counted by hand."""
import pytest
import torch

from studies.distill_diagnostics import (_Confusion,
                                         diagnostics_table,
                                         split_dataloader_cfg)
from studies.gain_study import holdout_voc12_val
from tests.conftest import DEMO_CONFIG, load_config


def test_train_split_reads_the_training_lists_with_the_test_pipeline():
    cfg = holdout_voc12_val(load_config(DEMO_CONFIG))
    loader = split_dataloader_cfg(cfg, 'train')
    assert loader.dataset.type == 'ConcatDataset'
    assert [d.ann_file for d in loader.dataset.datasets] == [
        'VOC2007/ImageSets/Segmentation/trainval.txt',
        'VOC2012/ImageSets/Segmentation/train.txt']
    for d in loader.dataset.datasets:
        assert d.pipeline == cfg.test_dataloader.dataset.pipeline
    assert loader.sampler == cfg.test_dataloader.sampler  # in order
    assert split_dataloader_cfg(cfg, 'val') == cfg.val_dataloader
    with pytest.raises(ValueError, match="split must be one of .* 'dev'"):
        split_dataloader_cfg(cfg, 'dev')


def test_confusion_miou_by_hand():
    c = _Confusion(num_classes=3, ignore_index=255)
    label = torch.tensor([[0, 0, 1, 255]])
    c.add(torch.tensor([[0, 1, 1, 2]]), label)
    # class 0: 1 / 2, class 1: 1 / 2, class 2 never labelled nor predicted
    # where labelled: NaN, left out of the mean
    assert c.miou() == pytest.approx(50.0)


def test_table_rows():
    row = {'student/mIoU': 1, 'teacher/mIoU': 2,
           'teacher_at_student_res/mIoU': 1.5,
           'teacher_right_student_wrong': 3,
           'student_right_teacher_wrong': 0.5}
    text = diagnostics_table({'train @10': row})
    assert text.splitlines()[-1] == \
        '| train @10 | 1.00 | 2.00 | 1.50 | 3.00 | 0.50 |'
