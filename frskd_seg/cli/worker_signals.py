"""Data-loader workers that a signal to the whole process group does not
kill: a scheduler's pre-emption (``scancel``, ``kill -TERM -PGID``) and
Ctrl-C reach the workers too, and a worker killed by them makes the main
process fail ("DataLoader worker ... is killed by signal") before
:class:`GracefulStopHook` writes its checkpoint."""
import atexit
import multiprocessing
import os
import signal


class StopSignalsToMain:
    """A ``worker_init_fn`` wrapper: each worker ignores SIGINT, and SIGTERM
    until the main process exits -- then SIGTERM ends it, as
    ``multiprocessing`` ends daemonic children at exit. The main process
    decides when training stops; its workers follow.

    Args:
        init_fn (callable, optional): The loader's own ``worker_init_fn``
            (mmengine's seeding), called after.
    """

    def __init__(self, init_fn=None):
        self.init_fn = init_fn
        # forked (or pickled into spawned) workers share it; set at exit,
        # before multiprocessing terminates and joins them (atexit runs in
        # reverse order of registration)
        self.exiting = multiprocessing.Event()
        atexit.register(self.exiting.set)

    def __call__(self, worker_id: int) -> None:
        exiting = self.exiting

        def on_sigterm(signum, frame):
            if exiting.is_set():
                os._exit(0)

        signal.signal(signal.SIGTERM, on_sigterm)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if self.init_fn is not None:
            self.init_fn(worker_id)
