"""The FRSKD segmentor's arguments, checked at build with messages that say
what to write instead: the student's (which students FRSKD trains), FRSKD's
own, the decode heads, the teacher head and the feature loss against the
self-teacher."""
import difflib
import inspect
from typing import List, Optional

from frskd_seg.utils.errors import ConfigError, ConfigTypeError
from mmseg.models.decode_heads.cascade_decode_head import \
    BaseCascadeDecodeHead
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.knet_head import IterativeDecodeHead
from mmseg.registry import MODELS

#: the decode-head losses that are the head's forward + loss_by_feat, so the
#: logits that forward returns are those its CE trains
FORWARD_THEN_LOSS = (BaseDecodeHead.loss, BaseCascadeDecodeHead.loss)
#: the arguments of mmseg segmentors that FRSKD does not train (multimodal
#: segmentors such as SAN, depth estimators such as VPD)
_OTHER_SEGMENTOR_ARGS = ('text_encoder', 'image_encoder', 'class_names',
                         'context_length', 'asymetric_input',
                         'encoder_resolution', 'image_size', 'diffusion_cfg',
                         'depth_head', 'unet_cfg', 'pad_shape')


#: where the self-teacher reads (``self_teacher_input``)
SELF_TEACHER_INPUTS = ('backbone', 'neck', 'decoder')


class UnsupportedStudentError(NotImplementedError):
    """The student segmentor cannot be trained with FRSKD, for the reason
    the message gives (naming the head or segmentor and what to do). Raised
    while the model is built, never at the first training step."""


def frskd_keys(frskd_cls: type) -> List[str]:
    """The arguments an FRSKD segmentor class takes itself (the rest go to
    the mmseg segmentor it extends)."""
    return [name for name in inspect.signature(
        frskd_cls.__init__).parameters if name not in ('self', 'student')]


def check_student_args(frskd_cls: type, base_cls: type,
                       student: dict) -> None:
    """The arguments left for the mmseg segmentor ``base_cls`` that
    ``frskd_cls`` extends: each must be one it takes, the decode head a
    single head or a list of cascade stages as the class expects, and every
    head one FRSKD can distil.

    An argument it does not take is named with what was meant: a cascade's
    ``num_stages`` -> the cascade type; a near-miss of an FRSKD or mmseg
    key -> that key; a multimodal or depth argument -> not supported.
    """
    takes = set(inspect.signature(base_cls.__init__).parameters)
    own = frskd_keys(frskd_cls)
    unknown = sorted(set(student) - takes)
    decode_head = student.get('decode_head')
    is_cascade = isinstance(decode_head, (list, tuple))
    cascade = getattr(frskd_cls, 'CASCADE', False)
    if is_cascade and not cascade or 'num_stages' in unknown:
        stages = (f'a list of {len(decode_head)} cascade stages' if
                  is_cascade else 'given in stages (num_stages)')
        raise ConfigTypeError(
            f'decode_head is {stages} (a CascadeEncoderDecoder model: OCRNet,'
            " PointRend): write model = dict(type='FRSKDCascadeEncoderDecoder'"
            ', ...)')
    if isinstance(decode_head, dict) and cascade:
        raise ConfigTypeError(
            'decode_head is one head (an EncoderDecoder model): write '
            "model = dict(type='FRSKDEncoderDecoder', ...)")
    for key in unknown:
        known = sorted(set(own) | takes - {'self', 'kwargs'})
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        if close:
            raise ConfigTypeError(
                f'{frskd_cls.__name__} got an unknown key {key!r}: did you '
                f'mean {close[0]!r}?')
        if key in _OTHER_SEGMENTOR_ARGS:
            raise UnsupportedStudentError(
                f'{frskd_cls.__name__} trains an mmseg {base_cls.__name__}, '
                f'which does not take {key!r}: FRSKD distils the per-pixel '
                'class logits of EncoderDecoder and CascadeEncoderDecoder '
                'models (multimodal segmentors such as SAN and depth '
                'estimators such as VPD are not supported)')
        raise ConfigTypeError(
            f'{frskd_cls.__name__} got an unknown key {key!r}: it takes the '
            f'FRSKD keys {sorted(own)} and the arguments of mmseg\'s '
            f'{base_cls.__name__}')
    for cfg in (decode_head if is_cascade else [decode_head]):
        check_decode_head_cfg(cfg)


