"""Are two training runs the same run? Their logged training values
(``Iter(train)`` lines: learning rate, every loss term, accuracy and
distillation weight, not timings) and their final weights, tensor
for tensor -- the check that a refactoring changed no behaviour."""
import glob
import os.path as osp
import re
from typing import Dict, List, Tuple

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


def compare_runs(work_dir_a: str, work_dir_b: str,
                 checkpoint: str) -> List[str]:
    """The differences between two runs (empty: the same run): logged
    values line by line, then the state dicts of ``checkpoint`` (a file name
    inside both work dirs)."""
    differences = []
    logs = [logged_values(last_log(d)) for d in (work_dir_a, work_dir_b)]
    if len(logs[0]) != len(logs[1]):
        differences.append(f'{len(logs[0])} and {len(logs[1])} logged '
                           'training lines')
    for (it_a, a), (it_b, b) in zip(*logs):
        if (it_a, a) != (it_b, b):
            differences.append(f'iteration {it_a}: {a} != {it_b}: {b}')
            break
    states = [load_local_checkpoint(osp.join(d, checkpoint),
                                    map_location='cpu')['state_dict']
              for d in (work_dir_a, work_dir_b)]
    if states[0].keys() != states[1].keys():
        differences.append('state dicts differ in keys: ' + str(sorted(
            set(states[0]) ^ set(states[1]))[:5]))
    unequal = [k for k in states[0].keys() & states[1].keys()
               if not torch.equal(states[0][k], states[1][k])]
    if unequal:
        differences.append(f'{len(unequal)} tensors differ, e.g. '
                           f'{sorted(unequal)[:3]}')
    return differences
