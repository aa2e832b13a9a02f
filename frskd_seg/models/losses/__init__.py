from .attention_transfer_loss import AttentionTransferLoss, spatial_attention
from .distill_schedule import (DEFAULT_SCHEDULE, DistillSchedule,
                               build_distill_schedule, distill_weight,
                               distill_weight_by_epoch,
                               model_distill_schedule)
from .fitnet_loss import FitNetLoss
from .overhaul_loss import OverhaulLoss, bn_margin
from .pixel_kl_div_loss import PixelKLDivLoss

__all__ = [
    'AttentionTransferLoss', 'FitNetLoss', 'OverhaulLoss', 'PixelKLDivLoss',
    'bn_margin', 'spatial_attention', 'DistillSchedule', 'DEFAULT_SCHEDULE',
    'build_distill_schedule', 'model_distill_schedule', 'distill_weight',
    'distill_weight_by_epoch'
]
