"""save_backbone_weights: a backbone checkpoint that mmengine's Pretrained
initialisation loads into the demo student (and its twin)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from frskd_seg.apis.backbone_weights import save_backbone_weights
from tests.conftest import REPO, build_model

PRETRAINED_DEMO = osp.join(REPO, 'configs', 'demo',
                           'frskd_deeplab_r18_voc_demo_pretrained.py')


def test_backbone_round_trip_through_pretrained_init(tiny_baseline_cfg,
                                                     tmp_path):
    torch.manual_seed(1)
    source = build_model(tiny_baseline_cfg)
    source.init_weights()
    full = tmp_path / 'iter_2.pth'
    torch.save(dict(state_dict=source.state_dict(), meta=dict(iter=2)),
               full)
    out = tmp_path / 'backbone.pth'
    count = save_backbone_weights(str(full), str(out))

    saved = torch.load(out, weights_only=True)['state_dict']
    expected = {k[len('backbone.'):]: v
                for k, v in source.state_dict().items()
                if k.startswith('backbone.')}
    assert count == len(expected) == len(saved)
    assert all(torch.equal(saved[k], v) for k, v in expected.items())
    # the same weights written from another folder: the same bytes
    (tmp_path / 'elsewhere').mkdir()
    moved = tmp_path / 'elsewhere' / 'iter_2.pth'
    moved.write_bytes(full.read_bytes())
    again = tmp_path / 'elsewhere' / 'backbone.pth'
    save_backbone_weights(str(moved), str(again))
    assert again.read_bytes() == out.read_bytes()

    # the pretrained demo config's init_cfg, pointed at the file
    model_cfg = Config.fromfile(PRETRAINED_DEMO).model
    assert model_cfg.backbone.init_cfg.type == 'Pretrained'
    model_cfg.backbone.init_cfg.checkpoint = str(out)
    torch.manual_seed(2)
    student = build_model(model_cfg)
    student.init_weights()
    for key, value in student.backbone.state_dict().items():
        assert torch.equal(value, expected[key]), key
    # the rest is initialised as usual, not copied
    assert not torch.equal(student.decode_head.conv_seg.weight,
                           source.decode_head.conv_seg.weight)


def test_checkpoint_without_the_prefix_is_refused(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict=dict(w=torch.zeros(1))), path)
    with pytest.raises(ValueError, match="no weights under 'backbone.'"):
        save_backbone_weights(str(path), str(tmp_path / 'out.pth'))