def check_frskd_args(segmentor: str, self_teacher, self_teacher_input: str,
                     teacher_grad_scale, has_neck: bool) -> None:
    """FRSKD's own arguments, before anything is built (``has_neck``:
    whether the student has a neck)."""
    if self_teacher_input not in SELF_TEACHER_INPUTS:
        raise ConfigError(
            f'self_teacher_input must be one of {SELF_TEACHER_INPUTS}, '
            f'got {self_teacher_input!r}')
    if self_teacher_input == 'neck' and not has_neck:
        raise ConfigError(
            "self_teacher_input='neck' refines the student's neck "
            f'outputs, but this {segmentor} has no neck: use '
            "'backbone' (its backbone levels) or 'decoder'")
    if isinstance(teacher_grad_scale, bool) or not (
            isinstance(teacher_grad_scale, (int, float))
            and 0 <= teacher_grad_scale <= 1):
        raise ConfigError('teacher_grad_scale must be a number in [0, 1], '
                          f'got {teacher_grad_scale!r}')
    if self_teacher is None:
        raise ConfigError(f'{segmentor} needs a self_teacher config, e.g. '
                          "dict(type='SelfTeacherNeck', ...)")


def check_decode_head_cfg(cfg) -> None:
    """Refuse heads without per-pixel class logits (K-Net, MaskFormer,
    Mask2Former); unknown types are left to mmseg's own error."""
    head_cls = MODELS.get(cfg['type']) if isinstance(cfg, dict) else None
    if head_cls is None or not inspect.isclass(head_cls):
        return
    if issubclass(head_cls, IterativeDecodeHead):
        raise UnsupportedStudentError(
            f"decode_head {cfg['type']} (K-Net) makes its logits by "
            'iterative kernel updates -- one set per stage in training, '
            'with no classifier (cls_seg) on a feature map -- so there is '
            'neither one map for the self-teacher to refine nor one '
            'logit tensor matched to its prediction to distil')
    if issubclass(head_cls, BaseDecodeHead):
        return
    why = (f'a mask-classification head (num_queries='
           f"{cfg['num_queries']}: per-query masks and class scores)"
           if 'num_queries' in cfg else 'not an mmseg BaseDecodeHead')
    raise UnsupportedStudentError(
        f"decode_head {cfg['type']} is {why}: FRSKD distils per-pixel "
        'class logits, which this head does not produce')


def check_teacher_head(head) -> None:
    """The teacher head's losses must be its forward + loss_by_feat."""
    if not isinstance(head, BaseDecodeHead) or isinstance(
            head, BaseCascadeDecodeHead):
        raise ConfigTypeError(
            'teacher_head must be an mmseg decode head that reads feature '
            'maps alone (a BaseDecodeHead, not a cascade stage), got '
            f'{type(head).__name__}')
    if type(head).loss is not BaseDecodeHead.loss:
        raise ConfigTypeError(
            f'teacher_head {type(head).__name__} overrides loss(); FRSKD '
            'needs a teacher head whose loss is forward() followed by '
            'loss_by_feat()')


def check_feature_loss(loss_feat: Optional[object], self_teacher) -> None:
    """The feature loss must find in the self-teacher's output what it
    compares: the pre-activations where it needs them."""
    if loss_feat is None:
        return
    if getattr(loss_feat, 'needs_preacts', False) and not getattr(
            self_teacher, 'gives_preacts', False):
        raise ConfigError(
            f'loss_feat {type(loss_feat).__name__} compares the '
            "self-teacher's pre-activations, which "
            f'{type(self_teacher).__name__} does not give (SelfTeacherNeck '
            'does)')
