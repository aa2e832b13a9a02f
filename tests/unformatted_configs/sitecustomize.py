"""Run at the start of every Python process of the test suite (conftest.py
puts this folder first on PYTHONPATH, so the tools the tests start get it).

mmengine formats every config it dumps or logs with yapf: ~2 s a dump on
these CPUs, several per Runner, most of a short run's time. The suite rarely
reads that layout, so while ``FRSKD_TESTS_UNFORMATTED_CONFIGS=1`` (the one
switch, set by conftest.py) yapf's FormatCode returns the code as given
(valid Python, as mmengine writes it before formatting). A test that takes
the users' path unsets it (tests/test_tools/test_config_dump.py)."""
import os
import sys

SWITCH = 'FRSKD_TESTS_UNFORMATTED_CONFIGS'


def _as_given(unformatted_source, *args, **kwargs):
    return unformatted_source, False


def skip_yapf() -> None:
    """Make yapf's FormatCode return its input, here and in an mmengine
    already imported."""
    from yapf.yapflib import yapf_api
    yapf_api.FormatCode = _as_given
    config_module = sys.modules.get('mmengine.config.config')
    if config_module is not None:
        config_module.FormatCode = _as_given


if os.environ.get(SWITCH) == '1':
    skip_yapf()
