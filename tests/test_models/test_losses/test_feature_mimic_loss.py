"""Feature mimicking through a connector, against a hand-computed
reference."""
import numpy as np
import pytest
import torch

from frskd_seg.models.losses import FeatureMimicLoss
from frskd_seg.utils.errors import ConfigError


def feats(seed, shapes):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(*s, generator=g) for s in shapes]


def test_matches_hand_computed():
    # student levels: (3 ch, 4x4), (5 ch, 2x2); teacher: (4 ch, 4x4), (2 ch)
    loss = FeatureMimicLoss([3, 5], [4, 2], loss_weight=2.0)
    fs = feats(0, [(2, 3, 4, 4), (2, 5, 2, 2)])
    ft = feats(1, [(2, 4, 4, 4), (2, 2, 2, 2)])
    w = loss.connector.weight.detach().numpy()[:, :, 0, 0]  # (4, 5)
    b = loss.connector.bias.detach().numpy()
    s, t = fs[1].numpy(), ft[0].numpy()
    total = 0.0
    for n in range(2):
        for c in range(4):
            for y in range(2):
                for x in range(2):
                    mimic = sum(w[c, k] * s[n, k, y, x]
                                for k in range(5)) + b[c]
                    target = np.mean(t[n, c, 2 * y:2 * y + 2,
                                       2 * x:2 * x + 2])
                    total += (mimic - target)**2
    expected = 2.0 * total / (2 * 4 * 2 * 2)
    assert loss(fs, ft).item() == pytest.approx(expected, rel=1e-5)


def test_teacher_detached_connector_and_student_trained():
    loss = FeatureMimicLoss([3], [4])
    fs = [feats(0, [(2, 3, 2, 2)])[0].requires_grad_()]
    ft = [feats(1, [(2, 4, 4, 4)])[0].requires_grad_()]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(fs, ft)
    assert value.dtype == torch.float32
    value.backward()
    assert fs[0].grad.abs().sum() > 0 and ft[0].grad is None
    assert loss.connector.weight.grad.abs().sum() > 0


def test_bad_levels_and_sizes_named():
    with pytest.raises(ConfigError, match='student_level=2 is out of range '
                       r'for 2 levels \(channels \[3, 5\]\)'):
        FeatureMimicLoss([3, 5], [4], student_level=2)
    with pytest.raises(ConfigError, match='teacher_level=-2 is out of range'):
        FeatureMimicLoss([3], [4], teacher_level=-2)
    loss = FeatureMimicLoss([3], [4])
    with pytest.raises(ValueError, match=r'teacher map \(2, 4, 1, 1\) must '
                       'have the batch of the student map'):
        loss(feats(0, [(2, 3, 2, 2)]), feats(1, [(2, 4, 1, 1)]))
