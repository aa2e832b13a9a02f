import weakref

import pytest
import torch
import torch.nn.functional as F

from frskd_seg.models.necks import RefinedFeatures, SelfTeacherNeck
from frskd_seg.models.necks.self_teacher_neck import default_finest_width
from frskd_seg.models.utils import resize_to

CHANNELS = [8, 16, 32, 64]


def feats(channels, sizes, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.randn(batch, c, *s, generator=g) for c, s in zip(channels, sizes)
    ]


@pytest.mark.parametrize('sizes', [
    [(128, 128), (64, 64), (64, 64), (64, 64)],  # ResNet-D8 on a 512 crop
    [(32, 32), (16, 16), (8, 8), (4, 4)],  # halving pyramid
    [(33, 45), (17, 23), (9, 12), (5, 6)],  # odd crops, "same" halving
    [(97, 97), (49, 49), (49, 49), (49, 49)],  # D8 on a 769 crop
    [(30, 30), (12, 12), (7, 7), (3, 3)],  # irregular ratios
])
def test_every_level_keeps_its_input_size(sizes):
    neck = SelfTeacherNeck(CHANNELS, out_channels=[4, 6, 8, 10])
    outs = neck(feats(CHANNELS, sizes))
    assert [tuple(o.shape) for o in outs] == [
        (2, c, *s) for c, s in zip([4, 6, 8, 10], sizes)
    ]
    assert all((o >= 0).all() for o in outs)  # outputs are ReLU(T_i)


def test_two_levels():
    neck = SelfTeacherNeck([8, 16], out_channels=4)
    outs = neck(feats([8, 16], [(9, 9), (5, 5)]))
    assert [tuple(o.shape) for o in outs] == [(2, 4, 9, 9), (2, 4, 5, 5)]
    assert len(neck.up_fusions) == 1 and len(neck.down_fusions) == 1


def test_width_ratio_and_explicit_widths():
    # default: max(32, c_1 / 2) on the finest level, the student's ratios
    # between levels: the CPU demo's student (2 x) and ResNet-50-D8 (0.5 x)
    assert SelfTeacherNeck(CHANNELS).out_channels == [32, 64, 128, 256]
    assert SelfTeacherNeck([16, 32, 64, 32]).out_channels == [32, 64, 128, 64]
    assert SelfTeacherNeck([256, 512, 1024, 512]).out_channels == [
        128, 256, 512, 256]
    assert [default_finest_width(c) for c in (8, 64, 65, 66, 100, 2048)] == [
        32, 32, 32, 33, 50, 1024]
    assert SelfTeacherNeck([256, 512], finest_width=32).out_channels == [
        32, 64]
    assert SelfTeacherNeck(CHANNELS, finest_width=4).out_channels == [
        4, 8, 16, 32]
    assert SelfTeacherNeck(CHANNELS, width_ratio=0.25).out_channels == [
        2, 4, 8, 16]
    assert SelfTeacherNeck(CHANNELS, width_ratio=2).out_channels == [
        16, 32, 64, 128
    ]
    assert SelfTeacherNeck(CHANNELS, out_channels=5).out_channels == [5] * 4


def manual_forward(neck, xs):
    """The equations of docs/method.md, Self-teacher, written out with the
    neck's own submodules."""
    n = len(xs)
    sizes = [x.shape[-2:] for x in xs]
    L = [lat(x) for lat, x in zip(neck.laterals, xs)]
    L2 = [None] + [lat(x) for lat, x in zip(neck.second_laterals, xs[1:])]

    def fuse(fusion, terms):
        w = F.relu(fusion.weight)
        w = w / (w.sum() + fusion.eps)
        return sum(wk * F.relu(t) for wk, t in zip(w, terms))

    P = {n - 1: L[n - 1]}
    for i in range(n - 2, -1, -1):
        up = neck.up_resamples[i]
        P[i] = neck.up_nodes[i](
            fuse(neck.up_fusions[i],
                 [L[i], resize_to(up.conv(F.relu(P[i + 1])), sizes[i])]))
    T = [P[0]]
    for i in range(1, n):
        down = neck.down_resamples[i - 1]
        r = down.conv(resize_to(F.relu(T[i - 1]), sizes[i]))
        terms = [L2[i], P[i], r] if i < n - 1 else [L2[i], r]
        T.append(neck.down_nodes[i - 1](fuse(neck.down_fusions[i - 1],
                                             terms)))
    return [F.relu(t) for t in T]


def test_forward_is_the_spec_equations():
    torch.manual_seed(0)
    neck = SelfTeacherNeck([4, 8, 12], out_channels=[6, 6, 6]).eval()
    # non-trivial fusion weights, incl. one clipped to 0 by the ReLU
    for fusion in list(neck.up_fusions) + list(neck.down_fusions):
        fusion.weight.data = torch.rand(fusion.weight.shape) * 2 - 0.3
    xs = feats([4, 8, 12], [(16, 16), (8, 8), (4, 4)])
    for got, want in zip(neck(xs), manual_forward(neck, xs)):
        assert torch.allclose(got, want, atol=1e-6)


