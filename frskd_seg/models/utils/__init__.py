from .depthwise_separable_block import DepthwiseSeparableBlock
from .distill_schedule import distill_weight
from .resize_to import UPSAMPLE_MODES, max_pool_same, resize_to
from .weighted_fusion import WeightedFusion

__all__ = [
    'DepthwiseSeparableBlock', 'WeightedFusion', 'resize_to', 'max_pool_same',
    'UPSAMPLE_MODES', 'distill_weight'
]
