"""The shipped recipe outside any Runner: ``model.loss()`` / ``backward()``
in a plain PyTorch loop, in a fresh process with no MessageHub set up: it
must be told where training stands."""
import math
import subprocess
import sys

import pytest

from tests.conftest import DEMO_CONFIG, HANG_TIMEOUT, REPO

SCRIPT = f'''
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmseg.registry import MODELS
from mmseg.utils import register_all_modules
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
import frskd_seg

register_all_modules()
assert MessageHub.get_current_instance().get_info('max_iters') is None
cfg = Config.fromfile({DEMO_CONFIG!r})
model = MODELS.build(cfg.model)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
torch.manual_seed(0)
inputs = torch.randn(2, 3, 64, 64)
samples = []
for _ in range(2):
    sample = SegDataSample(metainfo=dict(img_shape=(64, 64)))
    sample.gt_sem_seg = PixelData(data=torch.randint(0, 21, (1, 64, 64)))
    samples.append(sample)
try:  # nothing told the model where training stands
    model.loss(inputs, samples)
except RuntimeError as error:
    print('refused:', error)
for it in range(28, 30):  # a loop of one's own sets the step of its run
    model.distill_schedule.set_progress(it, 30)
    losses = model.loss(inputs, samples)
    loss, _ = model.parse_losses(losses)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print('step', it, sorted(losses), float(losses['distill.weight']))
model.distill_schedule.set_progress(0, 30)
print('warm-up', float(model.loss(inputs, samples)['distill.weight']))
'''


def test_the_shipped_recipe_trains_in_a_plain_loop(tmp_path):
    script = tmp_path / 'plain_loop.py'
    script.write_text(SCRIPT)
    proc = subprocess.run([sys.executable, str(script)], cwd=REPO,
                          capture_output=True, text=True, timeout=HANG_TIMEOUT,
                          env={'PYTHONPATH': REPO, 'OMP_NUM_THREADS': '1',
                               'PATH': '/usr/bin:/bin'})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    steps = [line for line in proc.stdout.splitlines()
             if line.startswith('step')]
    assert len(steps) == 2
    for line in steps:
        assert "'distill.loss_at'" in line and "'teacher.loss_ce'" in line
        assert "'decode.loss_ce'" in line
    # the sigmoid ramp of a 30-iteration run: w at 28 and 29 of 20 + 10
    assert [float(line.split()[-1]) for line in steps] == pytest.approx(
        [math.exp(-5 * 0.2**2), math.exp(-5 * 0.1**2)], rel=1e-6)
    assert 'warm-up 0.0' in proc.stdout
    assert 'refused: the distillation schedule' in proc.stdout
    assert 'set_progress(iter, max_iters)' in proc.stdout
    # said once: the recipe at build, where the weights read the step
    assert out.count('FRSKD recipe (FRSKDEncoderDecoder):') == 1
    assert out.count('reading the step from the step set by '
                     'set_progress') == 1
