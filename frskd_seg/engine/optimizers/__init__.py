from .device_amp_optim_wrapper import DeviceAmpOptimWrapper, native_bf16

__all__ = ['DeviceAmpOptimWrapper', 'native_bf16']
