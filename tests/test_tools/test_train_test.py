"""tools/train.py and tools/test.py end to end, in subprocesses as a user
runs them, on the generated VOC-layout data set."""
import glob
import json
import os.path as osp
import re

import pytest
import torch

from tests.conftest import DEMO_CONFIG, SHORT_RUN, run_tool


def test_train_writes_checkpoints_and_validates(trained):
    work_dir, log = trained
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))
    assert osp.isfile(osp.join(work_dir, 'iter_8.pth'))
    assert re.search(r'Iter\(val\) .*mIoU: \d+\.\d+', log)
    # the loss terms and the distillation weight are logged: the recipe
    # distils by both losses
    for key in ('decode.loss_ce', 'teacher.loss_ce', 'distill.loss_kd',
                'distill.loss_at', 'distill.weight'):
        assert key in log
    ckpt = torch.load(osp.join(work_dir, 'iter_8.pth'), weights_only=False)
    assert any(k.startswith('self_teacher.') for k in ckpt['state_dict'])
    assert ckpt['meta']['iter'] == 8


def test_test_tool_reports_miou(trained, synthetic_voc, tmp_path):
    work_dir, _ = trained
    log = run_tool('tools/test.py', DEMO_CONFIG,
                   osp.join(work_dir, 'iter_8.pth'), '--data-root',
                   synthetic_voc, '--work-dir', str(tmp_path), '--show-dir',
                   str(tmp_path / 'vis'))
    overlays = glob.glob(str(tmp_path / 'vis' / 'vis_data' / 'vis_image' /
                             'test_*.png'))
    assert len(overlays) == 4  # every test image
    match = re.search(r'Iter\(test\) .*mIoU: (\d+\.\d+)', log)
    assert match and 0.0 <= float(match.group(1)) <= 100.0
    assert '|    person   |' in log  # the per-class IoU table


def test_resume_continues_from_the_last_checkpoint(trained, synthetic_voc):
    work_dir, _ = trained
    options = [o for o in SHORT_RUN if not o.startswith('train_cfg.max')]
    log = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', work_dir,
                   '--data-root', synthetic_voc, '--resume', '--cfg-options',
                   'train_cfg.max_iters=12', *options)
    assert 'resumed epoch: 0, iter: 8' in log
    assert 'Iter(train) [10/12]' in log and 'Iter(train) [ 2/12]' not in log
    ckpt = torch.load(osp.join(work_dir, 'iter_12.pth'), weights_only=False)
    assert ckpt['meta']['iter'] == 12
    # after warm-up (4) and ramp-up (4) the weight is 1
    scalars = [
        json.loads(line)
        for line in open(sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data',
                               'scalars.json')))[-1])
    ]
    weights = {s['iter']: s['distill.weight'] for s in scalars
               if 'distill.weight' in s}
    assert weights[12] == pytest.approx(1.0)


def test_mmseg_init_model_loads_our_checkpoint(trained, synthetic_voc):
    """mmseg.apis.init_model + inference_model (plain mmseg API) on a
    checkpoint our Runner wrote: needs the torch >= 2.6 loading fix."""
    from mmseg.apis import inference_model, init_model
    work_dir, _ = trained
    model = init_model(DEMO_CONFIG, osp.join(work_dir, 'iter_8.pth'),
                       device='cpu')
    ckpt = torch.load(osp.join(work_dir, 'iter_8.pth'), weights_only=False)
    key = 'decode_head.conv_seg.weight'
    assert torch.equal(model.state_dict()[key], ckpt['state_dict'][key])
    name = open(osp.join(synthetic_voc, 'VOC2007', 'ImageSets',
                         'Segmentation', 'test.txt')).readline().strip()
    result = inference_model(
        model, osp.join(synthetic_voc, 'VOC2007', 'JPEGImages',
                        f'{name}.jpg'))
    assert result.pred_sem_seg.data.shape[0] == 1


def test_mmseg_own_test_tool_runs_our_config(trained, synthetic_voc,
                                             tmp_path):
    """custom_imports in our configs let mmseg's own tools/test.py run them."""
    import mmseg
    work_dir, _ = trained
    tool = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', 'test.py')
    data = [
        f'{loader}.dataset.data_root={synthetic_voc}'
        for loader in ('val_dataloader', 'test_dataloader')
    ]
    log = run_tool(tool, DEMO_CONFIG, osp.join(work_dir, 'iter_8.pth'),
                   '--work-dir', str(tmp_path), '--cfg-options', *data)
    assert re.search(r'Iter\(test\) .*mIoU: \d+\.\d+', log)
