"""The config-dump path users take, with yapf on: the rest of the suite
dumps configs unformatted (tests/unformatted_configs/sitecustomize.py)."""
import os
import re
import subprocess
import sys

from mmengine.config import Config

from tests.conftest import DEMO_CONFIG, HANG_TIMEOUT, REPO, SHORT_RUN
from tests.unformatted_configs.sitecustomize import SWITCH


def test_training_dumps_its_config_formatted(synthetic_voc, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != SWITCH}
    env['CUDA_VISIBLE_DEVICES'] = ''
    # a real interpreter: the fork server runs with the switch on
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', DEMO_CONFIG, '--work-dir',
         str(tmp_path), '--data-root', synthetic_voc, '--cfg-options',
         *SHORT_RUN, 'train_cfg.max_iters=2', 'train_cfg.val_interval=2'],
        cwd=REPO, env=env, capture_output=True, text=True,
        timeout=HANG_TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    dumped = tmp_path / 'frskd_deeplab_r18_voc_demo.py'
    text = dumped.read_text()
    # yapf's layout (`key = value` at the top level), not mmengine's
    # unformatted `key=value`
    assert re.search(r'^model = dict\($', text, re.M), text[:500]
    assert not re.search(r'^\w+=', text, re.M)
    cfg = Config.fromfile(str(dumped))
    assert cfg.model.type == 'FRSKDEncoderDecoder'
    assert cfg.train_cfg.max_iters == 2
    assert (tmp_path / 'iter_2.pth').is_file() or \
        'iter_2' in (tmp_path / 'last_checkpoint').read_text()
