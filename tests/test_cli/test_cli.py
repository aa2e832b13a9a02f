"""The tools' argument handling, without running a Runner."""
import os.path as osp

import pytest

from frskd_seg.cli import test as test_cli
from frskd_seg.cli import train as train_cli
from tests.conftest import DEMO_CONFIG


def train_cfg(*argv):
    return train_cli.build_train_config(train_cli.parse_args([DEMO_CONFIG,
                                                             *argv]))


def test_defaults_follow_mmseg():
    cfg = train_cfg()
    assert cfg.work_dir == osp.join('./work_dirs',
                                    'frskd_deeplab_r18_voc_demo')
    assert cfg.resume is False and cfg.launcher == 'none'
    assert cfg.optim_wrapper.type == 'OptimWrapper'


def test_the_config_is_what_runs():
    """tools/train.py adds no hook and no metric: what runs is the file
    (with the tool's explicit options)."""
    from mmengine.config import Config
    cfg, written = train_cfg(), Config.fromfile(DEMO_CONFIG)
    assert cfg.custom_hooks == written.custom_hooks
    assert [h.type for h in cfg.custom_hooks] == [
        'RNGStateHook', 'NonFiniteLossHook', 'ResumeCheckHook',
        'GracefulStopHook']
    assert cfg.val_evaluator == written.val_evaluator
    assert [m.get('prefix') for m in cfg.val_evaluator] == [None, 'teacher']


def test_an_unscored_self_teacher_is_warned_about(monkeypatch):
    from frskd_seg.cli import config_utils
    logged = []
    monkeypatch.setattr(config_utils, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    train_cfg()  # the demo scores its self-teacher
    assert logged == []
    from mmengine.config import Config
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
    config_utils.check_teacher_metric(cfg, 'val_evaluator')
    [msg] = logged
    assert msg.startswith('model.evaluate_teacher=True computes the '
                          "self-teacher's prediction, but val_evaluator does "
                          'not score it')
    assert cfg.val_evaluator == dict(type='IoUMetric', iou_metrics=['mIoU'])


def test_amp_resume_work_dir_and_cfg_options(tmp_path, monkeypatch):
    import torch

    def touches_a_gpu():
        raise AssertionError('building the config must not query a GPU: '
                             'ranks have not picked their device yet')

    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', touches_a_gpu)
    monkeypatch.setattr(torch.cuda, 'get_device_capability', touches_a_gpu)
    cfg = train_cfg('--amp', '--resume', '--work-dir', str(tmp_path),
                    '--cfg-options', 'train_cfg.max_iters=7',
                    'model.distill_schedule.warmup=3')
    assert cfg.optim_wrapper.type == 'DeviceAmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.optim_wrapper.dtype == 'auto'
    # nothing to resume in an empty work dir: a fresh start
    assert cfg.resume is False and cfg.work_dir == str(tmp_path)
    assert cfg.train_cfg.max_iters == 7
    assert cfg.model.distill_schedule.warmup == 3


@pytest.mark.parametrize('capability, dtype', [((9, 0), 'bfloat16'),
                                               ((8, 0), 'bfloat16'),
                                               ((7, 5), 'float16'),
                                               ((7, 0), 'float16')])
def test_amp_dtype_follows_each_ranks_own_gpu(monkeypatch, capability,
                                              dtype):
    """V100 (7.0) and T4 (7.5) emulate bf16 (is_bf16_supported() says yes):
    they get fp16. The capability asked is that of the current device."""
    import torch
    from mmengine.optim import AmpOptimWrapper

    from frskd_seg.engine import DeviceAmpOptimWrapper
    asked = []
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: True)
    monkeypatch.setattr(torch.cuda, 'current_device', lambda: 3)
    monkeypatch.setattr(torch.cuda, 'get_device_capability',
                        lambda device: asked.append(device) or capability)
    built = {}
    monkeypatch.setattr(
        AmpOptimWrapper, '__init__',
        lambda self, dtype=None, **kwargs: built.update(dtype=dtype))
    DeviceAmpOptimWrapper(optimizer=None)
    assert built['dtype'] == dtype and asked == [3]


