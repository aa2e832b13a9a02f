"""Predicting with the student or, for evaluation, with the self-teacher."""
from typing import List

from mmengine.structures import PixelData
from torch import Tensor

from mmseg.models.utils import resize
from mmseg.structures import SegDataSample
from mmseg.utils import OptSampleList, SampleList


class SelfTeacherPrediction:
    """The prediction side of an FRSKD segmentor (a base of
    :class:`FRSKDMixin`): ``predict`` is the mmseg segmentor's, the
    student's; with ``evaluate_teacher`` it adds the self-teacher's
    prediction as each sample's ``pred_teacher_sem_seg``, made by the same
    mmseg inference (whole or slide) on the self-teacher's logits."""

    _predict_teacher = False

    def predict(self, inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """The mmseg segmentor's prediction of the student; with
        ``evaluate_teacher``, also the self-teacher's, in each sample's
        ``pred_teacher_sem_seg``."""
        results = super().predict(inputs, data_samples)
        if not self.evaluate_teacher:
            return results
        self._predict_teacher = True
        try:
            teacher = super().predict(
                inputs, [SegDataSample(metainfo=r.metainfo)
                         for r in results])
        finally:
            self._predict_teacher = False
        for result, t in zip(results, teacher):
            result.pred_teacher_sem_seg = PixelData(
                data=t.pred_sem_seg.data)
        return results

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """The mmseg segmentor's, or the self-teacher's logits at the input
        size while :meth:`predict` evaluates the self-teacher (so mmseg's
        whole/slide inference serves both)."""
        if not self._predict_teacher:
            return super().encode_decode(inputs, batch_img_metas)
        _, reads = self.student_forward(self.extract_feat(inputs))
        with self.teacher_rng:
            logits, _ = self.teacher_forward(reads)
        return resize(logits, size=inputs.shape[2:], mode='bilinear',
                      align_corners=self.align_corners)
