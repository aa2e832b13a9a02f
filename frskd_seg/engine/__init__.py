from .hooks import (GracefulStopHook, NonFiniteLossHook, ResumeCheckHook,
                    RNGStateHook)
from .optimizers import DeviceAmpOptimWrapper

__all__ = [
    'DeviceAmpOptimWrapper', 'GracefulStopHook', 'NonFiniteLossHook',
    'ResumeCheckHook',
    'RNGStateHook'
]
