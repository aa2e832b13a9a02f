"""What the self-teacher reads from the student (docs/method.md, Placement),
and what the build learns from one look at it: the maps' channels, and the
self-teacher parameters no loss reaches."""
import contextlib
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.utils import ConfigType
from .argument_checks import UnsupportedStudentError
from .head_tap import HeadTap

#: the size of the blank image the build measures the student with, unless
#: its data preprocessor pads to another (the size it trains at)
PROBE_SIZE = (64, 64)


def level_maps(feats) -> List[Tensor]:
    """The feature levels as maps (B, C, H, W): a level that is a (map,
    class token) pair -- a ViT backbone's for DPT -- gives its map."""
    maps = []
    for i, level in enumerate(feats):
        if not isinstance(level, Tensor):
            level = next((x for x in level if isinstance(x, Tensor)
                          and x.dim() == 4), None)
            if level is None:
                raise UnsupportedStudentError(
                    f'feature level {i} of the student holds no (B, C, H, W) '
                    'map for the self-teacher to read')
        maps.append(level)
    return maps


def decoder_reads(levels: Sequence[Tensor], in_index,
                  classified_map: Tensor) -> List[Tensor]:
    """``'decoder'`` placement: the levels below the deepest one the
    distilled head reads (``in_index``), then the map it classified."""
    indices = in_index if isinstance(in_index, Sequence) else [in_index]
    deepest = max(i % len(levels) for i in indices) if levels else 0
    return [*levels[:deepest], classified_map]


def reads_description(segmentor) -> str:
    """What the self-teacher of ``segmentor`` reads, in words."""
    if segmentor.self_teacher_input == 'decoder':
        return "the decode head's map and the backbone levels below it"
    return f'its backbone{" + neck" if segmentor.with_neck else ""}'


class StudentReads:
    """What an FRSKD segmentor's self-teacher reads from its student (a base
    of :class:`FRSKDMixin`); the subclass names its student's distilled
    head and how to run the decoder up to it."""

    @property
    def distilled_head(self) -> BaseDecodeHead:
        """The decode head whose logits the model predicts with (and whose
        classified map the self-teacher reads)."""
        raise NotImplementedError

    def _distilled_head_cfg(self, decode_head: ConfigType) -> ConfigType:
        raise NotImplementedError

    def _decode_to_distilled_head(self, feats) -> None:
        """Run the decoder up to the distilled head at inference."""
        raise NotImplementedError

    def _reads(self, feats, tap: HeadTap,
               one_map: Optional[bool] = None) -> List[Tensor]:
        """The self-teacher's input maps: ``feats`` (``'backbone'``,
        ``'neck'``), or the levels below the deepest one the distilled head
        reads and the map it classified (``'decoder'``; none of the levels
        for a backbone that gives ``one_map`` at inference, by default
        :attr:`one_map_backbone`)."""
        if self.self_teacher_input != 'decoder':
            return level_maps(feats)
        one_map = self.one_map_backbone if one_map is None else one_map
        return decoder_reads([] if one_map else level_maps(feats),
                             self.distilled_head.in_index,
                             tap.classified_map())

    def student_forward(self, feats, one_map: Optional[bool] = None):
        """The student's decoder run as at inference, up to the distilled
        head: its logits (B, K, h, w) and the self-teacher's input maps."""
        with HeadTap(self.distilled_head) as tap:
            self._decode_to_distilled_head(feats)
        return tap.logits(), self._reads(feats, tap, one_map)


@contextlib.contextmanager
def eval_mode(segmentor):
    """Within: ``segmentor`` in eval mode (no dropout, BN's running
    statistics untouched); its mode as before afterwards."""
    was_training = segmentor.training
    segmentor.eval()
    try:
        yield
    finally:
        segmentor.train(was_training)


def probe(segmentor) -> Tuple[bool, List[Tensor]]:
    """One forward of a blank image (the data preprocessor's size, else
    :data:`PROBE_SIZE`) through the student in eval mode, without
    gradients: whether the backbone gives one map at inference (PIDNet,
    DDRNet), and the maps the self-teacher reads (as
    ``segmentor.student_forward`` gives them). Logged."""
    size = getattr(segmentor.data_preprocessor, 'size', None) or PROBE_SIZE
    print_log(f'FRSKD build: one eval-mode forward of a blank '
              f'{size[0]}x{size[1]} image measures what the self-teacher '
              'reads', logger='current')
    with eval_mode(segmentor), torch.no_grad():
        feats = segmentor.extract_feat(torch.zeros(1, 3, *size))
        one_map = isinstance(feats, Tensor)
        if one_map and segmentor.self_teacher_input != 'decoder':
            raise UnsupportedStudentError(
                f'{type(segmentor.backbone).__name__} gives one feature '
                'map at inference (and other maps in training), so there '
                'are no levels for self_teacher_input='
                f"'{segmentor.self_teacher_input}' to refine: use "
                "'decoder'")
        return one_map, segmentor.student_forward(feats, one_map)[1]


def freeze_untaught(segmentor, reads: Sequence[Tensor]) -> List[str]:
    """Freeze the self-teacher parameters its logits do not depend on, and
    log their names; returns them.

    Only the self-teacher's CE trains it (the distillation targets are
    detached), so a parameter its logits do not reach -- the bottom-up path
    of a neck that is not ``top_down_only`` when the head reads T1 alone --
    keeps its initial values anyway; frozen, it spares DDP
    ``find_unused_parameters``. One dry forward of ``reads`` in eval mode
    (no random draws) and ``autograd.grad`` find them.
    """
    named = [(n, p) for n, p in segmentor.self_teacher.named_parameters()
             if p.requires_grad]
    with eval_mode(segmentor), torch.enable_grad():
        logits = segmentor.teacher_forward(reads)[0]
        grads = torch.autograd.grad(logits.sum(), [p for _, p in named],
                                    allow_unused=True)
    frozen = []
    for (name, param), grad in zip(named, grads):
        if grad is None:
            param.requires_grad_(False)
            frozen.append(name)
    if frozen:
        modules = sorted({name.rsplit('.', 2)[0] for name in frozen})
        print_log(f'FRSKD build: froze {len(frozen)} self-teacher parameters '
                  "that the self-teacher's logits do not reach (no loss "
                  f'trains them): {", ".join(modules)}', logger='current')
    return frozen
