"""FRSKD on mmseg's EncoderDecoder (docs/method.md)."""
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import ConfigType
from .frskd_mixin import FRSKDMixin


@MODELS.register_module()
class FRSKDEncoderDecoder(FRSKDMixin, EncoderDecoder):
    """An :class:`EncoderDecoder` (the student) trained with FRSKD: the
    method and every argument are :class:`FRSKDMixin`'s, the rest
    :class:`EncoderDecoder`'s.

    The distilled head is ``decode_head``; with
    ``self_teacher_input='backbone'`` the default teacher head is a copy of
    it. Its logits are what its ``predict`` uses: for heads that return
    several outputs in training (DANet, EncNet, PIDNet, DDRNet) the output
    of its classifier ``cls_seg`` (:class:`HeadTap`).
    """

    STUDENT_CLASS = EncoderDecoder

    @property
    def distilled_head(self) -> BaseDecodeHead:
        return self.decode_head

    def _distilled_head_cfg(self, decode_head: ConfigType) -> ConfigType:
        return decode_head

    def _decode_to_distilled_head(self, feats) -> None:
        self.decode_head(feats)

    def _predict_from_feats(self, feats, batch_img_metas):
        # EncoderDecoder.encode_decode after extract_feat
        return self.decode_head.predict(feats, batch_img_metas,
                                        self.test_cfg)
