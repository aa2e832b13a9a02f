import numpy as np
import pytest
import torch

from frskd_seg.models.losses import AttentionTransferLoss, spatial_attention


def reference_attention(f, p=2.0):
    f = np.asarray(f, dtype=np.float64)
    a = (np.abs(f)**p).mean(axis=1).reshape(f.shape[0], -1)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def reference_at(fs, ft, p=2.0):
    return float(((reference_attention(fs, p) -
                   reference_attention(ft, p))**2).mean())


def feat(seed, shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def test_attention_map_by_hand():
    # one sample, 2 channels, 1x2 positions: mean_c f^2 = [(1+9)/2, (4+0)/2]
    f = torch.tensor([[[[1., 2.]], [[3., 0.]]]])
    a = spatial_attention(f)
    expected = torch.tensor([[5., 2.]]) / (25 + 4)**0.5
    assert torch.allclose(a, expected)


@pytest.mark.parametrize('p', [2.0, 1.0, 3.0])
def test_single_level_matches_reference(p):
    fs, ft = feat(0, (2, 3, 4, 5)), feat(1, (2, 7, 4, 5))  # channels differ
    loss = AttentionTransferLoss(p=p, loss_weight=1.0)(fs, ft)
    assert loss.item() == pytest.approx(reference_at(fs, ft, p), rel=1e-5)


def test_levels_are_summed_and_weighted():
    shapes_s = [(2, 4, 8, 8), (2, 8, 4, 4), (2, 16, 4, 4)]
    shapes_t = [(2, 2, 8, 8), (2, 4, 4, 4), (2, 3, 4, 4)]
    fs = [feat(i, s) for i, s in enumerate(shapes_s)]
    ft = [feat(10 + i, s) for i, s in enumerate(shapes_t)]
    expected = 50.0 * sum(reference_at(a, b) for a, b in zip(fs, ft))
    loss = AttentionTransferLoss(loss_weight=50.0)(fs, ft)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_mean_form_shrinks_with_resolution():
    # the official form averages over positions: tiling the same maps 2x2
    # halves each normalised attention value and keeps the mean over the 4x
    # positions, so the loss is 4x smaller -- kept on purpose
    # (docs/method.md, Losses)
    fs, ft = feat(0, (1, 2, 4, 4)), feat(1, (1, 2, 4, 4))
    small = AttentionTransferLoss()(fs, ft)
    large = AttentionTransferLoss()(fs.repeat(1, 1, 2, 2),
                                    ft.repeat(1, 1, 2, 2))
    assert large.item() == pytest.approx(small.item() / 4, rel=1e-5)


def test_teacher_side_is_detached():
    fs = feat(0, (2, 3, 4, 4)).requires_grad_()
    ft = feat(1, (2, 3, 4, 4)).requires_grad_()
    AttentionTransferLoss()([fs], [ft]).backward()
    assert fs.grad.abs().sum() > 0
    assert ft.grad is None


@pytest.mark.parametrize('p', [2.0, 1.0, 3.0])
def test_finite_gradients_where_features_are_zero(p):
    # post-ReLU features are often 0 over all channels at a position
    fs = feat(0, (2, 4, 3, 3)).relu()
    fs[:, :, 0, 0] = 0
    fs.requires_grad_()
    AttentionTransferLoss(p=p)(fs, feat(1, (2, 4, 3, 3))).backward()
    assert torch.isfinite(fs.grad).all()
    assert fs.grad[:, :, 0, 0].abs().sum() == 0


def test_float32_under_bf16_autocast():
    fs, ft = feat(0, (2, 3, 4, 4)), feat(1, (2, 3, 4, 4))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = AttentionTransferLoss()(fs.bfloat16(), ft.bfloat16())
    assert loss.dtype == torch.float32


def test_errors_name_the_bad_values():
    with pytest.raises(ValueError, match='p must be a number > 0, got 0'):
        AttentionTransferLoss(p=0)
    with pytest.raises(ValueError, match='loss_weight must be .* got -2'):
        AttentionTransferLoss(loss_weight=-2)
    with pytest.raises(ValueError, match='loss_at: got 2 student and 1 '
                       'teacher feature maps'):
        AttentionTransferLoss()([feat(0, (1, 2, 4, 4))] * 2,
                                [feat(1, (1, 2, 4, 4))])
    with pytest.raises(ValueError, match=r'level 0 .*\(1, 2, 4, 4\).*'
                       r'\(1, 2, 2, 2\)'):
        AttentionTransferLoss()(feat(0, (1, 2, 4, 4)), feat(1, (1, 2, 2, 2)))


@pytest.mark.parametrize('p', [2.0, 1.0, 3.0])
@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_half_precision_levels_keep_no_float32_copy(dtype, p):
    """Under AMP the student levels arrive in half precision: the loss must
    equal the float32 computation on the same values, without saving a
    float32 copy of a (B, C, H, W) level for backward."""
    fs = feat(0, (2, 8, 6, 6)).to(dtype).requires_grad_()
    ft = feat(1, (2, 8, 6, 6)).to(dtype)
    saved = []

    def pack(t):
        saved.append((t.dtype, tuple(t.shape)))
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = AttentionTransferLoss(p=p)(fs, ft)
    assert (torch.float32, (2, 8, 6, 6)) not in saved, saved
    loss.backward()

    fs32 = fs.detach().float().requires_grad_()
    reference = AttentionTransferLoss(p=p)(fs32, ft.float())
    reference.backward()
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(reference.item(), rel=1e-4)
    torch.testing.assert_close(fs.grad.float(), fs32.grad.to(dtype).float(),
                               rtol=2e-2, atol=1e-5)
