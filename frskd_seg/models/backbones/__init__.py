from .tapped_efficientnet import OFFICIAL_B0_TAPS, TappedEfficientNet

__all__ = ['OFFICIAL_B0_TAPS', 'TappedEfficientNet']
