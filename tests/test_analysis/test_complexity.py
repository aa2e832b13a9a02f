import pytest
import torch
from mmengine.analysis import FlopAnalyzer

from frskd_seg.analysis import frskd_complexity
from tests.conftest import build_model


def flops(module, inputs):
    return FlopAnalyzer(module, inputs).total()


def test_parts_add_up(tiny_frskd_cfg):
    model = build_model(tiny_frskd_cfg).eval()
    report = frskd_complexity(model, (1, 3, 64, 64))
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa
    assert report.params['self_teacher'] == count(model.self_teacher)
    assert report.params['teacher_head'] == count(model.teacher_head)
    assert report.params['student'] + report.params['auxiliary_head'] + \
        report.params['self_teacher+teacher_head'] == count(model)

    image = torch.zeros(1, 3, 64, 64)
    with torch.no_grad():
        feats = model.extract_feat(image)
    assert report.flops['student'] == flops(model.backbone, (image, )) + \
        flops(model.decode_head, (list(feats), ))
    assert report.flops['self_teacher'] == flops(model.self_teacher,
                                                 (list(feats), ))
    assert report.flops['teacher_head'] > 0
    p, f = report.ratio('self_teacher+teacher_head')
    assert p == pytest.approx(report.params['self_teacher+teacher_head'] /
                              report.params['student'])
    assert 'self-teacher / student' in report.table()
