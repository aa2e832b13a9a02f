import pytest
import torch

from frskd_seg.models.utils import WeightedFusion


def test_fast_normalized_fusion_by_hand():
    fusion = WeightedFusion(3, eps=1e-6)
    fusion.weight.data = torch.tensor([2.0, -1.0, 1.0])
    a, b, c = torch.full((1, 1, 1, 1), 3.), torch.full(
        (1, 1, 1, 1), 5.), torch.full((1, 1, 1, 1), 4.)
    # relu(w) = [2, 0, 1], sum 3: (2 * 3 + 0 * 5 + 1 * 4) / 3
    assert fusion([a, b, c]).item() == pytest.approx(10 / (3 + 1e-6))
    assert torch.allclose(fusion.normalized_weights(),
                          torch.tensor([2, 0, 1]) / (3 + 1e-6))


def test_initial_weights_are_ones():
    assert torch.equal(WeightedFusion(2).weight, torch.ones(2))


def test_plain_sum():
    fusion = WeightedFusion(2, weighted=False)
    assert list(fusion.parameters()) == []
    x = torch.tensor([[[[1., 2.]]]])
    assert torch.equal(fusion([x, x]), torch.tensor([[[[2., 4.]]]]))


def test_errors():
    with pytest.raises(ValueError, match='num_inputs must be >= 2, got 1'):
        WeightedFusion(1)
    with pytest.raises(ValueError, match='expected 2 inputs to fuse, got 3'):
        WeightedFusion(2)([torch.zeros(1)] * 3)
