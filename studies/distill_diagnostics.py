"""Where the self-teacher's lead lives, and whether its student can hold it.

For one FRSKD checkpoint on one split (``'train'``: the training lists read
with the test pipeline, ``'val'``, ``'test'``), :func:`diagnose_checkpoint`
measures on the same images, in one pass:

- ``student/mIoU`` and ``teacher/mIoU``: the two predictions, as the
  evaluation scores them (logits resized to the input, then to the image);
- ``teacher_at_student_res/mIoU``: the self-teacher with its logits first
  reduced (bilinearly) to the size of the student's logits -- the target the
  KL pulls the student towards with ``PixelKLDivLoss(resolution='student')``;
  what the teacher loses here is a lead a student at that resolution cannot
  take from it;
- ``teacher_right_student_wrong`` and ``student_right_teacher_wrong``: the
  shares (%) of labelled pixels where one prediction is right and the other
  wrong -- what distillation could teach, and what it could unteach.

Comparing the training split with the held-out ones tells whether the lead
lives on the images the KL sees (training) or only on held-out images.
"""
import copy
from typing import Dict, Sequence

import numpy as np
import torch
from mmengine.config import Config

from frskd_seg.datasets.dataset_configs import leaf_datasets

SPLITS = ('train', 'val', 'test')
_PREDICTIONS = ('student', 'teacher', 'teacher_at_student_res')


def split_dataloader_cfg(cfg: Config, split: str) -> dict:
    """The dataloader config of ``split``: ``'val'``/``'test'`` are the
    config's own; ``'train'`` reads the training data sets with the test
    pipeline, one image per batch, in order."""
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    if split != 'train':
        return copy.deepcopy(cfg[f'{split}_dataloader'])
    loader = copy.deepcopy(cfg.test_dataloader)
    pipeline = loader.dataset.pipeline
    datasets = [
        dict(copy.deepcopy(d), pipeline=copy.deepcopy(pipeline))
        for d in leaf_datasets(cfg, ('train_dataloader', ))
    ]
    loader.dataset = (datasets[0] if len(datasets) == 1 else
                      dict(type='ConcatDataset', datasets=datasets))
    return loader


class _Confusion:
    """Per-class intersections and unions of one prediction over a split."""

    def __init__(self, num_classes: int, ignore_index: int):
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.intersect = torch.zeros(num_classes, dtype=torch.float64)
        self.union = torch.zeros(num_classes, dtype=torch.float64)

    def add(self, pred: torch.Tensor, label: torch.Tensor) -> None:
        from mmseg.evaluation.metrics import IoUMetric
        inter, union, _, _ = IoUMetric.intersect_and_union(
            pred, label, self.num_classes, self.ignore_index)
        self.intersect += inter.double()
        self.union += union.double()

    def miou(self) -> float:
        iou = self.intersect / self.union  # NaN where a class never appears
        return float(np.nanmean(iou.numpy()) * 100)


@torch.no_grad()
def diagnose_model(model, dataloader, num_classes: int,
                   ignore_index: int = 255) -> Dict[str, float]:
    """The diagnostics (module docstring) of an FRSKD ``model`` in eval mode
    over the batches of ``dataloader``."""
    from mmseg.models.utils import resize
    model.eval()
    confusion = {p: _Confusion(num_classes, ignore_index)
                 for p in _PREDICTIONS}
    labelled = teacher_only = student_only = 0
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        inputs, samples = data['inputs'], data['data_samples']
        student_logits, reads = model.student_forward(
            model.extract_feat(inputs))
        with model.teacher_rng:
            teacher_logits, _ = model.teacher_forward(reads)
        shrunk = resize(teacher_logits, size=student_logits.shape[2:],
                        mode='bilinear', align_corners=model.align_corners)
        preds = {}
        for name, logits in zip(_PREDICTIONS,
                                (student_logits, teacher_logits, shrunk)):
            logits = resize(logits, size=inputs.shape[2:], mode='bilinear',
                            align_corners=model.align_corners)
            results = model.postprocess_result(
                logits, [copy.deepcopy(s) for s in samples])
            preds[name] = [r.pred_sem_seg.data[0] for r in results]
        for i, sample in enumerate(samples):
            label = sample.gt_sem_seg.data[0].to(preds['student'][i].device)
            for name in _PREDICTIONS:
                confusion[name].add(preds[name][i], label)
            valid = label != ignore_index
            s_right = (preds['student'][i] == label) & valid
            t_right = (preds['teacher'][i] == label) & valid
            labelled += int(valid.sum())
            teacher_only += int((t_right & ~s_right).sum())
            student_only += int((s_right & ~t_right).sum())
    out = {f'{name}/mIoU': c.miou() for name, c in confusion.items()}
    share = 100.0 / max(labelled, 1)
    out['teacher_right_student_wrong'] = teacher_only * share
    out['student_right_teacher_wrong'] = student_only * share
    return out


def diagnose_checkpoint(cfg: Config, checkpoint: str,
                        split: str) -> Dict[str, float]:
    """:func:`diagnose_model` of ``cfg``'s model holding ``checkpoint``, on
    ``split`` (``'train'``, ``'val'`` or ``'test'``)."""
    from mmengine.runner import Runner, load_checkpoint
    from mmseg.registry import MODELS
    loader = Runner.build_dataloader(split_dataloader_cfg(cfg, split))
    model = MODELS.build(copy.deepcopy(cfg.model))
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    head = model.distilled_head
    return diagnose_model(model, loader, head.out_channels,
                          head.ignore_index)


def diagnostics_table(rows: Dict[str, Dict[str, float]],
                      columns: Sequence[str] = None) -> str:
    """Markdown table of diagnostics by row label (e.g. ``'train @1333'``)."""
    columns = columns or [f'{p}/mIoU' for p in _PREDICTIONS] + [
        'teacher_right_student_wrong', 'student_right_teacher_wrong']
    heads = {'student/mIoU': 'student', 'teacher/mIoU': 'self-teacher',
             'teacher_at_student_res/mIoU': 'self-teacher at the student\'s '
             'logit resolution',
             'teacher_right_student_wrong': 'teacher right, student wrong '
             '(% labelled px)',
             'student_right_teacher_wrong': 'student right, teacher wrong '
             '(% labelled px)'}
    lines = ['| | ' + ' | '.join(heads.get(c, c) for c in columns) + ' |',
             '| --- |' + ' ---: |' * len(columns)]
    for label, values in rows.items():
        lines.append(f'| {label} | ' + ' | '.join(
            f'{values[c]:.2f}' for c in columns) + ' |')
    return '\n'.join(lines)
