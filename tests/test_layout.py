"""The package's shape: the library never imports the study instrument, no
module grows past 400 lines, and the segmentor stays lean."""
import glob
import os.path as osp
import re
import subprocess
import sys

from frskd_seg.models.segmentors import FRSKDMixin
from frskd_seg.models.segmentors.argument_checks import frskd_keys
from tests.conftest import HANG_TIMEOUT, REPO

PACKAGE = osp.join(REPO, 'frskd_seg')


def test_the_library_never_imports_the_study():
    code = ('import sys, frskd_seg, frskd_seg.cli.train, frskd_seg.cli.test, '
            'frskd_seg.apis, frskd_seg.analysis, frskd_seg.visualization, '
            'frskd_seg.datasets; '
            "print([m for m in sys.modules if m.split('.')[0] == 'studies'])")
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, text=True,
                         capture_output=True, timeout=HANG_TIMEOUT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == '[]'
    for path in glob.glob(osp.join(PACKAGE, '**', '*.py'), recursive=True):
        with open(path) as f:
            text = f.read()
        assert 'import studies' not in text and 'from studies' not in \
            text, path
    # nor do the library's tests: only the instrument's own import it
    tests = osp.join(REPO, 'tests')
    for path in glob.glob(osp.join(tests, '**', '*.py'), recursive=True):
        if osp.relpath(path, tests).startswith('test_study') or \
                path == __file__:
            continue
        with open(path) as f:
            text = f.read()
        assert 'import studies' not in text and 'from studies' not in \
            text, path


def test_modules_are_small_and_the_segmentor_lean():
    sizes = {}
    for path in glob.glob(osp.join(PACKAGE, '**', '*.py'), recursive=True):
        with open(path) as f:
            sizes[osp.relpath(path, REPO)] = len(f.read().splitlines())
    assert {p: n for p, n in sizes.items() if n > 400} == {}
    assert sizes['frskd_seg/models/segmentors/frskd_mixin.py'] <= 200
    assert sum(n for p, n in sizes.items()
               if p.startswith('frskd_seg/models/segmentors/')) <= 1300
    assert len(frskd_keys(FRSKDMixin)) <= 8


def test_the_segmentor_builds_what_it_owns_in_its_own_init():
    """No module sets the segmentor's attributes from outside: each of its
    modules is assigned in FRSKDMixin.__init__, where a reader sees it."""
    assignment = re.compile(r'^\s*segmentor\.\w+(\s*,.*)?\s*=[^=]|'
                            r'setattr\(segmentor\b')
    segmentors = osp.join(PACKAGE, 'models', 'segmentors')
    for path in glob.glob(osp.join(segmentors, '*.py')):
        with open(path) as f:
            for number, line in enumerate(f, 1):
                assert not assignment.search(line), f'{path}:{number}'
