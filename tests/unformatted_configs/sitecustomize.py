"""Run at the start of every Python process of the test suite (conftest.py
puts this folder first on PYTHONPATH, so the tools the tests start get it).

mmengine formats every config it dumps or logs with yapf: ~2 s a dump on
these CPUs, several per Runner, most of a short run's time. The suite never
reads that layout, so yapf's FormatCode returns the code as given (valid
Python, as mmengine writes it before formatting)."""
from yapf.yapflib import yapf_api


def _as_given(unformatted_source, *args, **kwargs):
    return unformatted_source, False


yapf_api.FormatCode = _as_given
