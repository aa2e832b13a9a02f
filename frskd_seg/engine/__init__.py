from .hooks import NonFiniteLossHook, RNGStateHook

__all__ = ['NonFiniteLossHook', 'RNGStateHook']
