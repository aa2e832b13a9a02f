"""FRSKD (Feature Refinement via Self-Knowledge Distillation, CVPR 2021) for
semantic segmentation, as an MMSegmentation 1.x extension.

``import frskd_seg`` registers ``SelfTeacherNeck``, ``AttentionTransferLoss``,
``PixelKLDivLoss`` and ``FRSKDEncoderDecoder`` in mmseg's ``MODELS`` registry
and ``RNGStateHook`` in its ``HOOKS``, and makes mmengine load its own checkpoints under torch >= 2.6
(:mod:`frskd_seg.utils.checkpoint`).
"""
from .engine import *  # noqa: F401,F403
from .evaluation import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .utils import register_checkpoint_loader
from .version import __version__

register_checkpoint_loader()

__all__ = ['__version__']
