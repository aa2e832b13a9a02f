"""Run ``python tools/...`` for the suite from a process that has already
imported the third-party stack every tool imports.

A fresh interpreter spends ~5.5 s of CPU importing torch, mmengine, mmcv and
mmseg before a tool's first line; the suite runs tools a few dozen times, so
it paid minutes for imports alone. The server (this file run as a script)
imports that stack once per pytest worker and forks one child per tool run.
The child is a fresh process in every other respect: its own working
directory, environment, ``sys.argv``, ``sys.path[0]`` (the script's folder),
stdin from /dev/null, stdout/stderr to files, exit code, atexit handlers --
and it imports ``frskd_seg`` itself, so a tool that forgets an import still
fails as it would for a user. Runs that need a real interpreter (a bash
script, torchrun, a signal sent to a streaming process) use subprocess.
"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile

#: what every tool imports anyway (not frskd_seg: each child imports it)
PRELOADED = ('torch', 'mmengine.runner', 'mmseg.datasets', 'mmseg.models')


def _child(request: dict) -> None:
    """Become ``python argv...`` in ``cwd`` with ``env``, in a process group
    of its own (its loader workers included, so a timeout kills them all);
    ends with a normal interpreter exit, which runs the atexit handlers as
    any process does."""
    import runpy
    import traceback
    rc = 1
    try:
        os.setpgid(0, 0)
        os.chdir(request['cwd'])
        os.environ.clear()
        os.environ.update(request['env'])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request['stdout']), (2, request['stderr'])):
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, fd)
            os.close(out)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, 'w', buffering=1, closefd=False)
        sys.stderr = open(2, 'w', buffering=1, closefd=False)
        script = os.path.abspath(request['argv'][0])
        sys.argv = list(request['argv'])
        sys.path[0] = os.path.dirname(script)
        runpy.run_path(script, run_name='__main__')
        rc = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            rc = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 -- as the interpreter does
        traceback.print_exc()
    # unwinds serve() in this child: the interpreter exits with rc
    raise SystemExit(rc)


def serve() -> None:
    """Read one JSON request per line on stdin; for each, fork a child and
    answer ``{"pid": ...}`` at once and ``{"rc": ...}`` when it ends."""
    import importlib
    for name in PRELOADED:
        importlib.import_module(name)
    reply = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        try:  # also here: the client may kill the group before the child
            os.setpgid(pid, pid)  # has made it
        except OSError:  # the child already has (or has ended)
            pass
        reply.write(json.dumps(dict(pid=pid)) + '\n')
        reply.flush()
        _, status = os.waitpid(pid, 0)
        reply.write(json.dumps(dict(rc=os.waitstatus_to_exitcode(status))) +
                    '\n')
        reply.flush()


class ForkServer:
    """The client: ``run(args, cwd, env, timeout)`` ~ ``subprocess.run(
    [python, *args], ..., capture_output=True, text=True)``. One server per
    pytest worker, started at the first run with that worker's
    environment."""

    def __init__(self):
        self._proc = None
        self._buffer = b''

    def _start(self):
        self._proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        self._buffer = b''

    def _read(self, timeout):
        # raw reads: a buffered reader could hold the second answer while
        # select() waits on an empty pipe
        fd = self._proc.stdout.fileno()
        while b'\n' not in self._buffer:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError('the fork server ended unexpectedly (rc '
                                   f'{self._proc.wait()})')
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b'\n', 1)
        return json.loads(line)

    def run(self, args, cwd, env, timeout):
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        with tempfile.TemporaryDirectory() as tmp:
            out, err = os.path.join(tmp, 'stdout'), os.path.join(tmp, 'err')
            self._proc.stdin.write((json.dumps(dict(
                argv=[str(a) for a in args], cwd=str(cwd), env=dict(env),
                stdout=out, stderr=err)) + '\n').encode())
            pid = self._read(None)['pid']
            done = self._read(timeout)
            if done is None:
                os.killpg(pid, signal.SIGKILL)  # its workers too
                self._read(None)
                raise subprocess.TimeoutExpired(args, timeout)
            with open(out) as f_out, open(err) as f_err:
                return subprocess.CompletedProcess(
                    [sys.executable, *args], done['rc'], f_out.read(),
                    f_err.read())

    def close(self):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.wait(timeout=60)


if __name__ == '__main__':
    serve()
