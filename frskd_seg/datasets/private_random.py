"""A random stream of its own for one data set's pipeline."""
import os
import random
from typing import Optional

import numpy as np
import torch

#: offset of the stream's seed from the process's torch seed
_SEED_OFFSET = 0x0DA7A5E7


class PrivateRandomState:
    """NumPy's and Python's global random generators, swapped for a stream of
    this object's own while code runs inside ``with state:``.

    mmcv's and mmseg's transforms draw from the global generators, and a
    data-loader worker prepares every sample of a batch from the same
    global state: the draws of one data set's pipeline would shift those of
    every other sample the worker prepares next. Inside ``with state:`` they
    come from this stream instead, and on leaving the global generators are
    exactly as they were on entering.

    The stream is seeded in each process on first use, from that process's
    torch seed (a data-loader worker's: mmengine seeds it from the run's
    seed, the rank and the worker id) and a fixed offset: deterministic for
    a seeded run, distinct per worker, and a forked worker never continues
    its parent's stream.
    """

    def __init__(self):
        self._pid: Optional[int] = None
        self._numpy = None
        self._python = None
        self._saved = None

    def _seed(self) -> None:
        seed = (torch.initial_seed() + _SEED_OFFSET) % 2**32
        self._numpy = np.random.RandomState(seed).get_state()
        self._python = random.Random(seed).getstate()
        self._pid = os.getpid()

    def __enter__(self) -> 'PrivateRandomState':
        if self._saved is not None:
            raise RuntimeError('PrivateRandomState is not re-entrant')
        if self._pid != os.getpid():
            self._seed()
        self._saved = (np.random.get_state(), random.getstate())
        np.random.set_state(self._numpy)
        random.setstate(self._python)
        return self

    def __exit__(self, *exc) -> None:
        self._numpy = np.random.get_state()
        self._python = random.getstate()
        np.random.set_state(self._saved[0])
        random.setstate(self._saved[1])
        self._saved = None
