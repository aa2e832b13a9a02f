"""The FRSKD self-teacher network (docs/method.md, Self-teacher)."""
from numbers import Integral
from typing import List, Optional, Sequence, Union

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from frskd_seg.utils.errors import ConfigError, ConfigTypeError
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig
from ..utils import DepthwiseSeparableBlock, WeightedFusion, resize_to
from .refined_features import RefinedFeatures


def default_finest_width(finest_channels: int) -> int:
    """The self-teacher's width on the finest level when the config gives
    none: ``max(32, round(c_1 / 2))`` for a student whose finest level has
    ``c_1`` channels.

    The CPU demo's student (``c_1 = 16``) gets 32, twice its width; a
    ResNet-50-D8 (``c_1 = 256``) 128, half its width (docs/results.md has
    the measurements behind the rule).
    """
    return max(32, round(finest_channels / 2))


class _Resample(nn.Module):
    """``R↑`` / ``R↓`` (docs/method.md, Self-teacher): resize a (ReLU'd) map to
    the target level's exact size (nearest upsampling, as the official code)
    and apply a 1x1 conv-BN-ReLU from the source level's to the target's
    channels.

    When going up, the 1x1 conv runs *before* the upsampling: for nearest
    upsampling this is exactly the official resize-then-conv
    (nearest copies pixels, so even BN's batch statistics are the same), at a
    fraction of the cost. When going down, pooling runs first for the same
    reason.

    Shapes:
        (B, c_src, h, w) and a target size (H, W) -> (B, c_dst, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int,
                 norm_cfg: ConfigType, act_cfg: ConfigType):
        super().__init__()
        self.conv = ConvModule(in_channels, out_channels, 1,
                               norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x: Tensor, size: Sequence[int]) -> Tensor:
        return resize_to(self.before_upsampling(x, size), size)

    def before_upsampling(self, x: Tensor, size: Sequence[int]) -> Tensor:
        """The map ``forward`` upsamples to ``size`` (when going up: the 1x1
        conv's output), or its result (going down or across)."""
        if x.shape[-2] >= size[0] and x.shape[-1] >= size[1]:
            return self.conv(resize_to(x, size))
        return self.conv(x)


@MODELS.register_module()
class SelfTeacherNeck(BaseModule):
    """Self-teacher network of FRSKD: BiFPN-style top-down + bottom-up
    refinement of the student's multi-level features (docs/method.md,
    Self-teacher).

    With n levels, i = 1 the finest (index 0 here)::

        L_i  = Lat(F_i)                                   i = 1..n
        L'_i = Lat'(F_i)                                  i = 2..n
        P_n  = L_n
        P_i  = Conv(ŵ1·L_i + ŵ2·R↑(P_{i+1}))              i = n-1..2
        T_1  = Conv(ŵ1·L_1 + ŵ2·R↑(P_2))
        T_i  = Conv(ŵ1·L'_i + ŵ2·P_i + ŵ3·R↓(T_{i-1}))    i = 2..n-1
        T_n  = Conv(ŵ1·L'_n + ŵ2·R↓(T_{n-1}))
        outputs: ReLU(T_1), ..., ReLU(T_n)

    With ``top_down_only`` (the official segmentation code's last
    ``BiFPNSeg``, ``is_last=True``) there is no bottom-up path: the outputs
    are ``T_1`` and the top-down nodes it is computed from,
    ``ReLU(T_1), ReLU(P_2), ..., ReLU(P_{n-1}), P_n`` -- the targets to
    distil towards when the self-teacher's head reads ``T_1`` alone, since
    then every one of them is trained by that head's CE (the bottom-up
    ``T_2..T_n`` would not be: nothing reads them).

    With one level (a backbone that gives one map at inference, as PIDNet's
    and DDRNet's), ``T_1 = Conv(L_1)``.

    ``Lat`` is a 1x1 conv-BN-ReLU, ``Conv`` a :class:`DepthwiseSeparableBlock`,
    the sums are :class:`WeightedFusion` nodes (ReLU on every input), and
    ``R↑``/``R↓`` resize to the *target level's exact size* (docs/method.md,
    Self-teacher), so
    every ``T_i`` has exactly ``F_i``'s spatial size whatever the backbone's
    stride pattern (ResNet-D8's 4-8-8-8, halving pyramids, odd crop sizes).

    Differences from the official classification code, on purpose: the
    widths (docs/method.md, Self-teacher) default to
    :func:`default_finest_width` on the finest level, ``max(32, c_1 / 2)``,
    and the student's own ratios between levels, ``d_i = d_1 c_i / c_1``,
    rather than ``2 c_i`` (which on a ResNet-50 makes the self-teacher
    larger than the student): 32, 64, 128, 64 on the CPU demo's
    16..128-channel ResNet-18 (2 x) and 128, 256, 512, 256 on a
    ResNet-50-D8 DeepLabV3 (0.5 x); pass ``width_ratio=2.0`` for the
    official width. ``F_i`` enter the laterals
    as they are (the official code ReLUs them first, a no-op on ResNet
    features but not on transformer features).

    Args:
        in_channels (Sequence[int]): Channels ``c_i`` of the n >= 1 input
            levels, finest first.
        out_channels (int | Sequence[int], optional): Widths ``d_i`` of the
            refined levels; one int for all levels, or one per level.
        width_ratio (float, optional): Without ``out_channels``:
            ``d_i = max(1, round(width_ratio * c_i))``.
        finest_width (int, optional): Without either: ``d_i = max(1,
            round(finest_width * c_i / c_1))``. Defaults to
            ``default_finest_width(c_1)``.
        num_node_convs (int): Depthwise-separable pairs per P/T node
            (official: 2).
        top_down_only (bool): No bottom-up path; the outputs are ``T_1``
            and ``P_2..P_n`` (above).
        bottom_up_laterals (bool, optional): Use the second laterals
            ``L'_i`` in the bottom-up path (None, True: the official code);
            False uses ``L_i`` there (the paper's text). Refused with
            ``top_down_only``, which has no bottom-up path.
        weighted_fusion (bool): Fast normalized fusion weights (official), or
            a plain sum.
        recompute (bool): Keep for the backward pass only what enters each
            node's depthwise-separable pairs and what their BNs need; the
            upsampled term, the fusion and the maps inside a pair are
            computed again in the backward pass
            (:class:`DepthwiseSeparableBlock`). Same outputs and gradients,
            bit for bit; about 200 MB less for ResNet-50-D8 at 512 x 512,
            batch 2, at no measurable time (docs/cost.md).
        norm_cfg (dict): Norm layers' config; SyncBN in distributed configs.
        act_cfg (dict): Activation config of laterals and resamplers.
        init_cfg (dict, optional): mmengine initialisation config.

    Shapes:
        n tensors (B, c_i, H_i, W_i) -> :class:`RefinedFeatures` of n
        tensors (B, d_i, H_i, W_i), with their pre-activations.
    """

    #: its output carries the pre-activations and their norms
    gives_preacts = True

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: Union[None, int, Sequence[int]] = None,
                 width_ratio: Optional[float] = None,
                 finest_width: Optional[int] = None,
                 num_node_convs: int = 2,
                 top_down_only: bool = False,
                 bottom_up_laterals: Optional[bool] = None,
                 weighted_fusion: bool = True,
                 recompute: bool = True,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = self._check_channels('in_channels', in_channels)
        if not self.in_channels:
            raise ConfigError('SelfTeacherNeck needs at least 1 feature level,'
                              f' got in_channels={list(in_channels)!r}')
        n = len(self.in_channels)
        self.out_channels = self._resolve_out_channels(
            out_channels, width_ratio, finest_width, n)
        if not isinstance(num_node_convs, Integral) or num_node_convs < 1:
            raise ConfigError(
                f'num_node_convs must be an int >= 1, got {num_node_convs!r}')
        if not isinstance(top_down_only, bool):
            raise ConfigTypeError(
                f'top_down_only must be a bool, got {top_down_only!r}')
        if top_down_only and bottom_up_laterals is not None:
            raise ConfigError(
                f'bottom_up_laterals={bottom_up_laterals!r} sets the '
                'laterals of the bottom-up path, but this self-teacher is '
                'top_down_only (the default where its head reads T1 alone: '
                'nothing would train a bottom-up path); set top_down_only='
                'False to build one')
        self.num_levels = n
        self.num_node_convs = int(num_node_convs)
        self.weighted_fusion = bool(weighted_fusion)
        if not isinstance(recompute, bool):
            raise ConfigTypeError(
                f'recompute must be a bool, got {recompute!r}')
        self.recompute = recompute
        self.top_down_only = top_down_only
        self.bottom_up_laterals = (bottom_up_laterals is not False
                                   and not top_down_only)
        c, d = self.in_channels, self.out_channels

        def lateral(i):
            return ConvModule(c[i], d[i], 1, norm_cfg=norm_cfg,
                              act_cfg=act_cfg)

        def node(i):
            return DepthwiseSeparableBlock(d[i], d[i], num_node_convs,
                                           norm_cfg, act_cfg)

        def fusion(k):
            return WeightedFusion(k, weighted_fusion)

        def resample(src, dst):
            return _Resample(d[src], d[dst], norm_cfg, act_cfg)

        self.laterals = nn.ModuleList(lateral(i) for i in range(n))
        # index j of the bottom-up modules is level j + 1 (levels 2..n)
        self.second_laterals = nn.ModuleList(
            lateral(i)
            for i in range(1, n)) if self.bottom_up_laterals else None
        # top-down, index i = level i + 1 for i in 0..n-2 (P_2..P_{n-1}, T_1)
        self.up_resamples = nn.ModuleList(
            resample(i + 1, i) for i in range(n - 1))
        self.up_fusions = nn.ModuleList(fusion(2) for _ in range(n - 1))
        # one level: T_1 = Conv(L_1), this node alone
        self.up_nodes = nn.ModuleList(node(i) for i in range(max(n - 1, 1)))
        # bottom-up, index j = level j + 2 for j in 0..n-2 (T_2..T_n)
        bottom_up = range(1, 1 if top_down_only else n)
        self.down_resamples = nn.ModuleList(
            resample(i - 1, i) for i in bottom_up)
        self.down_fusions = nn.ModuleList(
            fusion(3 if i < n - 1 else 2) for i in bottom_up)
        self.down_nodes = nn.ModuleList(node(i) for i in bottom_up)

    def extra_repr(self) -> str:
        """The structure's settings (the widths are in the recipe too)."""
        bottom_up = ('top_down_only=True' if self.top_down_only else
                     f'bottom_up_laterals={self.bottom_up_laterals}')
        return (f'out_channels={self.out_channels}, {bottom_up}, '
                f'num_node_convs={self.num_node_convs}, '
                f'weighted_fusion={self.weighted_fusion}')

    @staticmethod
    def _check_channels(name, channels) -> List[int]:
        if isinstance(channels, Integral) or not isinstance(
                channels, Sequence):
            raise ConfigTypeError(f'{name} must be a sequence of ints (one '
                                  f'per level), got {channels!r}')
        if not all(isinstance(ch, Integral) and ch > 0 for ch in channels):
            raise ConfigError(
                f'{name} must hold positive ints, got {list(channels)!r}')
        return [int(ch) for ch in channels]

    def _resolve_out_channels(self, out_channels, width_ratio, finest_width,
                              n) -> List[int]:
        if out_channels is None and width_ratio is None:
            if finest_width is None:
                finest_width = default_finest_width(self.in_channels[0])
            if isinstance(finest_width, bool) or not isinstance(
                    finest_width, Integral) or finest_width < 1:
                raise ConfigError('finest_width must be an int >= 1, got '
                                  f'{finest_width!r}')
            width_ratio = finest_width / self.in_channels[0]
        if out_channels is None:
            if not (isinstance(width_ratio, (int, float)) and width_ratio > 0):
                raise ConfigError(
                    f'width_ratio must be > 0, got {width_ratio!r}')
            return [max(1, round(width_ratio * ch)) for ch in self.in_channels]
        if isinstance(out_channels, Integral):
            out_channels = [out_channels] * n
        out_channels = self._check_channels('out_channels', out_channels)
        if len(out_channels) != n:
            raise ConfigError(
                f'out_channels has {len(out_channels)} entries '
                f'({out_channels!r}) but in_channels has {n} '
                f'({self.in_channels!r}): give one width per level')
        return out_channels

    def _check_inputs(self, inputs: Sequence[Tensor]) -> None:
        got = [int(x.shape[1]) for x in inputs]
        if got != self.in_channels:
            raise ValueError(
                f'SelfTeacherNeck was built for in_channels='
                f'{self.in_channels} but received {len(got)} feature maps '
                f'with channels {got}')

    def forward(self, inputs: Sequence[Tensor]) -> RefinedFeatures:
        """Refined maps ``ReLU(T_i)`` (with ``top_down_only``: ``T_1`` and
        ``P_2..P_n``), with the maps before that ReLU (``preacts``: what
        :class:`OverhaulLoss` distills) and the norm layers that produced
        them (``norms``); n (B, d_i, H_i, W_i) each."""
        self._check_inputs(inputs)
        n = self.num_levels
        sizes = [x.shape[-2:] for x in inputs]
        if self.top_down_only:
            return self._top_down_forward(inputs, sizes)
        lats = [conv(x) for conv, x in zip(self.laterals, inputs)]
        if self.second_laterals is not None:
            bu_lats = [lats[0]] + [
                conv(x) for conv, x in zip(self.second_laterals, inputs[1:])
            ]
        else:
            bu_lats = lats

        td, nodes = self._top_down(lats, sizes)
        preacts = [nodes[0]]
        outs = [td[0]]
        for i in range(1, n):
            terms = [bu_lats[i], td[i]] if i < n - 1 else [bu_lats[i]]
            node = self._node(self.down_nodes[i - 1],
                              self.down_fusions[i - 1], terms,
                              self.down_resamples[i - 1], outs[-1], sizes[i])
            preacts.append(node)
            outs.append(F.relu(node))
        return RefinedFeatures(outs, preacts, self.output_norms())

    def _top_down(self, lats: List[Tensor], sizes):
        """The top-down pass over the laterals ``lats``: ``td`` with
        ``td[0] = ReLU(T_1)``, ``td[i] = ReLU(P_{i+1})`` for 1 <= i <= n-2
        and ``td[n-1] = L_n``, and each node's output before its ReLU
        (None at n-1, which is no node)."""
        # The official code ReLUs every term of every node. Laterals and
        # resamplers end in ReLU already, so only the nodes' outputs (BN
        # outputs) can be negative: each is ReLU'd once, right away, which
        # gives the same values as the official per-term ReLUs while keeping
        # one activation for backward where those kept several.
        n = self.num_levels
        td: List[Optional[Tensor]] = [None] * (n - 1) + [lats[-1]]
        nodes: List[Optional[Tensor]] = [None] * n
        if n == 1:  # T_1 = Conv(L_1)
            nodes[0] = self.up_nodes[0](lats[0], recompute=self.recompute)
            td[0] = F.relu(nodes[0])
        for i in range(n - 2, -1, -1):
            nodes[i] = self._node(self.up_nodes[i], self.up_fusions[i],
                                  [lats[i]], self.up_resamples[i],
                                  td[i + 1], sizes[i])
            td[i] = F.relu(nodes[i])
        return td, nodes

    def _node(self, node: DepthwiseSeparableBlock, fusion: WeightedFusion,
              terms: List[Tensor], resample: _Resample, source: Tensor,
              size: Sequence[int]) -> Tensor:
        """``node(fusion([*terms, resample(source, size)]))``; with
        :attr:`recompute`, the resampled map's upsampling and the fusion
        run inside the node's first recomputed pair (their outputs are not
        kept for the backward pass either)."""

        def fuse(*maps):
            return fusion([*maps[:-1], resize_to(maps[-1], size)])

        return node(*terms, resample.before_upsampling(source, size),
                    recompute=self.recompute, prologue=fuse)

    def _top_down_forward(self, inputs: Sequence[Tensor],
                          sizes) -> RefinedFeatures:
        """``T_1, P_2, ..., P_n`` (``top_down_only``)."""
        lats = [conv(x) for conv, x in zip(self.laterals[:-1], inputs)]
        # P_n = L_n: its map before the lateral's activation is a preact too
        last = self.laterals[-1]
        coarsest = last(inputs[-1], activate=False)
        lats.append(last.activate(coarsest) if last.with_activation else
                    coarsest)
        td, nodes = self._top_down(lats, sizes)
        preacts = nodes if self.num_levels == 1 else nodes[:-1] + [coarsest]
        return RefinedFeatures(td, preacts, self.output_norms())

    def output_norms(self) -> List[nn.Module]:
        """The norm layer that produces each output before its ReLU (the
        official ``get_bn_before_relu``), finest level first."""
        if self.top_down_only:
            coarsest = [] if self.num_levels == 1 else [self.laterals[-1].norm]
            return [node[-1] for node in self.up_nodes] + coarsest
        return [self.up_nodes[0][-1]] + [node[-1] for node in self.down_nodes]
