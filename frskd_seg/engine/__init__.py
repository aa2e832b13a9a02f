from .hooks import NonFiniteLossHook, ResumeCheckHook, RNGStateHook
from .optimizers import DeviceAmpOptimWrapper

__all__ = [
    'DeviceAmpOptimWrapper', 'NonFiniteLossHook', 'ResumeCheckHook',
    'RNGStateHook'
]
