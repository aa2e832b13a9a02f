import pytest
import torch
from mmengine.analysis import FlopAnalyzer

from frskd_seg.analysis import frskd_complexity
from tests.conftest import DEVICES, build_model


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


@pytest.mark.parametrize('device', DEVICES)
def test_counts_a_model_where_its_weights_are(tiny_frskd_cfg, device):
    """tools/benchmark.py counts models it has moved to the GPU."""
    cpu = frskd_complexity(build_model(tiny_frskd_cfg).eval(),
                           (1, 3, 64, 64))
    model = build_model(tiny_frskd_cfg).to(device).eval()
    report = frskd_complexity(model, (1, 3, 64, 64))
    assert report.flops == cpu.flops and report.params == cpu.params


def test_inputs_follow_the_model_device(tiny_frskd_cfg, monkeypatch):
    """Without a GPU: a model on another device ('meta') must get its
    inputs there (with CPU inputs its first conv refuses them)."""
    import frskd_seg.analysis.complexity as complexity
    seen = []
    monkeypatch.setattr(complexity, '_flops',
                        lambda module, inputs: seen.append(inputs) or 0)
    model = build_model(tiny_frskd_cfg).to('meta').eval()
    frskd_complexity(model, (1, 3, 64, 64))
    assert seen and all(t.device.type == 'meta' for inputs in seen
                        for t in inputs if isinstance(t, torch.Tensor))


def test_a_head_on_t1_counts_positive_and_the_whole_self_teacher(
        tiny_decoder_cfg):
    """The default head reads T1 only: a trace of self-teacher + head prunes
    the bottom-up path, so each part is counted on its own inputs (the
    difference of the two traces went negative)."""
    model = build_model(tiny_decoder_cfg).eval()
    report = frskd_complexity(model, (1, 3, 64, 64))
    with torch.no_grad():
        _, reads = model.student_forward(
            model.extract_feat(torch.zeros(1, 3, 64, 64)))
        refined = list(model.self_teacher(list(reads)))
    t1 = refined[0]
    # a 1x1 conv from T1's channels to the classes, at T1's size
    assert report.flops['teacher_head'] == t1.shape[1] * \
        model.teacher_head.num_classes * t1.shape[2] * t1.shape[3]
    assert report.flops['self_teacher+teacher_head'] == \
        report.flops['self_teacher'] + report.flops['teacher_head']
    assert all(v >= 0 for v in report.flops.values())
