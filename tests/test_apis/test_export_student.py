"""Export round-trips through unmodified mmseg, in a process that never
imports frskd_seg."""
import os.path as osp
import textwrap

import numpy as np
import pytest
import torch
from mmengine.config import Config

from frskd_seg.apis import (export_student, plain_student_config,
                            student_checkpoint)
from tests.conftest import DEMO_BASELINE_CONFIG, DEMO_CONFIG, run_tool


def test_plain_config_is_the_baseline_twin():
    plain = plain_student_config(Config.fromfile(DEMO_CONFIG))
    twin = Config.fromfile(DEMO_BASELINE_CONFIG)
    assert 'custom_imports' not in plain
    twin.model.pop('pretrained')
    assert plain.model == twin.model


def test_refuses_what_is_not_frskd(tmp_path):
    with pytest.raises(ValueError, match="got 'EncoderDecoder'"):
        plain_student_config(Config.fromfile(DEMO_BASELINE_CONFIG))
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
        import numpy as np
        import torch
        from mmseg.apis import inference_model, init_model
        torch.load({ckpt_path!r}, weights_only=True)
        model = init_model({cfg_path!r}, {ckpt_path!r}, device='cpu')
        assert type(model).__name__ == 'EncoderDecoder'
        logits = [inference_model(model, img).seg_logits.data.numpy()
                  for img in {images!r}]
        assert 'frskd_seg' not in sys.modules, 'frskd_seg was imported'
        np.savez({str(tmp_path / 'plain.npz')!r}, *logits)
    '''))
    run_tool(str(script), cwd=str(tmp_path))
    theirs = np.load(tmp_path / 'plain.npz')
    for i, logits in enumerate(ours):
        assert np.array_equal(logits.numpy(), theirs[f'arr_{i}'])
