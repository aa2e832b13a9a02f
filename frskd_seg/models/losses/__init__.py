from .attention_transfer_loss import AttentionTransferLoss, spatial_attention
from .fitnet_loss import FitNetLoss
from .overhaul_loss import OverhaulLoss, bn_margin
from .pixel_kl_div_loss import PixelKLDivLoss

__all__ = [
    'AttentionTransferLoss', 'FitNetLoss', 'OverhaulLoss', 'PixelKLDivLoss',
    'bn_margin', 'spatial_attention'
]
