"""mmseg's IoU metric for either of an FRSKD model's two predictions."""
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS

#: the data-sample field where ``FRSKDEncoderDecoder(evaluate_teacher=True)``
#: puts the self-teacher's prediction
TEACHER_PRED_KEY = 'pred_teacher_sem_seg'


def scores_teacher(metrics) -> bool:
    """Whether a metric config, or any of a list of them (an evaluator),
    scores the self-teacher's prediction (``pred_key=TEACHER_PRED_KEY``)."""
    metrics = metrics if isinstance(metrics, (list, tuple)) else [metrics]
    return any(m.get('pred_key') == TEACHER_PRED_KEY for m in metrics)


@METRICS.register_module()
class FRSKDIoUMetric(IoUMetric):
    """:class:`IoUMetric` that scores the prediction stored under
    ``pred_key`` and can also return each class's IoU.

    Scoring the self-teacher beside the student in one evaluation::

        val_evaluator = [
            dict(type='IoUMetric', iou_metrics=['mIoU']),
            dict(type='FRSKDIoUMetric', pred_key='pred_teacher_sem_seg',
                 prefix='teacher', iou_metrics=['mIoU'])]

    logs ``mIoU`` (the student) and ``teacher/mIoU``; the model must be built
    with ``evaluate_teacher=True`` so that ``predict`` fills that field.

    Args:
        pred_key (str): Data-sample field holding the prediction
            (``pred_sem_seg``: the student, as :class:`IoUMetric`).
        classwise (bool): Also return ``IoU.<class name>`` for every class
            (NaN where the class is neither predicted nor labelled).
        prefix (str, optional): Prefix of the returned keys (none by
            default: the student's keys are mmseg's own, ``mIoU``).
        **kwargs: :class:`IoUMetric`'s arguments.
    """

    #: no prefix, said on purpose ('' and not None: mmengine warns at every
    #: evaluation about a metric whose prefix is None)
    default_prefix = ''

    def __init__(self,
                 pred_key: str = 'pred_sem_seg',
                 classwise: bool = False,
                 prefix: Optional[str] = None,
                 **kwargs):
        super().__init__(prefix=prefix, **kwargs)
        self.pred_key = pred_key
        self.classwise = classwise

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        if self.pred_key == 'pred_sem_seg':
            return super().process(data_batch, data_samples)
        picked = []
        for sample in data_samples:
            if self.pred_key not in sample:
                raise KeyError(
                    f'FRSKDIoUMetric(pred_key={self.pred_key!r}): the model '
                    'output has no such field; for the self-teacher build '
                    'FRSKDEncoderDecoder with evaluate_teacher=True')
            picked.append(dict(sample, pred_sem_seg=sample[self.pred_key]))
        super().process(data_batch, picked)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        if self.pred_key != 'pred_sem_seg':
            # IoUMetric's table is headed "per class results:" only; beside
            # the student's it must say whose it is
            whose = ('the self-teacher' if self.pred_key == TEACHER_PRED_KEY
                     else self.pred_key)
            print_log(f'per class results of {whose} (the '
                      f"{self.prefix or self.pred_key}/ scores) follow",
                      MMLogger.get_current_instance())
        metrics = super().compute_metrics(results)
        if self.classwise:
            intersect = sum(r[0] for r in results).cpu().numpy()
            union = sum(r[1] for r in results).cpu().numpy()
            with np.errstate(divide='ignore', invalid='ignore'):
                iou = np.where(union > 0, intersect / union, np.nan)
            for name, value in zip(self.dataset_meta['classes'], iou):
                metrics[f'IoU.{name}'] = float(np.round(value * 100, 2))
        return metrics
