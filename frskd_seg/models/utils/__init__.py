from .biased_conv_module import biased_conv_module
from .depthwise_separable_block import DepthwiseSeparableBlock
from .distill_schedule import (DEPRECATED_SCHEDULE_KEYS, DistillSchedule,
                               build_distill_schedule, distill_weight,
                               model_distill_schedule,
                               distill_weight_by_epoch)
from .distill_view import RandomZoomView
from .grad_scale import scale_grad
from .private_rng import PrivateRNG
from .resize_to import UPSAMPLE_MODES, max_pool_same, resize_to
from .weighted_fusion import WeightedFusion

__all__ = [
    'DepthwiseSeparableBlock', 'WeightedFusion', 'resize_to', 'max_pool_same',
    'UPSAMPLE_MODES', 'distill_weight', 'distill_weight_by_epoch',
    'DistillSchedule', 'build_distill_schedule', 'DEPRECATED_SCHEDULE_KEYS',
    'model_distill_schedule', 'RandomZoomView',
    'scale_grad', 'PrivateRNG', 'biased_conv_module'
]
