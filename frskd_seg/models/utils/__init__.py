"""Network building blocks of the self-teachers and heads."""
from .biased_conv_module import biased_conv_module
from .depthwise_separable_block import DepthwiseSeparableBlock
from .grad_scale import scale_grad
from .resize_to import UPSAMPLE_MODES, max_pool_same, resize_to
from .weighted_fusion import WeightedFusion

__all__ = [
    'DepthwiseSeparableBlock', 'WeightedFusion', 'resize_to', 'max_pool_same',
    'UPSAMPLE_MODES', 'scale_grad', 'biased_conv_module'
]
