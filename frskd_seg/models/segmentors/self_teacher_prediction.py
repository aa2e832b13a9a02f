"""Predicting with the student or, for evaluation, with the self-teacher."""
from typing import List

from mmengine.structures import PixelData
from torch import Tensor

from mmseg.models.utils import resize
from mmseg.structures import SegDataSample
from mmseg.utils import OptSampleList, SampleList
from .head_tap import HeadTap


class SelfTeacherPrediction:
    """The prediction side of an FRSKD segmentor (a base of
    :class:`FRSKDMixin`): ``predict`` is the mmseg segmentor's, the
    student's; with ``evaluate_teacher`` it adds the self-teacher's
    prediction as each sample's ``pred_teacher_sem_seg``, made by the same
    mmseg inference (whole or slide) on the self-teacher's logits.

    The self-teacher's logits are computed in the student's pass, from the
    features and decoder maps the student's prediction computed (each
    image through the backbone once), and served in order to the second
    pass, which runs mmseg's inference on them."""

    #: the self-teacher's logits (B, K, h, w) of each ``encode_decode`` call
    #: of the student's pass, while ``predict`` evaluates the self-teacher
    _teacher_logits = None
    _predict_teacher = False

    def predict(self, inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """The mmseg segmentor's prediction of the student; with
        ``evaluate_teacher``, also the self-teacher's, in each sample's
        ``pred_teacher_sem_seg``."""
        if not self.evaluate_teacher:
            return super().predict(inputs, data_samples)
        self._teacher_logits = []
        try:
            results = super().predict(inputs, data_samples)
            self._predict_teacher = True
            teacher = super().predict(
                inputs, [SegDataSample(metainfo=r.metainfo)
                         for r in results])
        finally:
            self._predict_teacher = False
            self._teacher_logits = None
        for result, t in zip(results, teacher):
            result.pred_teacher_sem_seg = PixelData(
                data=t.pred_sem_seg.data)
        return results

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """The mmseg segmentor's logits at the input size; while
        :meth:`predict` evaluates the self-teacher, the student's pass also
        computes the self-teacher's logits from the same features, and the
        second pass returns them (so mmseg's whole/slide inference serves
        both)."""
        if self._predict_teacher:
            logits = self._teacher_logits.pop(0)
            return resize(logits, size=inputs.shape[2:], mode='bilinear',
                          align_corners=self.align_corners)
        if self._teacher_logits is None:
            return super().encode_decode(inputs, batch_img_metas)
        feats = self.extract_feat(inputs)
        with HeadTap(self.distilled_head) as tap:
            logits = self._predict_from_feats(feats, batch_img_metas)
        with self.teacher_rng:
            teacher_logits, _ = self.teacher_forward(self._reads(feats, tap))
        self._teacher_logits.append(teacher_logits)
        return logits

    def _predict_from_feats(self, feats, batch_img_metas: List[dict]):
        """The student's logits at the input size from its features: the
        mmseg segmentor's ``encode_decode`` after ``extract_feat``."""
        raise NotImplementedError
