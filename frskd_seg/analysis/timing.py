"""Timing parts of a training step and peak memory, on CPU or GPU, with
runs of two models interleaved so that a noisy machine slows both alike."""
import contextlib
import os
import statistics
import sys
import time
from collections import defaultdict
from typing import Callable, Dict, List, Optional

import torch
from torch.profiler import ProfilerActivity, profile, record_function

#: parts of an FRSKD training step timed by forward hooks
STEP_PARTS = ('backbone', 'neck', 'decode_head', 'auxiliary_head',
              'self_teacher', 'teacher_head', 'loss_kd', 'loss_feat')


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize(device)


@contextlib.contextmanager
def _quiet_stderr():
    """Silence what the profiler's C++ side prints to the process's stderr
    (e.g. ``USDT: ... profiler_start``), which would land in the table."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, 'w') as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def peak_memory(fn: Callable, device: str) -> int:
    """Peak bytes of tensor memory allocated while ``fn()`` runs, above what
    was allocated before: CUDA's allocator statistics of ``device`` on a
    GPU; on a CPU, the running sum of the profiler's per-op allocations (ops
    in time order), which tracks the activations kept for backward."""
    if device.startswith('cuda'):
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        fn()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) - before
    with _quiet_stderr(), profile(activities=[ProfilerActivity.CPU],
                                  profile_memory=True) as prof:
        fn()
    events = sorted((e for e in prof.events() if e.cpu_parent is None),
                    key=lambda e: e.time_range.start)
    running = peak = 0
    for event in events:
        running += event.cpu_memory_usage
        peak = max(peak, running)
    return peak


class TrainStep:
    """One SGD training step of ``model`` on a fixed batch, its forward under
    autocast to ``amp`` (a dtype name) when given, as AmpOptimWrapper runs
    it."""

    def __init__(self, model, batch, amp: Optional[str] = None):
        self.model = model.train()
        self.batch = batch
        self.amp = amp
        self.optimizer = torch.optim.SGD(model.parameters(), lr=1e-4,
                                         momentum=0.9)

    def forward(self) -> torch.Tensor:
        """The total loss."""
        device = self.batch[0].device.type
        with torch.autocast(device, dtype=getattr(torch, self.amp or
                                                  'float32'),
                            enabled=self.amp is not None):
            losses = self.model.loss(*self.batch)
        return self.model.parse_losses(losses)[0]

    def __call__(self):
        loss = self.forward()
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


def step_breakdown(model, batch, device: str, repeats: int = 3,
                   profile_rows: int = 0,
                   amp: Optional[str] = None) -> Dict[str, float]:
    """Median seconds per part of an FRSKD training step: each module's
    forward, the backward pass, the optimizer step.

    Each part's ``forward`` is wrapped on the instance, so calls that bypass
    ``__call__`` (mmseg heads' ``loss`` calls ``self.forward``) are timed too.
    With ``profile_rows > 0``, one more step runs under ``torch.profiler``
    and its table of the most expensive ops (parts as ``frskd::<part>``
    ranges) is printed.
    """
    spent: Dict[str, List[float]] = defaultdict(list)

    def timed(part, forward):

        def wrapper(*args, **kwargs):
            _sync(device)
            start = time.perf_counter()
            # named ranges show up in --profile's torch.profiler table
            with record_function(f'frskd::{part}'):
                out = forward(*args, **kwargs)
            _sync(device)
            spent[part].append(time.perf_counter() - start)
            return out

        return wrapper

    wrapped = []
    for part in STEP_PARTS:
        module = getattr(model, part, None)
        if isinstance(module, torch.nn.Module):
            module.forward = timed(part, module.forward)
            wrapped.append(module)
    step = TrainStep(model, batch, amp)
    totals: Dict[str, List[float]] = defaultdict(list)
    try:
        for _ in range(repeats):
            _sync(device)
            t0 = time.perf_counter()
            loss = step.forward()
            _sync(device)
            t1 = time.perf_counter()
            loss.backward()
            _sync(device)
            t2 = time.perf_counter()
            step.optimizer.step()
            step.optimizer.zero_grad(set_to_none=True)
            _sync(device)
            totals['forward'].append(t1 - t0)
            totals['backward'].append(t2 - t1)
            totals['optimizer step'].append(time.perf_counter() - t2)
        if profile_rows:
            activities = [ProfilerActivity.CPU]
            if device.startswith('cuda'):
                activities.append(ProfilerActivity.CUDA)
            with profile(activities=activities) as prof:
                step()
            print(prof.key_averages().table(
                sort_by=('cuda_time_total' if device.startswith('cuda') else
                         'cpu_time_total'), row_limit=profile_rows))
    finally:
        for module in wrapped:
            del module.forward  # back to the class's method
    # a part that runs k times per step counts k calls per repetition
    parts = {}
    for part, calls in spent.items():
        k = len(calls) // repeats
        parts[part] = statistics.median(
            sum(calls[i * k:(i + 1) * k]) for i in range(repeats))
    forward = statistics.median(totals['forward'])
    breakdown = {p: parts[p] for p in STEP_PARTS if p in parts}
    breakdown['forward, rest (CE losses, resizes)'] = max(
        forward - sum(breakdown.values()), 0.0)
    breakdown['backward'] = statistics.median(totals['backward'])
    breakdown['optimizer step'] = statistics.median(totals['optimizer step'])
    return breakdown


def paired_median_times(fns: Dict[str, Callable], repeats: int, warmup: int,
                        device: str) -> Dict[str, float]:
    """Median wall time of each function (see :func:`paired_times`)."""
    return {name: statistics.median(t)
            for name, t in paired_times(fns, repeats, warmup,
                                        device).items()}


def spread(times: List[float]) -> float:
    """(max - min) / median of repeated timings."""
    return (max(times) - min(times)) / statistics.median(times)


#: timings whose repeats spread more than this get a warning in the table
SPREAD_WARNING = 0.2


def paired_times(fns: Dict[str, Callable], repeats: int, warmup: int,
                 device: str) -> Dict[str, List[float]]:
    """Wall times of each function over ``repeats``, after ``warmup``
    untimed rounds; the functions run in turn within every repetition so
    that drifts of a shared, noisy machine hit all of them alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: Dict[str, List[float]] = defaultdict(list)
    for _ in range(repeats):
        for name, fn in fns.items():
            _sync(device)
            start = time.perf_counter()
            fn()
            _sync(device)
            times[name].append(time.perf_counter() - start)
    return dict(times)
