"""FRSKD (Feature Refinement via Self-Knowledge Distillation, CVPR 2021) for
semantic segmentation, as an MMSegmentation 1.x extension.

``import frskd_seg`` registers its modules in mmseg's registries -- in
``MODELS`` the FRSKD segmentors (``FRSKDEncoderDecoder``,
``FRSKDCascadeEncoderDecoder``), ``SelfTeacherNeck``, the distillation
losses and the paper model's modules (``TappedEfficientNet``,
``EfficientDetSegNeck``, ``BiFPNSeg``, ``EfficientDetSegHead``); in
``HOOKS`` ``RNGStateHook`` and the other training hooks -- and makes
mmengine load its own checkpoints under torch >= 2.6
(:mod:`frskd_seg.utils.checkpoint`).
"""
from .engine import *  # noqa: F401,F403
from .evaluation import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .utils import register_checkpoint_loader
from .version import __version__

register_checkpoint_loader()

__all__ = ['__version__']
