from .attention_transfer_loss import AttentionTransferLoss, spatial_attention
from .pixel_kl_div_loss import PixelKLDivLoss

__all__ = ['AttentionTransferLoss', 'PixelKLDivLoss', 'spatial_attention']