def test_amp_without_gpu_is_refused(monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(ValueError, match='--amp needs a GPU'):
        train_cfg('--amp')


def test_data_root_reaches_every_dataset(tmp_path):
    cfg = train_cfg('--data-root', str(tmp_path))
    roots = [d.data_root for d in cfg.train_dataloader.dataset.datasets]
    roots += [cfg.val_dataloader.dataset.data_root,
              cfg.test_dataloader.dataset.data_root]
    assert roots == [str(tmp_path)] * 4


def test_missing_paths_fail_early(tmp_path):
    with pytest.raises(FileNotFoundError, match="--data-root '.*nowhere' is "
                       'not a directory'):
        train_cfg('--data-root', str(tmp_path / 'nowhere'))
    with pytest.raises(FileNotFoundError, match="config file 'no.py' does "
                       'not exist'):
        train_cli.build_train_config(train_cli.parse_args(['no.py']))


def test_test_options(tmp_path):
    ckpt = str(tmp_path / 'ckpt.pth')
    open(ckpt, 'w').close()
    args = test_cli.parse_args([
        DEMO_CONFIG, ckpt, '--show-dir',
        str(tmp_path / 'vis'), '--out',
        str(tmp_path / 'out'), '--tta'
    ])
    cfg = test_cli.build_test_config(args)
    assert cfg.load_from == ckpt
    assert cfg.default_hooks.visualization.draw is True
    assert cfg.visualizer.save_dir == str(tmp_path / 'vis')
    # TTA merges the student's predictions: the self-teacher is not scored
    [student] = cfg.test_evaluator
    assert student.output_dir == str(tmp_path / 'out')
    assert cfg.model.type == 'SegTTAModel'
    assert cfg.model.module.type == 'FRSKDEncoderDecoder'


def test_validation_scores_the_self_teacher_too():
    cfg = train_cfg()
    assert cfg.model.evaluate_teacher
    student, teacher = cfg.val_evaluator
    assert student.type == 'IoUMetric'
    assert (teacher.type, teacher.pred_key, teacher.prefix) == (
        'FRSKDIoUMetric', 'pred_teacher_sem_seg', 'teacher')
    assert teacher.iou_metrics == student.iou_metrics == ['mIoU']
    # scoring a prediction the model does not make fails at config load
    with pytest.raises(ValueError, match="val_evaluator scores the "
                       "self-teacher's prediction .* which this model does "
                       'not make: set model.evaluate_teacher=True'):
        train_cfg('--cfg-options', 'model.evaluate_teacher=False')


def test_test_teacher_switch(tmp_path):
    from tests.conftest import DEMO_BASELINE_CONFIG
    ckpt = str(tmp_path / 'ckpt.pth')
    open(ckpt, 'w').close()
    args = test_cli.parse_args([
        DEMO_CONFIG, ckpt, '--teacher', '--out', str(tmp_path),
        '--cfg-options', 'model.evaluate_teacher=False'
    ])
    cfg = test_cli.build_test_config(args)
    assert cfg.model.evaluate_teacher is True
    student, teacher = cfg.test_evaluator
    assert teacher.pred_key == 'pred_teacher_sem_seg'
    assert teacher.prefix == 'teacher'
    # --out writes the student's predictions only
    assert student.output_dir == str(tmp_path) and 'output_dir' not in teacher
    with pytest.raises(ValueError, match="--teacher needs an FRSKD config "
                       ".* got 'EncoderDecoder'"):
        test_cli.build_test_config(test_cli.parse_args(
            [DEMO_BASELINE_CONFIG, ckpt, '--teacher']))


def test_resume_finds_the_latest_checkpoint_or_starts_afresh(tmp_path):
    (tmp_path / 'iter_4.pth').write_bytes(b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    cfg = train_cfg('--resume', '--work-dir', str(tmp_path))
    assert cfg.resume is True and cfg.load_from == str(tmp_path / 'iter_4.pth')
    cfg = train_cfg('--work-dir', str(tmp_path / 'new'), '--resume')
    assert cfg.resume is False and not cfg.get('load_from')
    cfg = train_cfg('--resume', str(tmp_path / 'iter_4.pth'))
    assert cfg.resume is True and cfg.load_from == str(tmp_path / 'iter_4.pth')
    with pytest.raises(FileNotFoundError,
                       match=r'iter_8.pth: no such checkpoint \(.* holds '
                       r'iter_4.pth\)'):
        train_cfg('--resume', str(tmp_path / 'iter_8.pth'))


def test_a_missing_checkpoint_to_test_names_those_there(tmp_path):
    (tmp_path / 'iter_1000.pth').write_bytes(b'')
    (tmp_path / 'iter_2000.pth').write_bytes(b'')
    args = test_cli.parse_args([DEMO_CONFIG, str(tmp_path / 'iter_200.pth')])
    with pytest.raises(FileNotFoundError,
                       match=r'iter_200.pth does not exist \(.* holds '
                       r'iter_1000.pth, iter_2000.pth\)'):
        test_cli.build_test_config(args)