def test_structure_switches():
    full = SelfTeacherNeck(CHANNELS)
    single_lateral = SelfTeacherNeck(CHANNELS, bottom_up_laterals=False)
    plain_sum = SelfTeacherNeck(CHANNELS, weighted_fusion=False)
    assert single_lateral.second_laterals is None
    n_second = sum(p.numel() for p in full.second_laterals.parameters())
    n_full = sum(p.numel() for p in full.parameters())
    assert sum(p.numel()
               for p in single_lateral.parameters()) == n_full - n_second
    # 3 top-down nodes x 2 weights + 2 x 3 + 1 x 2 bottom-up weights
    assert n_full - sum(p.numel() for p in plain_sum.parameters()) == 14
    xs = feats(CHANNELS, [(16, 16), (8, 8), (8, 8), (8, 8)])
    for neck in (single_lateral, plain_sum):
        assert [o.shape for o in neck(xs)] == [o.shape for o in full(xs)]


def test_node_depth():
    neck = SelfTeacherNeck(CHANNELS, num_node_convs=3)
    dw = [m for m in neck.up_nodes[0] if isinstance(m, torch.nn.Conv2d)]
    assert len(dw) == 6  # 3 x (depthwise + pointwise)


def test_gradients_reach_every_parameter():
    neck = SelfTeacherNeck(CHANNELS)
    xs = [x.requires_grad_() for x in feats(CHANNELS, [(16, 16), (8, 8),
                                                       (8, 8), (8, 8)])]
    sum(o.mean() for o in neck(xs)).backward()
    missing = [n for n, p in neck.named_parameters() if p.grad is None]
    assert missing == []
    assert all(x.grad is not None for x in xs)


def test_one_level_is_a_lateral_and_a_node():
    """T_1 = Conv(L_1): the node applied to the lateral, nothing else."""
    neck = SelfTeacherNeck([8], out_channels=4).eval()
    x = feats([8], [(9, 9)])
    refined = neck(x)
    (out, ), (preact, ) = refined, refined.preacts
    assert out.shape == (2, 4, 9, 9)
    assert torch.equal(preact, neck.up_nodes[0](neck.laterals[0](x[0])))
    assert torch.equal(out, F.relu(preact))
    assert refined.norms == [neck.up_nodes[0][-1]]
    assert sum(p.numel() for p in neck.parameters()) == sum(
        p.numel() for m in (neck.laterals, neck.up_nodes)
        for p in m.parameters())


def test_norm_cfg_is_used():
    neck = SelfTeacherNeck(CHANNELS, norm_cfg=dict(type='GN', num_groups=2))
    assert not any(
        isinstance(m, torch.nn.BatchNorm2d) for m in neck.modules())
    assert any(isinstance(m, torch.nn.GroupNorm) for m in neck.modules())


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(in_channels=[]), ValueError, r'at least 1 .*in_channels=\[\]'),
    (dict(in_channels=8), TypeError, 'in_channels must be a sequence'),
    (dict(in_channels=[8, 0]), ValueError, r'positive ints, got \[8, 0\]'),
    (dict(in_channels=[8, 16], out_channels=[4, 4, 4]), ValueError,
     r'out_channels has 3 entries .* in_channels has 2'),
    (dict(in_channels=[8, 16], width_ratio=0), ValueError,
     'width_ratio must be > 0, got 0'),
    (dict(in_channels=[8, 16], finest_width=0), ValueError,
     'finest_width must be an int >= 1, got 0'),
    (dict(in_channels=[8, 16], num_node_convs=0), ValueError,
     'num_node_convs must be an int >= 1, got 0'),
    (dict(in_channels=[8, 16], top_down_only=True, bottom_up_laterals=False),
     ValueError, 'bottom_up_laterals=False sets the laterals of the '
     'bottom-up path, but this self-teacher is top_down_only'),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        SelfTeacherNeck(**kwargs)


def test_wrong_inputs_error_names_channels():
    neck = SelfTeacherNeck([8, 16])
    with pytest.raises(ValueError, match=r'in_channels=\[8, 16\] .* '
                       r'channels \[8, 16, 32\]'):
        neck(feats([8, 16, 32], [(8, 8), (4, 4), (2, 2)]))


def test_preactivations_and_their_norms():
    neck = SelfTeacherNeck(CHANNELS).train()
    xs = feats(CHANNELS, [(16, 16), (8, 8), (8, 8), (8, 8)])
    outs = neck(xs)
    assert isinstance(outs, RefinedFeatures) and isinstance(outs, tuple)
    preacts = outs.preacts
    assert all(torch.equal(F.relu(p), o) for p, o in zip(preacts, outs))
    assert any((p < 0).any() for p in preacts)
    norms = outs.norms
    assert [n.num_features for n in norms] == neck.out_channels
    assert norms[0] is neck.up_nodes[0][-1]  # T_1 is the last top-down node


