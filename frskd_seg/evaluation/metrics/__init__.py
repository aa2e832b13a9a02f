from .frskd_iou_metric import FRSKDIoUMetric

__all__ = ['FRSKDIoUMetric']
