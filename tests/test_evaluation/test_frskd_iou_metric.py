import math

import pytest
import torch

from frskd_seg.evaluation import FRSKDIoUMetric, scores_teacher

CLASSES = ('background', 'a', 'b')


def _sample(pred, teacher, gt):
    def pix(x):
        return dict(data=torch.tensor(x).unsqueeze(0))
    return dict(pred_sem_seg=pix(pred), pred_teacher_sem_seg=pix(teacher),
                gt_sem_seg=pix(gt))


SAMPLES = [
    _sample(pred=[[0, 1], [1, 1]], teacher=[[0, 1], [0, 0]],
            gt=[[0, 1], [0, 255]]),
]


def _metric(**kwargs):
    metric = FRSKDIoUMetric(iou_metrics=['mIoU'], **kwargs)
    metric.dataset_meta = dict(classes=CLASSES)
    return metric


def test_student_and_teacher_predictions_are_scored_apart():
    student = _metric(classwise=True)
    teacher = _metric(classwise=True, pred_key='pred_teacher_sem_seg',
                      prefix='teacher')
    for metric in (student, teacher):
        metric.process({}, SAMPLES)
    s, t = student.evaluate(1), teacher.evaluate(1)
    # gt (void excluded): 0 at (0,0), (1,0); 1 at (0,1)
    # student 0,1,1: class 0: I=1, U=2; class 1: I=1, U=2; class 2: U=0
    assert s['IoU.background'] == 50.0 and s['IoU.a'] == 50.0
    assert math.isnan(s['IoU.b'])
    assert s['mIoU'] == 50.0
    # teacher 0,1,0: class 0: I=2, U=2; class 1: I=1, U=1
    assert t['teacher/IoU.background'] == 100.0
    assert t['teacher/mIoU'] == 100.0


def test_missing_teacher_prediction_says_what_to_do():
    metric = _metric(pred_key='pred_teacher_sem_seg')
    sample = dict(SAMPLES[0])
    del sample['pred_teacher_sem_seg']
    with pytest.raises(KeyError, match='evaluate_teacher=True'):
        metric.process({}, [sample])


def test_scores_teacher_reads_the_teacher_prediction_key():
    student = dict(type='IoUMetric', iou_metrics=['mIoU'])
    teacher = dict(type='FRSKDIoUMetric', pred_key='pred_teacher_sem_seg',
                   prefix='teacher')
    plain_student = dict(type='FRSKDIoUMetric', pred_key='pred_sem_seg')
    assert scores_teacher(teacher)
    assert scores_teacher([student, teacher])
    assert not scores_teacher(student)
    assert not scores_teacher([student, plain_student])
    assert not scores_teacher([])


def test_no_prefix_by_default_and_no_warning_about_it(monkeypatch):
    from mmengine.evaluator import metric as base_metric

    from frskd_seg.evaluation.metrics import FRSKDIoUMetric
    said = []
    monkeypatch.setattr(base_metric, 'print_log',
                        lambda msg, **kwargs: said.append(msg))
    metric = FRSKDIoUMetric(iou_metrics=['mIoU'])
    assert metric.prefix == '' and said == []
    assert FRSKDIoUMetric(prefix='teacher').prefix == 'teacher'
