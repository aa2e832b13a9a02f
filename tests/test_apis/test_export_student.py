"""Export round-trips through unmodified mmseg, in a process that never
imports frskd_seg."""
import os.path as osp
import re
import textwrap

import numpy as np
import pytest
import torch

from frskd_seg.apis import (export_student, plain_student_config,
                            student_checkpoint)
from tests.conftest import (DEMO_BASELINE_CONFIG, DEMO_CONFIG, load_config,
                            run_tool)


def test_plain_config_is_the_baseline_twin():
    plain = plain_student_config(load_config(DEMO_CONFIG))
    twin = load_config(DEMO_BASELINE_CONFIG)
    assert 'custom_imports' not in plain
    twin.model.pop('pretrained')
    assert plain.model == twin.model


def test_refuses_what_is_not_frskd(tmp_path):
    with pytest.raises(ValueError, match="got 'EncoderDecoder'"):
        plain_student_config(load_config(DEMO_BASELINE_CONFIG))
    with pytest.raises(ValueError, match='not an FRSKD checkpoint'):
        student_checkpoint(dict(state_dict=dict(w=torch.zeros(1))))


def test_export_round_trip(trained, synthetic_voc, tmp_path):
    from mmseg.apis import inference_model, init_model
    work_dir, _ = trained
    ckpt = osp.join(work_dir, 'iter_8.pth')
    cfg_path, ckpt_path = export_student(DEMO_CONFIG, ckpt,
                                         str(tmp_path / 'export'))
    exported = torch.load(ckpt_path, weights_only=True)
    assert not any(
        k.startswith(('self_teacher.', 'teacher_head.'))
        for k in exported['state_dict'])
    assert exported['meta']['dataset_meta']['classes'][15] == 'person'

    names = open(osp.join(synthetic_voc, 'VOC2007', 'ImageSets',
                          'Segmentation', 'test.txt')).read().split()[:2]
    images = [
        osp.join(synthetic_voc, 'VOC2007', 'JPEGImages', f'{n}.jpg')
        for n in names
    ]
    frskd = init_model(DEMO_CONFIG, ckpt, device='cpu')
    ours = [inference_model(frskd, img).seg_logits.data for img in images]

    script = tmp_path / 'plain_mmseg.py'
    script.write_text(textwrap.dedent(f'''
        import sys
        sys.modules['frskd_seg'] = None  # importing it now fails
        import numpy as np
        import torch
        from mmengine.config import Config
        from mmengine.runner import Runner
        from mmseg.apis import inference_model, init_model
        torch.load({ckpt_path!r}, weights_only=True)
        model = init_model({cfg_path!r}, {ckpt_path!r}, device='cpu')
        assert type(model).__name__ == 'EncoderDecoder'
        logits = [inference_model(model, img).seg_logits.data.numpy()
                  for img in {images!r}]
        np.savez({str(tmp_path / 'plain.npz')!r}, *logits)

        # mmseg's own Runner: test, then fine-tune 2 iterations
        cfg = Config.fromfile({cfg_path!r})
        for ds in cfg.train_dataloader.dataset.datasets:
            ds.data_root = {synthetic_voc!r}
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            if loader != 'train_dataloader':
                cfg[loader].dataset.data_root = {synthetic_voc!r}
            cfg[loader].num_workers = 0
            cfg[loader].persistent_workers = False
        cfg.load_from = {ckpt_path!r}
        cfg.train_cfg.max_iters = 2
        cfg.train_cfg.val_interval = 2
        cfg.default_hooks.checkpoint.interval = 2
        cfg.work_dir = {str(tmp_path / 'plain_test')!r}
        print('TEST', Runner.from_cfg(cfg).test())
        cfg.work_dir = {str(tmp_path / 'plain_finetune')!r}
        Runner.from_cfg(cfg).train()
        assert sys.modules['frskd_seg'] is None  # never imported
    '''))
    log = run_tool(str(script), cwd=str(tmp_path))
    # numpy 2 prints np.float32(9.5)
    assert re.search(r"TEST \{.*'mIoU': (np\.float\d+\()?\d+\.\d+", log), \
        log[-2000:]
    assert osp.isfile(tmp_path / 'plain_finetune' / 'iter_2.pth')
    theirs = np.load(tmp_path / 'plain.npz')
    for i, logits in enumerate(ours):
        assert np.array_equal(logits.numpy(), theirs[f'arr_{i}'])


def test_the_export_tool_prints_its_two_paths_and_no_warning(
        trained, tmp_path):
    work_dir, _ = trained
    out = run_tool('tools/export_student.py', DEMO_CONFIG,
                   osp.join(work_dir, 'iter_8.pth'), str(tmp_path / 'out'))
    assert 'plain mmseg checkpoint: ' in out
    assert 'Warning' not in out, out
