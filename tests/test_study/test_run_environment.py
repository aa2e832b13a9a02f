"""The environment a run records: this interpreter's stack and torch's CPU
kernels, the same when asked through a subprocess, and the differences of
two named entry by entry."""
import os.path as osp
import sys

import cv2
import numpy as np
import torch

from studies.run_environment import (differences_text,
                                     environment_differences,
                                     python_environment,
                                     run_environment)


def test_this_interpreters_stack_and_kernels():
    env = run_environment()
    assert env['torch'] == torch.__version__
    assert env['numpy'] == np.__version__
    assert env['opencv'] == cv2.__version__
    assert env['torch cpu kernels'] == (
        torch.backends.cpu.get_cpu_capability())
    assert {'python', 'machine', 'Pillow', 'mmcv', 'mmengine',
            'mmsegmentation'} <= set(env)
    assert all(isinstance(v, str) for v in env.values())


def test_asked_of_an_interpreter_through_a_subprocess():
    # the same interpreter under another name is asked through a subprocess
    other_name = osp.join(osp.dirname(sys.executable), '.',
                          osp.basename(sys.executable))
    assert python_environment(other_name) == run_environment()
    assert python_environment(sys.executable) == run_environment()


def test_differences_entry_by_entry():
    a = {'torch': '2.13.0', 'torch cpu kernels': 'AVX2', 'numpy': '2.4.6'}
    b = {'torch': '2.13.0', 'torch cpu kernels': 'AVX512', 'gpu': 'H200'}
    diff = environment_differences(a, b)
    assert diff == {'gpu': ('-', 'H200'), 'numpy': ('2.4.6', '-'),
                    'torch cpu kernels': ('AVX2', 'AVX512')}
    assert differences_text(diff) == (
        'gpu - != H200; numpy 2.4.6 != -; torch cpu kernels AVX2 != AVX512')
    assert environment_differences(a, dict(a)) == {}
