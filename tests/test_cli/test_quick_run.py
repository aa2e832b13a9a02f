"""Trying a config small (--crop, --smoke) and the error when weights cannot
be downloaded."""
import os.path as osp
import urllib.error

import pytest
from mmengine.config import Config

from frskd_seg.cli.config_utils import load_config
from frskd_seg.cli.quick_run import (SMOKE_IMAGES, SMOKE_ITERS,
                                     make_smoke_run, scale_to_crop)
from frskd_seg.cli.weights import (WeightsDownloadError,
                                   explain_download_errors, remote_weights)
from frskd_seg.datasets.dataset_configs import leaf_datasets
from tests.conftest import DEMO_CONFIG, REPO, run_python, run_tool

VOC_CONFIG = osp.join(REPO, 'configs', 'frskd_deeplab_voc.py')


def steps(cfg, loader, kind):
    return [step for d in leaf_datasets(cfg, (loader, ))
            for step in d['pipeline'] if step['type'] == kind]


def test_crop_scales_every_image_size_of_the_config():
    cfg = load_config(VOC_CONFIG)
    assert steps(cfg, 'train_dataloader', 'RandomResize')[0].scale == (
        2048, 512)
    assert scale_to_crop(cfg, 128) == 0.25
    for step in steps(cfg, 'train_dataloader', 'RandomCrop'):
        assert tuple(step.crop_size) == (128, 128)
    for step in steps(cfg, 'train_dataloader', 'RandomResize'):
        assert tuple(step.scale) == (512, 128)
    for loader in ('val_dataloader', 'test_dataloader'):
        for step in steps(cfg, loader, 'Resize'):
            assert tuple(step.scale) == (512, 128)
    assert tuple(cfg.model.data_preprocessor.size) == (128, 128)
    # the helper variables the dump shows agree
    assert tuple(cfg.crop_size) == (128, 128)
    assert [tuple(s.scale) for s in cfg.train_pipeline
            if s.type == 'RandomResize'] == [(512, 128)]


def test_crop_scales_a_sliding_window_and_needs_a_random_crop():
    cfg = load_config(VOC_CONFIG)
    cfg.model.test_cfg = dict(mode='slide', crop_size=(512, 512),
                              stride=(341, 341))
    scale_to_crop(cfg, 256)
    assert cfg.model.test_cfg == dict(mode='slide', crop_size=(256, 256),
                                      stride=(170, 170))
    for d in leaf_datasets(cfg, ('train_dataloader', )):
        d.pipeline = [s for s in d.pipeline if s.type != 'RandomCrop']
    with pytest.raises(ValueError, match='no RandomCrop'):
        scale_to_crop(cfg, 128)
    with pytest.raises(ValueError, match='at least 8 pixels, got 4'):
        scale_to_crop(load_config(VOC_CONFIG), 4)


def test_smoke_run_is_short_and_small():
    cfg = load_config(DEMO_CONFIG)
    make_smoke_run(cfg)
    assert cfg.train_cfg.max_iters == SMOKE_ITERS
    assert cfg.train_cfg.val_interval == SMOKE_ITERS
    assert cfg.default_hooks.checkpoint.interval == SMOKE_ITERS
    held_out = list(leaf_datasets(cfg, ('val_dataloader',
                                        'test_dataloader')))
    assert held_out and all(d.indices == SMOKE_IMAGES for d in held_out)
    assert cfg.train_dataloader.num_workers == 0


def test_remote_weights_and_the_download_error():
    cfg = load_config(VOC_CONFIG)
    assert remote_weights(cfg) == [('model.pretrained',
                                    'open-mmlab://resnet50_v1c')]
    with pytest.raises(WeightsDownloadError) as raised:
        with explain_download_errors(cfg):
            raise urllib.error.URLError('Name or service not known')
    message = str(raised.value)
    assert "'open-mmlab://resnet50_v1c' (model.pretrained)" in message
    assert '--cfg-options model.pretrained=None' in message
    assert 'Name or service not known' in message
    # other errors pass through unchanged
    with pytest.raises(KeyError):
        with explain_download_errors(cfg):
            raise KeyError('x')


def test_smoke_crop_training_of_a_real_size_config(synthetic_voc, tmp_path):
    """The VOC R50-D8 config, tried small from scratch; and with weights on
    a host that does not exist, the error says which and what to do."""
    common = [VOC_CONFIG, '--data-root', synthetic_voc, '--smoke', '--crop',
              '64']
    proc = run_python('tools/train.py', *common, '--work-dir',
                      str(tmp_path / 'w'), '--cfg-options',
                      'model.pretrained=None',
                      'load_from=http://weights.invalid/r50.pth')
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert "WeightsDownloadError: could not download weights" in log, log
    assert "'http://weights.invalid/r50.pth' (load_from)" in log
    assert '--cfg-options load_from=None' in log

    work_dir = str(tmp_path / 'ok')
    log = run_tool('tools/train.py', *common, '--work-dir', work_dir,
                   '--cfg-options', 'model.pretrained=None')
    assert f'Training done: {SMOKE_ITERS} iterations' in log, log[-3000:]
    dumped = Config.fromfile(osp.join(work_dir, 'frskd_deeplab_voc.py'))
    assert dumped.train_cfg.max_iters == SMOKE_ITERS
    assert tuple(dumped.model.data_preprocessor.size) == (64, 64)
    assert f'Iter(val) [{SMOKE_IMAGES}/{SMOKE_IMAGES}]' in log


def test_smoke_run_of_an_epoch_config():
    cfg = load_config(osp.join(REPO, 'configs', 'paper',
                               'frskd_effdet-d0_voc0712-512x512.py'))
    make_smoke_run(cfg)
    assert (cfg.train_cfg.max_epochs, cfg.train_cfg.val_interval) == (1, 1)
    assert cfg.default_hooks.checkpoint.interval == 1
    assert [d.indices for d in leaf_datasets(cfg, ('train_dataloader', ))
            ] == [SMOKE_ITERS, SMOKE_ITERS]
