"""EfficientNet read after single blocks: the backbone taps of the authors'
EfficientDet segmentation model (docs/method.md, Placement)."""
import copy
from numbers import Integral
from typing import Sequence, Tuple

from mmengine.model import BaseModule
from torch import Tensor

from frskd_seg.utils.errors import ConfigError
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig

#: the official taps of EfficientNet-B0 as (stage, block) of OpenMMLab's
#: layout: after the first block of the 24-, 40- and 80-channel stages and
#: after the last (320-channel) block -- ``layer1``..``layer5`` of
#: ``segmentation/utils/efficientdet.py`` (blocks 1, 3, 5, 15)
OFFICIAL_B0_TAPS = ((2, 0), (3, 0), (4, 0), (5, 4))


@MODELS.register_module()
class TappedEfficientNet(BaseModule):
    """An OpenMMLab EfficientNet whose outputs are taken after given blocks.

    OpenMMLab's ``EfficientNet`` (mmpretrain's, and mmdet's copy of it) gives
    whole stages (``out_indices``); the official segmentation model reads
    EfficientNet-B0 after the *first* block of three stages (their
    downsampling block), so its /4, /8 and /16 maps are 24-, 40- and
    80-channel maps one block earlier than those stages' ends. This wrapper
    runs the network block by block and returns the maps after the blocks
    in ``taps``; layers past the last tap are not built.

    Args:
        efficientnet (dict): Config of the network, e.g.
            ``dict(type='mmdet.EfficientNet', arch='b0')`` (with mmpretrain,
            ``'mmpretrain.EfficientNet'`` takes the same arguments and
            checkpoints). Its ``out_indices`` default to the last tapped
            stage, so that no later stage is built.
        taps (Sequence[tuple[int, int]]): (stage, block) pairs in running
            order; stage 0 is the stem, ``layers[stage][block]`` the block.
        init_cfg (dict, optional): mmengine initialisation config (the
            network's own ``init_cfg`` loads its pretrained weights).

    Shapes:
        (B, 3, H, W) -> tuple of one (B, c_k, H_k, W_k) map per tap.
    """

    def __init__(self,
                 efficientnet: ConfigType,
                 taps: Sequence[Tuple[int, int]] = OFFICIAL_B0_TAPS,
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        taps = [tuple(t) for t in taps]
        if not taps or not all(
                len(t) == 2 and all(isinstance(i, Integral) and i >= 0
                                    for i in t) for t in taps):
            raise ConfigError('TappedEfficientNet taps must be (stage, block) '
                              f'pairs of ints >= 0, got {taps!r}')
        if sorted(set(taps)) != taps:
            raise ConfigError('TappedEfficientNet taps must be in running '
                              f'order without repeats, got {taps!r}')
        cfg = copy.deepcopy(efficientnet)
        cfg.setdefault('out_indices', (max(taps[-1][0], 1), ))
        self.net = MODELS.build(cfg)
        for stage, block in taps:
            stages = len(self.net.layers)
            if stage >= stages or block >= len(self._blocks(stage)):
                blocks = [len(self._blocks(s)) for s in range(stages)]
                raise ConfigError(
                    f'TappedEfficientNet tap {(stage, block)} does not exist: '
                    f'the network built has stages 0..{stages - 1} with '
                    f'{blocks} blocks (raise its out_indices to build later '
                    'stages)')
        self.taps = taps

    def _blocks(self, stage: int):
        layer = self.net.layers[stage]
        # the stem and the final 1x1 conv are single modules, not stages
        return list(layer) if hasattr(layer, '__iter__') else [layer]

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outs, taps = [], set(self.taps)
        for stage in range(self.taps[-1][0] + 1):
            for block, module in enumerate(self._blocks(stage)):
                x = module(x)
                if (stage, block) in taps:
                    outs.append(x)
                    if len(outs) == len(self.taps):
                        return tuple(outs)
        return tuple(outs)
