import os.path as osp

import numpy as np
import pytest
from PIL import Image

from frskd_seg.visualization import (attention_figure, compute_attention_maps,
                                     load_scalars, plot_training_curves,
                                     shown_classes, voc_ground_truth)
from tests.conftest import DEMO_CONFIG, DEVICES, run_python, run_tool


@pytest.mark.parametrize('device', DEVICES)
def test_attention_maps_and_figure(trained, synthetic_voc, tmp_path, device):
    from mmseg.apis import init_model
    work_dir, _ = trained
    model = init_model(DEMO_CONFIG, osp.join(work_dir, 'iter_8.pth'),
                       device=device)
    name = open(osp.join(synthetic_voc, 'VOC2007', 'ImageSets',
                         'Segmentation', 'test.txt')).readline().strip()
    image = osp.join(synthetic_voc, 'VOC2007', 'JPEGImages', f'{name}.jpg')
    maps = compute_attention_maps(model, image)
    h, w = maps.image.shape[:2]
    assert maps.student_pred.shape == maps.teacher_pred.shape == (h, w)
    assert len(maps.student) == len(maps.teacher) == 4
    for a_s, a_t in zip(maps.student, maps.teacher):
        assert a_s.shape == a_t.shape  # T_i keeps F_i's size
        assert np.linalg.norm(a_s) == pytest.approx(1, rel=1e-4)
    path = str(tmp_path / 'grid.png')
    rgb = attention_figure(maps, model.dataset_meta['palette'], path=path)
    assert Image.open(path).size == (rgb.shape[1], rgb.shape[0])
    assert rgb.std() > 10  # not a blank canvas

    # with its ground truth, at the network's input size
    gt_path = voc_ground_truth(image)
    assert gt_path == osp.join(synthetic_voc, 'VOC2007', 'SegmentationClass',
                               f'{name}.png')
    assert voc_ground_truth(str(tmp_path / 'JPEGImages' / 'x.jpg')) is None
    labelled = compute_attention_maps(model, image, gt_path)
    assert labelled.gt.shape == (h, w)
    raw = np.array(Image.open(gt_path))
    assert set(np.unique(labelled.gt)) <= set(np.unique(raw))
    np.testing.assert_array_equal(labelled.student_pred, maps.student_pred)
    assert set(shown_classes(labelled)) == set(
        np.unique(labelled.gt[labelled.gt != 255]).tolist()) | set(
            np.unique(maps.student_pred).tolist()) | set(
                np.unique(maps.teacher_pred).tolist())
    from frskd_seg.visualization.attention_figure import _figure
    fig = _figure(labelled, model.dataset_meta['palette'], '',
                  model.dataset_meta['classes'])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:4] == ['image', 'ground truth', 'student prediction',
                          'self-teacher prediction']
    assert fig.axes[-1].get_ylabel().startswith('attention')  # colour bar
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [model.dataset_meta['classes'][i]
                      for i in shown_classes(labelled)]


def test_vis_attention_tool(trained, synthetic_voc, tmp_path):
    work_dir, _ = trained
    images = [
        osp.join(synthetic_voc, 'VOC2007', 'JPEGImages', f'{n}.jpg')
        for n in open(osp.join(synthetic_voc, 'VOC2007', 'ImageSets',
                               'Segmentation', 'test.txt')).read().split()[:2]
    ]
    log = run_tool('tools/vis_attention.py', DEMO_CONFIG,
                   osp.join(work_dir, 'iter_8.pth'), *images, '--out',
                   str(tmp_path))
    for img in images:
        name = osp.splitext(osp.basename(img))[0]
        assert osp.isfile(tmp_path / f'{name}_attention.png'), log


def test_training_curves(trained, tmp_path, monkeypatch):
    work_dir, _ = trained
    train, val = load_scalars(work_dir)
    assert [r['iter'] for r in train][:4] == [2, 4, 6, 8]
    assert train[0]['distill.weight'] == 0.0  # warm-up of 4 iterations
    assert val and 'mIoU' in val[0] and 'teacher/mIoU' in val[0]
    from frskd_seg.visualization import training_curves
    figures, subplots = [], training_curves.plt.subplots
    monkeypatch.setattr(training_curves.plt, 'subplots',
                        lambda *a, **k: figures.append(subplots(*a, **k))
                        or figures[-1])
    # the same run stands in for a twin: what is drawn, not what it says
    path = plot_training_curves(work_dir, str(tmp_path / 'curves.png'),
                                twin_work_dir=work_dir)
    assert Image.open(path).size[0] > 800
    legend = figures[0][1][2].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        'student', 'self-teacher', 'baseline twin']


def test_training_curves_draw_every_distillation_term_logged(tmp_path):
    """Whatever the terms are called (each loss logs its own name), the
    curves draw the CEs and each logged ``distill.loss_*`` term."""
    import json
    from frskd_seg.visualization.training_curves import loss_terms
    records = [{'iter': 1, 'decode.loss_ce': 1.0, 'teacher.loss_ce': 2.0,
                'distill.weight': 0.0, 'decode.acc_seg': 50.0},
               {'iter': 2, 'decode.loss_ce': 0.9, 'teacher.loss_ce': 1.8,
                'distill.loss_fitnet': 0.3, 'distill.loss_at': 0.1,
                'distill.weight': 0.5},
               {'step': 2, 'mIoU': 40.0}]
    vis = tmp_path / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    (vis / 'scalars.json').write_text(
        '\n'.join(json.dumps(r) for r in records))
    train, _ = load_scalars(str(tmp_path))
    assert loss_terms(train) == ['decode.loss_ce', 'teacher.loss_ce',
                                 'distill.loss_fitnet', 'distill.loss_at']
    plot_training_curves(str(tmp_path), str(tmp_path / 'curves.png'))
    assert osp.isfile(tmp_path / 'curves.png')


def test_training_curves_need_a_work_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match='no .*scalars.json'):
        load_scalars(str(tmp_path))


def test_vis_attention_refuses_a_checkpoint_without_self_teacher(
        trained, synthetic_voc, tmp_path):
    import torch
    work_dir, _ = trained
    ckpt = torch.load(osp.join(work_dir, 'iter_8.pth'), weights_only=False)
    student = tmp_path / 'student.pth'
    torch.save(dict(state_dict={
        k: v for k, v in ckpt['state_dict'].items()
        if not k.startswith(('self_teacher.', 'teacher_head.'))}), student)
    image = osp.join(synthetic_voc, 'VOC2007', 'JPEGImages',
                     open(osp.join(synthetic_voc, 'VOC2007', 'ImageSets',
                                   'Segmentation', 'test.txt')).readline()
                     .strip() + '.jpg')
    proc = run_python('tools/vis_attention.py', DEMO_CONFIG, str(student),
                      image, '--out', str(tmp_path / 'vis'))
    assert proc.returncode != 0
    assert 'has no self_teacher.* weights' in proc.stderr
    assert not osp.exists(tmp_path / 'vis')
