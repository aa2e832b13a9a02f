"""The suite's fork server runs a tool as a fresh process would: atexit
handlers run, and a timeout ends the tool's own child processes too."""
import subprocess
import time

import pytest

from tests.conftest import run_python

SCRIPT = '''
import atexit, subprocess, sys, time
atexit.register(lambda: open(sys.argv[1] + '.atexit', 'w').close())
child = subprocess.Popen(
    [sys.executable, '-c', 'import time; time.sleep(120)'])
with open(sys.argv[1], 'w') as f:
    f.write(str(child.pid))
time.sleep(float(sys.argv[2]))
'''


def _alive(pid: int) -> bool:
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split()[2] != 'Z'
    except FileNotFoundError:
        return False


def test_atexit_handlers_run(tmp_path):
    script = tmp_path / 'tool.py'
    script.write_text(SCRIPT.replace('time.sleep(120)', 'pass'))
    proc = run_python(str(script), str(tmp_path / 'pid'), '0')
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / 'pid.atexit').is_file()


def test_a_timeout_kills_the_tools_children_too(tmp_path):
    script = tmp_path / 'tool.py'
    script.write_text(SCRIPT)
    with pytest.raises(subprocess.TimeoutExpired):
        run_python(str(script), str(tmp_path / 'pid'), '60', timeout=5)
    pid = int((tmp_path / 'pid').read_text())
    deadline = time.time() + 10
    while _alive(pid) and time.time() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)
    # and the server serves the next run
    ok = tmp_path / 'ok.py'
    ok.write_text('print("ok")')
    assert run_python(str(ok)).stdout == 'ok\n'
