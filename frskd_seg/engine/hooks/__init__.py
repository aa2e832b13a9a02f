from .graceful_stop_hook import GracefulStopHook
from .non_finite_loss_hook import NonFiniteLossHook
from .resume_check_hook import ResumeCheckHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'GracefulStopHook', 'NonFiniteLossHook', 'ResumeCheckHook',
    'RNGStateHook'
]
