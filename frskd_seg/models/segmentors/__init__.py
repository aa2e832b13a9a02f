from .frskd_cascade_encoder_decoder import FRSKDCascadeEncoderDecoder
from .frskd_encoder_decoder import FRSKDEncoderDecoder
from .frskd_mixin import FRSKDMixin
from .head_tap import HeadTap
from .argument_checks import UnsupportedStudentError
from .recipe import describe_recipe

#: each FRSKD segmentor type and the mmseg segmentor type of its student
#: (what its baseline twin and its exported student are)
STUDENT_TYPES = {
    'FRSKDEncoderDecoder': 'EncoderDecoder',
    'FRSKDCascadeEncoderDecoder': 'CascadeEncoderDecoder',
}


def is_frskd_model(model_cfg) -> bool:
    """Whether a model config (a dict, or None) is one of FRSKD's."""
    return bool(model_cfg) and model_cfg.get('type') in STUDENT_TYPES


__all__ = [
    'FRSKDMixin', 'FRSKDEncoderDecoder', 'FRSKDCascadeEncoderDecoder',
    'HeadTap', 'STUDENT_TYPES', 'UnsupportedStudentError', 'is_frskd_model',
    'describe_recipe'
]
