"""mmengine's AmpOptimWrapper with the half-precision type chosen per GPU."""
from typing import Optional, Tuple

import torch
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper

from mmseg.registry import OPTIM_WRAPPERS


def amp_dtype(capability: Optional[Tuple[int, int]]) -> str:
    """``'bfloat16'`` for a GPU of this compute capability that computes
    bf16 natively (Ampere, 8.0, and later), else ``'float16'`` (also for no
    GPU, ``None``). ``torch.cuda.is_bf16_supported()`` also counts emulation
    (V100, T4 run it, slowly)."""
    native = capability is not None and tuple(capability) >= (8, 0)
    return 'bfloat16' if native else 'float16'


@OPTIM_WRAPPERS.register_module()
class DeviceAmpOptimWrapper(AmpOptimWrapper):
    """:class:`AmpOptimWrapper` whose ``dtype='auto'`` becomes bfloat16 on a
    GPU that computes it natively and float16 (with the loss scaler) on older
    ones. The choice is made per process for its own device when the wrapper
    is built, after the launcher has set each rank's device, so a machine
    with mixed GPUs gets the right type on each and no rank touches GPU 0.

    ``tools/train.py --amp`` uses it; other ``dtype`` values behave as in
    :class:`AmpOptimWrapper`.
    """

    def __init__(self, dtype='auto', **kwargs):
        if dtype == 'auto':
            capability = (torch.cuda.get_device_capability(
                torch.cuda.current_device())
                          if torch.cuda.is_available() else None)
            dtype = amp_dtype(capability)
            print_log(f'AMP in {dtype} (GPU compute capability '
                      f'{capability})', logger='current')
        super().__init__(dtype=dtype, **kwargs)
