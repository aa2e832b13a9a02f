"""Every shipped FRSKD config builds, trains a step and predicts on CPU,
and its student predicts exactly like its baseline twin holding the same
weights."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm

from frskd_seg.models.segmentors import FRSKDEncoderDecoder
from mmseg.models.segmentors import EncoderDecoder
from tests.conftest import REPO, build_model, make_batch

ZOO = osp.join(REPO, 'configs', 'zoo')
FRSKD_CONFIGS = sorted(glob.glob(osp.join(ZOO, 'frskd_*.py')))


def build(path):
    cfg = Config.fromfile(path).model
    cfg.pretrained = None
    cfg.backbone.init_cfg = None
    return revert_sync_batchnorm(build_model(cfg))


def test_every_frskd_config_has_a_twin():
    assert len(FRSKD_CONFIGS) == 8
    for path in FRSKD_CONFIGS:
        twin = osp.join(ZOO, osp.basename(path)[len('frskd_'):])
        assert osp.isfile(twin), twin


@pytest.mark.parametrize('path', FRSKD_CONFIGS, ids=osp.basename)
def test_train_step_predict_and_twin_equality(path):
    torch.manual_seed(0)
    model = build(path)
    assert isinstance(model, FRSKDEncoderDecoder)
    inputs, samples = make_batch(batch_size=2, size=64)
    losses = model.loss(inputs, samples)
    assert {'decode.loss_ce', 'teacher.loss_ce', 'distill.loss_kd',
            'distill.loss_at'} <= set(losses)  # the recipe: both losses
    loss, _ = model.parse_losses(losses)
    loss.backward()
    # the self-teacher's CE trains every parameter of it: with its head on
    # T1 (the shipped recipe) it is top-down only, and nothing is frozen
    assert model.self_teacher.top_down_only
    for name, p in model.self_teacher.named_parameters():
        assert p.requires_grad and p.grad is not None, name
    assert torch.isfinite(loss)

    model.eval()
    twin = build(osp.join(ZOO, osp.basename(path)[len('frskd_'):])).eval()
    assert type(twin) is EncoderDecoder
    twin.load_state_dict(model.student_state_dict(), strict=True)
    test_inputs, test_samples = make_batch(batch_size=1, size=64, seed=5)
    with torch.no_grad():
        ours = model.predict(test_inputs, test_samples)[0]
        theirs = twin.predict(test_inputs,
                              make_batch(batch_size=1, size=64, seed=5)[1])[0]
    assert ours.seg_logits.data.shape[-2:] == (64, 64)
    assert torch.equal(ours.seg_logits.data, theirs.seg_logits.data)
