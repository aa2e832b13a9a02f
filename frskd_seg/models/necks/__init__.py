from .bifpn_seg import BiFPNSeg, BiFPNSegLayer
from .efficientdet_seg_neck import EfficientDetSegNeck
from .self_teacher_neck import SelfTeacherNeck

__all__ = [
    'BiFPNSeg', 'BiFPNSegLayer', 'EfficientDetSegNeck', 'SelfTeacherNeck'
]
