from .hooks import NonFiniteLossHook, ResumeCheckHook, RNGStateHook

__all__ = ['NonFiniteLossHook', 'ResumeCheckHook', 'RNGStateHook']
