"""A random stream of its own for one part of a model."""
from typing import Optional

import torch


class PrivateRNG:
    """Torch's random generators, swapped for a stream of this object's own
    while code runs inside ``with rng:``.

    What runs inside (module construction, weight initialisation, dropout)
    draws from this stream; on leaving, the global generators are exactly as
    they were on entering. FRSKD runs everything of the self-teacher inside
    one, so the student's draws -- its initial weights, its dropout masks,
    the data loader's seeds -- are those of the baseline twin with the same
    seed: a paired comparison.

    The stream covers torch's CPU generator and, once CUDA is in use, the
    current CUDA device's generator (each device gets its own state, seeded
    from ``seed``).

    Args:
        seed (int): Seed of the stream.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._cpu = torch.Generator().manual_seed(self.seed).get_state()
        self._cuda = {}
        self._saved: Optional[tuple] = None

    @staticmethod
    def _cuda_device() -> Optional[int]:
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            return torch.cuda.current_device()
        return None

    def __enter__(self) -> 'PrivateRNG':
        if self._saved is not None:
            raise RuntimeError('PrivateRNG is not re-entrant')
        device = self._cuda_device()
        saved_cuda = None
        if device is not None:
            saved_cuda = torch.cuda.get_rng_state(device)
            if device not in self._cuda:
                torch.cuda.manual_seed(self.seed)
                self._cuda[device] = torch.cuda.get_rng_state(device)
            torch.cuda.set_rng_state(self._cuda[device], device)
        self._saved = (torch.get_rng_state(), device, saved_cuda)
        torch.set_rng_state(self._cpu)
        return self

    def __exit__(self, *exc) -> None:
        saved_cpu, device, saved_cuda = self._saved
        self._saved = None
        self._cpu = torch.get_rng_state()
        torch.set_rng_state(saved_cpu)
        if device is not None:
            self._cuda[device] = torch.cuda.get_rng_state(device)
            torch.cuda.set_rng_state(saved_cuda, device)

    def state_dict(self) -> dict:
        """The stream's state (CPU byte tensors), for checkpoints."""
        return dict(seed=self.seed, cpu=self._cpu.clone(),
                    cuda={k: v.clone() for k, v in self._cuda.items()})

    def load_state_dict(self, state: dict) -> None:
        # checkpoints may be loaded with map_location='cuda': torch's
        # set_rng_state functions take CPU byte tensors only
        self.seed = int(state['seed'])
        self._cpu = state['cpu'].cpu()
        self._cuda = {int(k): v.cpu() for k, v in state['cuda'].items()}
