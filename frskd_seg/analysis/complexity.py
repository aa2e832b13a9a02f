"""Parameters and FLOPs of an FRSKD model's parts (mmengine's analysis)."""
from dataclasses import dataclass
from typing import Dict, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer

from frskd_seg.models.segmentors import FRSKDEncoderDecoder


def _params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


class _AllOutputs(nn.Module):
    """A self-teacher whose every refined map is an output: traced alone,
    none of it is pruned as unused (in training the feature loss reads all
    of them, even where the head reads one)."""

    def __init__(self, self_teacher: nn.Module):
        super().__init__()
        self.self_teacher = self_teacher

    def forward(self, *feats):
        return tuple(self.self_teacher(list(feats)))


class _Student(nn.Module):
    """The deployed student: image -> logits (``_forward``)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model._forward(x)


@dataclass
class ComplexityReport:
    """Parameter and FLOP counts (FLOPs as mmengine counts them: one
    multiply-add is one FLOP) for one input size."""
    input_shape: Tuple[int, int, int, int]
    params: Dict[str, int]
    flops: Dict[str, int]

    def ratio(self, part: str, of: str = 'student') -> Tuple[float, float]:
        """(params, FLOPs) of ``part`` relative to ``of``."""
        return (self.params[part] / self.params[of],
                self.flops[part] / self.flops[of])

    def table(self) -> str:
        rows = [f'input {tuple(self.input_shape)}',
                f'{"part":<26}{"params (M)":>12}{"GFLOPs":>10}']
        for part in self.params:
            flops = (f'{self.flops[part] / 1e9:>10.2f}'
                     if part in self.flops else f'{"-":>10}')
            rows.append(f'{part:<26}{self.params[part] / 1e6:>12.2f}{flops}')
        p, f = self.ratio('self_teacher+teacher_head')
        rows.append(f'self-teacher / student: {100 * p:.1f} % params, '
                    f'{100 * f:.1f} % FLOPs')
        return '\n'.join(rows)


def _device_of(model: nn.Module) -> torch.device:
    # counting runs the model: its input goes where its weights are
    return next(model.parameters()).device


def _flops(module: nn.Module, inputs: tuple) -> int:
    analyzer = FlopAnalyzer(module, inputs)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return int(analyzer.total())


@torch.no_grad()
def student_cost(model, input_shape=(1, 3, 512, 512)) -> Tuple[int, int]:
    """(params, FLOPs) of the deployed part of any mmseg ``EncoderDecoder``:
    backbone, neck and decode head (auxiliary heads and, for FRSKD, the
    self-teacher run only in training)."""
    params = _params(model.backbone) + _params(model.decode_head)
    if model.with_neck:
        params += _params(model.neck)
    return params, _flops(_Student(model.eval()),
                          (torch.zeros(*input_shape,
                                       device=_device_of(model)), ))


@torch.no_grad()
def frskd_complexity(model: FRSKDEncoderDecoder,
                     input_shape=(1, 3, 512, 512)) -> ComplexityReport:
    """Count the deployed student (backbone, neck, decode head), the
    auxiliary heads (training only), the self-teacher neck and its head.

    Args:
        model: A built :class:`FRSKDEncoderDecoder`.
        input_shape: (B, 3, H, W) of the image.
    """
    model = model.eval()
    image = torch.zeros(*input_shape, device=_device_of(model))
    feats = model.extract_feat(image)
    _, reads = model.student_forward(feats)  # what the self-teacher reads

    student_params, student_flops = student_cost(model, input_shape)
    aux = model.auxiliary_head if model.with_auxiliary_head else None
    params = {
        'student': student_params,
        'auxiliary_head': _params(aux) if aux is not None else 0,
        'self_teacher': _params(model.self_teacher),
        'teacher_head': _params(model.teacher_head),
    }
    # each part counted on its own inputs (a difference of two traces
    # could go negative: tracing prunes what the head does not read)
    st_flops = _flops(_AllOutputs(model.self_teacher), tuple(reads))
    refined = list(model.self_teacher(list(reads)))
    head_flops = _flops(model.teacher_head, (refined, ))
    path_flops = st_flops + head_flops
    flop_counts = {
        'student': student_flops,
        'auxiliary_head': 0 if aux is None else _flops(aux, (list(feats), )),
        'self_teacher': st_flops,
        'teacher_head': head_flops,
    }
    params['self_teacher+teacher_head'] = (
        params['self_teacher'] + params['teacher_head'])
    adapters = _params(model.loss_feat) if model.loss_feat is not None else 0
    if adapters:
        # FitNet regressors / Overhaul connectors: training only, not in
        # the ratio (FLOPs not counted)
        params['distill_adapters'] = adapters
    flop_counts['self_teacher+teacher_head'] = path_flops
    return ComplexityReport(tuple(input_shape), params, flop_counts)
