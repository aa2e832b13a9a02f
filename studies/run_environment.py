"""What a training's numbers depend on besides its config and seed: the
versions of the numerical stack and the kernels torch dispatches to.

Trainings of one config and seed agree bit for bit in one environment
(``tests/test_engine/test_graceful_stop_hook.py``) but not across machines:
torch picks its vectorised CPU kernels by the instruction set it finds
(``torch.backends.cpu.get_cpu_capability()``: AVX2 and AVX512 kernels sum in
different orders), and the data pipeline's resizing and photometric
transforms come from OpenCV, numpy and Pillow. A paired study records this
for every run (:mod:`studies.gain_study`) so that no pair mixes
two environments unnoticed.

``python -m studies.run_environment`` prints it as JSON (the study
asks the interpreter that trains, which need not be its own).
"""
import importlib
import json
import os.path as osp
import platform
import subprocess
import sys
from typing import Dict, Tuple

#: the modules whose version is recorded (import name: what users call it)
PACKAGES = {'torch': 'torch', 'numpy': 'numpy', 'cv2': 'opencv',
            'PIL': 'Pillow', 'mmcv': 'mmcv', 'mmengine': 'mmengine',
            'mmseg': 'mmsegmentation'}


def run_environment() -> Dict[str, str]:
    """``{name: version}`` of this interpreter's stack, plus the CPU kernels
    torch uses and, with CUDA, the GPU, CUDA and cuDNN."""
    import torch
    env = {'python': platform.python_version(),
           'machine': platform.machine()}
    for module, name in PACKAGES.items():
        env[name] = str(importlib.import_module(module).__version__)
    env['torch cpu kernels'] = torch.backends.cpu.get_cpu_capability()
    if torch.cuda.is_available():
        env['gpu'] = torch.cuda.get_device_name(0)
        env['cuda'] = str(torch.version.cuda)
        env['cudnn'] = str(torch.backends.cudnn.version())
    return env


def python_environment(python: str = sys.executable) -> Dict[str, str]:
    """:func:`run_environment` of the interpreter ``python``: this one's,
    asked here, for this interpreter (as it names itself); another's, asked
    through a subprocess."""
    if python == sys.executable:
        return run_environment()
    out = subprocess.run(
        [python, '-m', 'studies.run_environment'], check=True,
        capture_output=True, text=True,
        cwd=osp.dirname(osp.dirname(osp.abspath(__file__)))).stdout
    # the last line: imports may print warnings before it
    return json.loads(out.strip().splitlines()[-1])


def environment_differences(a: Dict[str, str],
                            b: Dict[str, str]) -> Dict[str, Tuple[str, str]]:
    """``{name: (a's, b's)}`` for every entry the two environments do not
    share ('-' where one lacks it)."""
    return {k: (a.get(k, '-'), b.get(k, '-'))
            for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def differences_text(diff: Dict[str, Tuple[str, str]]) -> str:
    """``'name a != b; ...'`` of :func:`environment_differences`."""
    return '; '.join(f'{k} {a} != {b}' for k, (a, b) in diff.items())


if __name__ == '__main__':
    print(json.dumps(run_environment()))
