"""A checkpoint an earlier version saved still loads, strictly, and the
model computes what it computed then (tests/fixtures/frskd_tiny_cd21845.pt:
a tiny FRSKD model saved at cd21845 with its student's and self-teacher's
logits on a fixed input)."""
import os.path as osp

import torch
from mmengine.runner import load_checkpoint

from tests.conftest import DEMO_CONFIG, build_model, load_config

SAVED = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))), 'fixtures', 'frskd_tiny_cd21845.pt')


def tiny_model_cfg():
    """The model the checkpoint was saved from: the demo's, narrower."""
    cfg = load_config(DEMO_CONFIG).model
    cfg.backbone.update(stem_channels=8, base_channels=4)
    cfg.decode_head.update(in_channels=32, channels=8)
    cfg.auxiliary_head.update(in_channels=16, channels=4)
    cfg.data_preprocessor.size = (32, 32)
    cfg.evaluate_teacher = True
    return cfg


def test_a_checkpoint_saved_before_loads_and_computes_the_same():
    model = build_model(tiny_model_cfg())
    load_checkpoint(model, SAVED, map_location='cpu', strict=True)
    saved = torch.load(SAVED, weights_only=True)
    model.eval()
    inputs = torch.rand(1, 3, 32, 32,
                        generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        student, reads = model.student_forward(model.extract_feat(inputs))
        teacher, _ = model.teacher_forward(reads)
    assert torch.equal(student, saved['student_logits'])
    assert torch.equal(teacher, saved['teacher_logits'])
