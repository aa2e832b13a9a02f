"""tools/pretrain_demo_backbone.py: the backbone weights alone, at pinned
threads, and a stopped pretraining resumed instead of restarted."""
import os
import os.path as osp

import torch

from tests.conftest import run_tool


def test_pretraining_writes_the_backbone_and_resumes(tmp_path):
    out = tmp_path / 'backbone.pth'
    args = ['tools/pretrain_demo_backbone.py', str(out), '--data-root',
            str(tmp_path / 'data'), '--work-dir', str(tmp_path / 'work'),
            '--images', '4', '--iters', '2', '--threads', '1']
    log = run_tool(*args)
    assert '--resume' not in log.split('pretraining:')[1].splitlines()[0]
    weights = torch.load(out, weights_only=True)
    state = weights.get('state_dict', weights)
    assert state and all(not k.startswith(('decode_head', 'auxiliary_head'))
                         for k in state)
    # as if stopped after its last checkpoint: run again, it resumes
    os.remove(out)
    log = run_tool(*args)
    assert '--resume' in log.split('pretraining:')[1].splitlines()[0]
    assert osp.isfile(out)
