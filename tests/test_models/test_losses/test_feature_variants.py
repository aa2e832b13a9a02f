"""FitNet and Overhaul, the paper's ablations of the feature term."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from frskd_seg.models.losses import FitNetLoss, OverhaulLoss, bn_margin
from frskd_seg.models.necks import RefinedFeatures
from tests.conftest import build_model


def feats(seed, shapes):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(*s, generator=g) for s in shapes]


def test_bn_margin_by_hand():
    # E[x | x < 0] for x ~ N(m, s^2) = m - s * pdf(m/s) / cdf(-m/s)
    def reference(s, m):
        s = abs(s)
        cdf = 0.5 * (1 + math.erf(-m / s / math.sqrt(2)))
        if cdf <= 0.001:
            return -3 * s
        return m - s * math.exp(-(m / s)**2 / 2) / math.sqrt(2 * math.pi) / cdf

    weight = torch.tensor([1.0, 2.0, -0.5, 1.0])
    bias = torch.tensor([0.0, 1.0, -0.3, 5.0])
    expected = [reference(s, m) for s, m in zip(weight.tolist(),
                                                bias.tolist())]
    assert bn_margin(weight, bias).tolist() == pytest.approx(expected,
                                                             rel=1e-5)
    assert expected[0] == pytest.approx(-math.sqrt(2 / math.pi))


def test_fitnet_matches_reference():
    loss = FitNetLoss([3, 5], [4, 2], loss_weight=2.0).eval()
    fs = feats(0, [(2, 3, 4, 4), (2, 5, 2, 2)])
    ft = feats(1, [(2, 4, 4, 4), (2, 2, 2, 2)])
    reg = loss.regressors
    assert [type(m).__name__ for m in (reg[0].conv, reg[0].bn,
                                       reg[0].activate)] == [
                                           'Conv2d', 'BatchNorm2d', 'ReLU'
                                       ]
    with torch.no_grad():
        expected = 2.0 * sum(
            float(np.mean((r(s).numpy() - t.numpy())**2))
            for r, s, t in zip(reg, fs, ft))
    assert loss(fs, ft).item() == pytest.approx(expected, rel=1e-5)


def test_fitnet_teacher_detached_regressor_trained():
    loss = FitNetLoss([3], [4])
    fs = [feats(0, [(2, 3, 4, 4)])[0].requires_grad_()]
    ft = [feats(1, [(2, 4, 4, 4)])[0].requires_grad_()]
    loss(fs, ft).backward()
    assert fs[0].grad.abs().sum() > 0 and ft[0].grad is None
    assert loss.regressors[0].conv.weight.grad.abs().sum() > 0


def test_overhaul_matches_reference():
    torch.manual_seed(0)
    loss = OverhaulLoss([3, 2], [2, 2], loss_weight=0.5).eval()
    fs = feats(0, [(2, 3, 3, 3), (2, 2, 2, 2)])
    pre = feats(1, [(2, 2, 3, 3), (2, 2, 2, 2)])
    norms = [torch.nn.BatchNorm2d(2), torch.nn.BatchNorm2d(2)]
    norms[0].weight.data = torch.tensor([1.0, 2.0])
    norms[0].bias.data = torch.tensor([0.0, 1.0])
    expected = 0.0
    with torch.no_grad():
        for i, (conn, s, t, norm) in enumerate(zip(loss.connectors, fs, pre,
                                                   norms)):
            source = conn(s).numpy()
            margin = bn_margin(norm.weight, norm.bias).numpy()
            target = np.maximum(t.numpy(), margin[None, :, None, None])
            keep = (source > target) | (target > 0)
            expected += ((source - target)**2 * keep).sum() / 2 / 2**(1 - i)
    got = loss(fs, RefinedFeatures([F.relu(t) for t in pre], pre, norms))
    assert got.item() == pytest.approx(0.5 * expected, rel=1e-5)


def test_overhaul_margin_clips_the_teacher():
    loss = OverhaulLoss([1], [1]).eval()
    with torch.no_grad():
        loss.connectors[0][0].weight.fill_(1.0)  # identity connector
    norm = torch.nn.BatchNorm2d(1)  # margin -sqrt(2/pi) = -0.798
    s = torch.tensor([[[[-2.0, -0.5, 1.0]]]])
    t = torch.tensor([[[[-3.0, -3.0, 0.5]]]])
    # target = [-0.798, -0.798, 0.5]; keep where s > t or t > 0:
    # (-2 > -0.798) no, (-0.5 > -0.798) yes, t > 0 yes
    m = math.sqrt(2 / math.pi)
    # BN in eval mode with fresh statistics: y = x / sqrt(1 + eps)
    scale = 1 / math.sqrt(1 + 1e-5)
    expected = ((-0.5 * scale + m)**2 + (1.0 * scale - 0.5)**2)
    teacher = RefinedFeatures([F.relu(t)], [t], [norm])
    assert loss([s], teacher).item() == pytest.approx(expected, rel=1e-4)
    # plain maps carry no pre-activations
    with pytest.raises(ValueError, match='loss_overhaul: the teacher '
                       'features carry no pre-activations'):
        loss([s], [F.relu(t)])


@pytest.mark.parametrize('loss_feat, key, adapters', [
    (dict(type='FitNetLoss', loss_weight=1.0), 'distill.loss_fitnet',
     'regressors'),
    (dict(type='OverhaulLoss', loss_weight=1.0), 'distill.loss_overhaul',
     'connectors'),
])
def test_variants_in_the_segmentor(tiny_frskd_cfg, batch, loss_feat, key,
                                   adapters):
    tiny_frskd_cfg.loss_feat = loss_feat
    model = build_model(tiny_frskd_cfg)
    # channels filled in from the student (16..128) and self-teacher (4..32)
    first = getattr(model.loss_feat, adapters)[0]
    conv = first.conv if adapters == 'regressors' else first[0]
    assert (conv.in_channels, conv.out_channels) == (16, 4)
    losses = model.loss(*batch)
    assert key in losses and torch.isfinite(losses[key])
    model.zero_grad()
    losses[key].backward()
    assert conv.weight.grad.abs().sum() > 0
    assert all(p.grad is None or p.grad.abs().sum() == 0
               for p in model.self_teacher.parameters())  # target detached
    assert not any(k.startswith('loss_feat.')
                   for k in model.student_state_dict())


def test_adapters_stay_in_the_graph_during_warmup(tiny_frskd_cfg, batch,
                                                  message_hub):
    tiny_frskd_cfg.loss_feat = dict(type='FitNetLoss')
    tiny_frskd_cfg.distill_schedule = dict(type='DistillSchedule', warmup=10)
    model = build_model(tiny_frskd_cfg)
    message_hub.update_info('iter', 0)
    losses = model.loss(*batch)
    assert losses['distill.loss_fitnet'].item() == 0
    loss, _ = model.parse_losses(losses)
    loss.backward()
    assert all(p.grad is not None for p in model.loss_feat.parameters())


@pytest.mark.parametrize('loss_cls', [FitNetLoss, OverhaulLoss])
def test_channel_lists_must_pair_up(loss_cls):
    with pytest.raises(ValueError, match=r'student_channels \[1, 2\] and '
                       r'teacher_channels \[3\] differ in length'):
        loss_cls([1, 2], [3])


@pytest.mark.parametrize('loss_type', ['FitNetLoss', 'OverhaulLoss'])
def test_adapters_follow_the_configs_norm(tiny_frskd_cfg, loss_type):
    """In a multi-GPU config (SyncBN) the adapters' norm is SyncBN too
    (a single process turns SyncBN into BN, as for the rest of the model);
    an explicit norm_cfg of the loss wins."""
    tiny_frskd_cfg.self_teacher.norm_cfg = dict(type='SyncBN',
                                                requires_grad=True)
    tiny_frskd_cfg.loss_feat = dict(type=loss_type)
    model = build_model(tiny_frskd_cfg)
    norms = [m for m in model.loss_feat.modules()
             if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert norms and all(
        isinstance(m, torch.nn.SyncBatchNorm) for m in norms)

    tiny_frskd_cfg.loss_feat = dict(type=loss_type,
                                    norm_cfg=dict(type='BN'))
    model = build_model(tiny_frskd_cfg)
    assert not any(isinstance(m, torch.nn.SyncBatchNorm)
                   for m in model.loss_feat.modules())
