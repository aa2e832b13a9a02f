"""FRSKD on mmseg's CascadeEncoderDecoder: OCRNet, PointRend
(docs/method.md)."""
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.segmentors import CascadeEncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import ConfigType
from .frskd_mixin import FRSKDMixin
from .argument_checks import FORWARD_THEN_LOSS, UnsupportedStudentError


@MODELS.register_module()
class FRSKDCascadeEncoderDecoder(FRSKDMixin, CascadeEncoderDecoder):
    """A :class:`CascadeEncoderDecoder` (the student) trained with FRSKD: the
    method and every argument are :class:`FRSKDMixin`'s, the rest
    :class:`CascadeEncoderDecoder`'s (``num_stages``, a list of
    ``decode_head`` stages).

    The distilled head is the last stage whose training output is the
    per-pixel logits its CE trains (its loss is forward + loss_by_feat):
    OCRNet's OCRHead (the final logits), PointRend's FPN head (its
    PointHead trains on sampled points; at inference it refines this
    head's logits at uncertain points). The default teacher head is the
    light classifier (a 1x1 conv) in both placements: a copy of a cascade
    stage would need the previous stage's output.
    """

    STUDENT_CLASS = CascadeEncoderDecoder
    CASCADE = True
    COPIES_DECODE_HEAD = False

    @property
    def distilled_stage(self) -> int:
        """Index of the distilled head among the stages."""
        stages = [i for i, head in enumerate(self.decode_head)
                  if type(head).loss in FORWARD_THEN_LOSS]
        if not stages:
            raise UnsupportedStudentError(
                'no cascade stage trains on per-pixel logits (every stage '
                'overrides loss()): FRSKD has no logits to distil')
        return stages[-1]

    @property
    def distilled_head(self) -> BaseDecodeHead:
        return self.decode_head[self.distilled_stage]

    def _distilled_head_cfg(self, decode_head) -> ConfigType:
        return decode_head[self.distilled_stage]

    def _decode_to_distilled_head(self, feats) -> None:
        # the stages' inference chain (CascadeEncoderDecoder.encode_decode)
        out = self.decode_head[0].forward(feats)
        for i in range(1, self.distilled_stage + 1):
            out = self.decode_head[i].forward(feats, out)

    def _predict_from_feats(self, feats, batch_img_metas):
        # CascadeEncoderDecoder.encode_decode after extract_feat
        out = self.decode_head[0].forward(feats)
        for i in range(1, self.num_stages - 1):
            out = self.decode_head[i].forward(feats, out)
        return self.decode_head[-1].predict(feats, out, batch_img_metas,
                                            self.test_cfg)
