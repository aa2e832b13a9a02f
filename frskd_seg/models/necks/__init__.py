from .bifpn_seg import BiFPNSeg, BiFPNSegLayer
from .efficientdet_seg_neck import EfficientDetSegNeck
from .refined_features import RefinedFeatures
from .self_teacher_neck import SelfTeacherNeck

__all__ = [
    'BiFPNSeg', 'BiFPNSegLayer', 'EfficientDetSegNeck', 'RefinedFeatures',
    'SelfTeacherNeck'
]
