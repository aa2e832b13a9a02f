"""The memory a training step adds on a CPU, measured as the operating
system sees it: the peak resident memory of one step above the resident
memory of the built model, each model in a fresh process (an allocator that
served another model first would hide part of the step's memory).

    python -m frskd_seg.analysis.step_memory CONFIG --shape H W --batch B
        [--amp bfloat16] [--warmup 1]

prints ``{"bytes": N}`` as its last line (:func:`step_peak_rss` runs it).
"""
import argparse
import ctypes
import gc
import json
import os.path as osp
import subprocess
import sys
import tempfile
from typing import Optional, Tuple

from mmengine.config import Config

#: where Linux reports a process's resident memory and its high-water mark
_STATUS = '/proc/self/status'
_CLEAR_REFS = '/proc/self/clear_refs'


def supported() -> bool:
    """Whether this system reports and resets the resident high-water mark
    (Linux)."""
    return osp.isfile(_STATUS) and osp.exists(_CLEAR_REFS)


def _status_bytes(field: str) -> int:
    with open(_STATUS) as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024  # kB
    raise RuntimeError(f'{_STATUS} has no {field}')


def _release_free_memory() -> None:
    """Hand the memory freed so far back to the system (glibc's
    ``malloc_trim``), so the baseline counts what is in use."""
    gc.collect()
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass


def measure_here(model_cfg: dict, shape: Tuple[int, int], batch_size: int,
                 amp: Optional[str] = None, warmup: int = 1) -> int:
    """In this process: build the model and a batch, run ``warmup`` steps
    (optimizer state, one-time buffers), then the resident memory one more
    step peaks at above what the process held before it."""
    from frskd_seg.analysis.benchmark import (build_benchmark_model,
                                              synthetic_batch)
    from frskd_seg.analysis.timing import TrainStep
    model = build_benchmark_model(Config(dict(model=model_cfg)), 'cpu')
    batch = synthetic_batch(batch_size, shape, model.num_classes, 'cpu')
    step = TrainStep(model, batch, amp)
    for _ in range(warmup):
        step()
    _release_free_memory()
    before = _status_bytes('VmRSS')
    with open(_CLEAR_REFS, 'w') as f:
        f.write('5')  # resets VmHWM to the current resident size
    step()
    return _status_bytes('VmHWM') - before


def step_peak_rss(cfg: Config, shape: Tuple[int, int], batch_size: int,
                  amp: Optional[str] = None, warmup: int = 1) -> int:
    """:func:`measure_here` for ``cfg``'s model, in a fresh process on as
    many threads as this one."""
    import torch
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'model.py')
        Config(dict(model=cfg.model.to_dict() if hasattr(
            cfg.model, 'to_dict') else dict(cfg.model))).dump(path)
        cmd = [sys.executable, '-m', 'frskd_seg.analysis.step_memory', path,
               '--shape', str(shape[0]), str(shape[1]), '--batch',
               str(batch_size), '--warmup', str(warmup), '--threads',
               str(torch.get_num_threads())]
        if amp:
            cmd += ['--amp', amp]
        out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError('measuring the step memory failed:\n'
                           + out.stderr[-3000:])
    return int(json.loads(out.stdout.strip().splitlines()[-1])['bytes'])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a config file holding the model')
    parser.add_argument('--shape', type=int, nargs=2, required=True)
    parser.add_argument('--batch', type=int, required=True)
    parser.add_argument('--amp', choices=['bfloat16', 'float16'])
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int)
    args = parser.parse_args()
    import torch

    import frskd_seg  # noqa: F401  registers the modules
    from mmseg.utils import register_all_modules
    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    model_cfg = Config.fromfile(args.config).model
    print(json.dumps(dict(bytes=measure_here(
        model_cfg, tuple(args.shape), args.batch, args.amp, args.warmup))))


if __name__ == '__main__':
    main()
