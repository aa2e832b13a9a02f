from .device_amp_optim_wrapper import DeviceAmpOptimWrapper, amp_dtype

__all__ = ['DeviceAmpOptimWrapper', 'amp_dtype']
