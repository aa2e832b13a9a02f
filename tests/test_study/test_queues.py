"""The study queues parse, and name only configs and tools that exist."""
import glob
import os.path as osp
import re
import subprocess

import pytest

from tests.conftest import REPO

QUEUES = sorted(glob.glob(osp.join(REPO, 'studies', 'queues', '*.sh')))


@pytest.mark.parametrize('queue', QUEUES, ids=osp.basename)
def test_a_queue_parses_and_its_files_exist(queue):
    assert subprocess.run(['bash', '-n', queue]).returncode == 0
    with open(queue) as f:
        text = f.read()
    for path in set(re.findall(r'\b((?:configs|tools)/[\w./-]+\.py)', text)):
        assert osp.isfile(osp.join(REPO, path)), path