def test_top_down_only_outputs_t1_and_the_p_nodes():
    """``top_down_only``: no bottom-up modules; the outputs are ReLU(T_1),
    ReLU(P_2), ReLU(P_3) and P_4 = L_4 of the full neck with the same
    weights, with their pre-activations and norms."""
    torch.manual_seed(0)
    full = SelfTeacherNeck(CHANNELS).eval()
    top_down = SelfTeacherNeck(CHANNELS, top_down_only=True).eval()
    assert top_down.second_laterals is None
    assert len(top_down.down_nodes) == len(top_down.down_resamples) == 0
    top_down.load_state_dict(
        {k: v for k, v in full.state_dict().items()
         if k in top_down.state_dict()})
    xs = feats(CHANNELS, [(16, 16), (8, 8), (8, 8), (8, 8)])
    refined = top_down(xs)
    lats = [lat(x) for lat, x in zip(full.laterals, xs)]
    P = [None, None, None, lats[3]]
    for i in (2, 1, 0):
        up = full.up_resamples[i](P[i + 1] if i == 2 else F.relu(P[i + 1]),
                                  xs[i].shape[-2:])
        P[i] = full.up_nodes[i](full.up_fusions[i]([lats[i], up]))
    want = [F.relu(P[0]), F.relu(P[1]), F.relu(P[2]), P[3]]
    for got, w in zip(refined, want):
        assert torch.allclose(got, w, atol=1e-6)
    assert torch.equal(refined[0], full(xs)[0])  # T_1 is the same node
    assert all(torch.equal(F.relu(p), o)
               for p, o in zip(refined.preacts, refined))
    assert refined.norms[-1] is top_down.laterals[-1].norm
    assert [n.num_features for n in refined.norms] == top_down.out_channels


def _step(neck, inputs):
    """Outputs, preacts and every gradient of one training step of ``neck``
    on ``inputs`` (a loss that reaches every output), and its BN buffers."""
    inputs = [x.clone().requires_grad_() for x in inputs]
    refined = neck(inputs)
    loss = sum((o * (k + 1)).square().mean() for k, o in enumerate(refined))
    loss.backward()
    return ([o.detach() for o in refined] +
            [p.detach() for p in refined.preacts] +
            [x.grad for x in inputs] +
            [p.grad for p in neck.parameters() if p.grad is not None] +
            [b.clone() for b in neck.buffers()])


@pytest.mark.parametrize('top_down_only', [True, False])
@pytest.mark.parametrize('sizes', [
    [(16, 16), (8, 8), (8, 8), (8, 8)],  # ResNet-D8: the same size across
    [(17, 23), (9, 12), (5, 6), (3, 3)],  # "same" halving, odd sizes
])
def test_recompute_gives_the_same_step_bit_for_bit(top_down_only, sizes):
    # recompute keeps less for the backward pass, computing the same
    # values again: every output, gradient and BN statistic is identical
    x = feats(CHANNELS, sizes)
    steps = []
    for recompute in (False, True):
        torch.manual_seed(0)
        neck = SelfTeacherNeck(CHANNELS, top_down_only=top_down_only,
                               num_node_convs=3, recompute=recompute).train()
        steps.append(_step(neck, x))
    assert len(steps[0]) == len(steps[1]) > 30
    for a, b in zip(*steps):
        assert torch.equal(a, b)


def test_recompute_keeps_less_for_the_backward_pass():
    # after the forward pass, what is still alive is what backward keeps:
    # with recompute, no fusion output and no depthwise conv output is
    # (they are computed again in the backward pass, once more each)
    sizes = [(32, 32), (16, 16), (16, 16), (16, 16)]
    x = feats(CHANNELS, sizes)
    for recompute in (False, True):
        neck = SelfTeacherNeck(CHANNELS, top_down_only=True,
                               recompute=recompute).train()
        dws = [m for m in neck.modules()
               if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
        fusions = list(neck.up_fusions)
        outputs, calls = [], []

        def keep(module, inputs, output):
            outputs.append(weakref.ref(output))
            calls.append(module)

        for m in dws + fusions:
            m.register_forward_hook(keep)
        refined = neck(x)
        alive = sum(ref() is not None for ref in outputs)
        assert alive == (0 if recompute else len(dws) + len(fusions))
        sum(o.sum() for o in refined).backward()
        # each dw conv and fusion ran once more in the backward pass
        assert len(calls) == (2 if recompute else 1) * (
            len(dws) + len(fusions))


def test_recompute_must_be_a_bool():
    with pytest.raises(TypeError, match="recompute must be a bool, got 'no'"):
        SelfTeacherNeck(CHANNELS, recompute='no')
