"""Are two training runs the same run? Their logged training values
(``Iter(train)`` lines: learning rate, every loss term, accuracy and
distillation weight, not timings) and their final weights, tensor
for tensor -- the check that a refactoring changed no behaviour. Where
they differ, how far: the first value both log that differs, and the
distance between their weights and between their running statistics."""
import glob
import os.path as osp
import re
from typing import Dict, List, NamedTuple, Optional, Tuple

import torch

from frskd_seg.utils.checkpoint import load_local_checkpoint

_ITER = re.compile(r'Iter\(train\) \[\s*(\d+)/')
_VALUE = re.compile(r'(\S+): (-?[\d.]+(?:e[+-]?\d+)?)')
#: logged values that depend on the machine, not on the run
_UNTRACKED = ('time', 'data_time', 'eta', 'memory')


def logged_values(log_text: str) -> List[Tuple[int, Dict[str, str]]]:
    """``(iteration, {name: value as printed})`` per ``Iter(train)`` line."""
    out = []
    for line in log_text.splitlines():
        match = _ITER.search(line)
        if match is None:
            continue
        values = dict(_VALUE.findall(line.split(match.group(0))[1]))
        out.append((int(match.group(1)), {
            k: v for k, v in values.items() if k not in _UNTRACKED}))
    return out


def last_log(work_dir: str) -> str:
    """The text of the newest ``<timestamp>/<timestamp>.log`` of a run."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.log')))
    if not logs:
        raise FileNotFoundError(f'no <timestamp>/<timestamp>.log in '
                                f'{work_dir}')
    with open(logs[-1]) as f:
        return f.read()


class LoadedRun(NamedTuple):
    """A run as compared: its logged values (:func:`logged_values`) and
    the state dict of one checkpoint."""
    values: List[Tuple[int, Dict[str, str]]]
    state: Dict[str, torch.Tensor]


def first_divergence(values_a: List[Tuple[int, Dict[str, str]]],
                     values_b: List[Tuple[int, Dict[str, str]]]
                     ) -> Optional[Tuple[int, str, str, str]]:
    """``(iteration, name, value in a, value in b)`` of the first value that
    both runs log (:func:`logged_values`) at the same iteration and that
    differs; None if none does (values only one run logs, e.g. a pool's
    terms, are skipped)."""
    b_by_iter = dict(values_b)
    for it, a in values_a:
        b = b_by_iter.get(it, {})
        for name in a.keys() & b.keys():
            if a[name] != b[name]:
                return it, name, a[name], b[name]
    return None


#: buffers that estimate statistics of the data (BN and the like), not
#: learned by the gradient
_RUNNING = ('running_mean', 'running_var')


def state_distances(state_a: Dict[str, torch.Tensor],
                    state_b: Dict[str, torch.Tensor]
                    ) -> Dict[str, Tuple[float, float]]:
    """Per top-level module (the key's first part), the relative distance
    ``||a - b|| / ||b||`` over its floating-point weights and over its
    running statistics (NaN where it has none), on the keys both hold."""
    sums: Dict[str, List[float]] = {}
    for key in state_a.keys() & state_b.keys():
        a, b = state_a[key], state_b[key]
        if not b.is_floating_point():
            continue
        kind = 2 if key.rsplit('.', 1)[-1] in _RUNNING else 0
        acc = sums.setdefault(key.split('.')[0], [0.0] * 4)
        acc[kind] += (a.double() - b.double()).pow(2).sum().item()
        acc[kind + 1] += b.double().pow(2).sum().item()
    nan = float('nan')
    return {module: tuple((d / n) ** 0.5 if n else nan
                          for d, n in ((acc[0], acc[1]), (acc[2], acc[3])))
            for module, acc in sorted(sums.items())}


def load_run(work_dir: str, checkpoint: str) -> LoadedRun:
    """The logged values of a run's newest log and the ``state_dict`` of
    ``checkpoint`` (a file name in ``work_dir``)."""
    state = load_local_checkpoint(osp.join(work_dir, checkpoint),
                                  map_location='cpu')['state_dict']
    return LoadedRun(logged_values(last_log(work_dir)), state)


def compare_runs(work_dir_a: str, work_dir_b: str,
                 checkpoint: str) -> List[str]:
    """The differences between two runs (empty: the same run): logged
    values line by line, then the state dicts of ``checkpoint`` (a file name
    inside both work dirs)."""
    return run_differences(load_run(work_dir_a, checkpoint),
                           load_run(work_dir_b, checkpoint))


def run_differences(run_a: LoadedRun, run_b: LoadedRun) -> List[str]:
    """:func:`compare_runs` on runs already loaded (:func:`load_run`)."""
    differences = []
    logs, states = (run_a.values, run_b.values), (run_a.state, run_b.state)
    if len(logs[0]) != len(logs[1]):
        differences.append(f'{len(logs[0])} and {len(logs[1])} logged '
                           'training lines')
    for (it_a, a), (it_b, b) in zip(*logs):
        if (it_a, a) != (it_b, b):
            differences.append(f'iteration {it_a}: {a} != {it_b}: {b}')
            break
    if states[0].keys() != states[1].keys():
        differences.append('state dicts differ in keys: ' + str(sorted(
            set(states[0]) ^ set(states[1]))[:5]))
    unequal = [k for k in states[0].keys() & states[1].keys()
               if not torch.equal(states[0][k], states[1][k])]
    if unequal:
        differences.append(f'{len(unequal)} tensors differ, e.g. '
                           f'{sorted(unequal)[:3]}')
    return differences
