from .frskd_cascade_encoder_decoder import FRSKDCascadeEncoderDecoder
from .frskd_encoder_decoder import FRSKDEncoderDecoder
from .frskd_mixin import FRSKDMixin
from .head_tap import HeadTap
from .supported_students import UnsupportedStudentError

#: each FRSKD segmentor type and the mmseg segmentor type of its student
#: (what its baseline twin and its exported student are)
STUDENT_TYPES = {
    'FRSKDEncoderDecoder': 'EncoderDecoder',
    'FRSKDCascadeEncoderDecoder': 'CascadeEncoderDecoder',
}

__all__ = [
    'FRSKDMixin', 'FRSKDEncoderDecoder', 'FRSKDCascadeEncoderDecoder',
    'HeadTap', 'STUDENT_TYPES', 'UnsupportedStudentError'
]
