"""What the self-teacher reads from the student (docs/method.md, Placement),
and what the build learns from one look at it: the maps' channels, and the
self-teacher parameters no loss reaches."""
from typing import List, Sequence

import torch
from torch import Tensor, nn

from .supported_students import UnsupportedStudentError


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


def probe(segmentor, size) -> tuple:
    """One forward of a blank ``size`` image through the student in eval
    mode, without gradients: ``(one_map, reads)`` -- whether the backbone
    gives one map at inference (PIDNet, DDRNet) and the maps the
    self-teacher reads (as ``segmentor.student_forward`` gives them)."""
    was_training = segmentor.training
    segmentor.eval()
    try:
        with torch.no_grad():
            feats = segmentor.extract_feat(torch.zeros(1, 3, *size))
            one_map = isinstance(feats, Tensor)
            if one_map and segmentor.self_teacher_input != 'decoder':
                raise UnsupportedStudentError(
                    f'{type(segmentor.backbone).__name__} gives one feature '
                    'map at inference (and other maps in training), so there '
                    'are no levels for self_teacher_input='
                    f"'{segmentor.self_teacher_input}' to refine: use "
                    "'decoder'")
            segmentor._one_map_backbone = one_map
            return one_map, segmentor.student_forward(feats)[1]
    finally:
        segmentor.train(was_training)


def freeze_untaught(self_teacher: nn.Module, teacher_logits) -> None:
    """Freeze the self-teacher parameters its logits do not depend on.

    Only the self-teacher's CE trains it (the distillation targets are
    detached), so parameters it does not reach -- the bottom-up path when the
    head reads T1 only -- keep their initial values anyway; frozen, they
    spare DDP ``find_unused_parameters``. ``teacher_logits``: a callable
    giving the logits of one dry forward (eval mode: no random draws).
    """
    params = [p for p in self_teacher.parameters() if p.requires_grad]
    with torch.enable_grad():
        grads = torch.autograd.grad(teacher_logits().sum(), params,
                                    allow_unused=True)
    for param, grad in zip(params, grads):
        if grad is None:
            param.requires_grad_(False)
