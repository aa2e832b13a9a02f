from .frskd_iou_metric import TEACHER_PRED_KEY, FRSKDIoUMetric, scores_teacher

__all__ = ['FRSKDIoUMetric', 'TEACHER_PRED_KEY', 'scores_teacher']
