import logging

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader, load_checkpoint

import frskd_seg  # noqa: F401  (registers the loader)
from frskd_seg.utils import load_local_checkpoint


def test_mmengine_style_checkpoint_loads(tmp_path):
    path = str(tmp_path / 'runner.pth')
    buffer = HistoryBuffer()
    buffer.update(1.5)
    torch.save(
        dict(
            meta=dict(seed=np.int64(3), iter=10),
            state_dict=dict(w=torch.ones(2)),
            message_hub=dict(log_scalars=dict(loss=buffer))), path)
    with pytest.raises(Exception, match='Unsupported global'):
        torch.load(path)  # what mmengine 0.10.7 does under torch >= 2.6
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert ckpt['meta']['iter'] == 10
    assert ckpt['message_hub']['log_scalars']['loss'].current() == 1.5


def test_weights_only_file_is_not_unpickled_in_full(tmp_path, monkeypatch):
    path = str(tmp_path / 'weights.pth')
    torch.save(dict(state_dict=dict(w=torch.arange(3.))), path)
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get('weights_only'))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy)
    ckpt = load_local_checkpoint(path)
    assert calls == [True]
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(3.))


def test_load_checkpoint_into_a_model(tmp_path):
    model = torch.nn.Linear(2, 2)
    path = str(tmp_path / 'm.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict(
        history=HistoryBuffer())), path)
    other = torch.nn.Linear(2, 2)
    load_checkpoint(other, path, map_location='cpu',
                    logger=logging.getLogger('test'))
    assert torch.equal(other.weight, model.weight)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth can not be found'):
        load_local_checkpoint(str(tmp_path / 'nope.pth'))


def test_torch_default_is_left_alone(tmp_path):
    path = str(tmp_path / 'obj.pth')
    torch.save(dict(h=HistoryBuffer()), path)
    with pytest.raises(Exception, match='Unsupported global'):
        torch.load(path)
