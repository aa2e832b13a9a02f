"""tools/gpu_smoke.py --cpu: the GPU script's own dry run passes every check
it can run without a GPU, on a small data set and benchmark."""
import re

from tests.conftest import run_tool


def test_gpu_smoke_dry_run_on_the_cpu(tmp_path):
    log = run_tool('tools/gpu_smoke.py', '--cpu', '--work-dir',
                   str(tmp_path / 'smoke'))
    assert re.search(r'summary: 7 passed, 0 failed, 2 skipped', log), log
    # the dry run's benchmark size
    assert 'PASS  tools/benchmark.py 128x128 vs twin' in log
