"""Reading a decode head's logits and the map it classifies while mmseg's own
code runs the head (its ``loss``, ``predict`` or a cascade's stages)."""
from dataclasses import dataclass, field
from typing import Any, List, Tuple

from torch import Tensor, nn

from .argument_checks import UnsupportedStudentError


@dataclass
class HeadCall:
    """One ``forward`` of a tapped head: what it returned, and each call of
    its classifier ``cls_seg`` within it as (classified map, logits)."""
    output: Any = None
    classified: List[Tuple[Tensor, Tensor]] = field(default_factory=list)


class HeadTap:
    """Records every ``forward`` of ``head`` and, within it, every call of
    its ``cls_seg``, while the head runs unchanged.

    The rule for the logits is mmseg's: ``predict_by_feat`` reads the tensor
    the head's forward returns, or -- for heads that return several outputs
    in training (DANet's PAM/CAM logits, EncNet's SE vector, PIDNet's P/I/D
    branches, DDRNet's auxiliary logits) -- the one their ``predict``
    selects, which is always the output of the head's classifier
    ``cls_seg`` (the others come from ``pam_cls_seg``, ``se_layer``,
    ``p_cls_seg``, ``aux_cls_seg``...). So the logits are the forward's
    output when it is a tensor, else the element ``cls_seg`` returned.

    Usage::

        with HeadTap(head) as tap:
            losses = head.loss(feats, data_samples, train_cfg)
        logits = tap.logits()               # (B, K, h, w)
        head_map = tap.classified_map()     # (B, C, h', w')
    """

    def __init__(self, head: nn.Module):
        self.head = head
        self.calls: List[HeadCall] = []

    def __enter__(self) -> 'HeadTap':
        head, calls = self.head, self.calls
        # what runs now (the class's methods, or instance attributes others
        # put there, e.g. a profiler's wrapper): called, then put back
        self._saved = {
            name: vars(head)[name]
            for name in ('forward', 'cls_seg') if name in vars(head)
        }
        inner_forward, inner_cls_seg = head.forward, head.cls_seg

        def forward(*args, **kwargs):
            call = HeadCall()
            calls.append(call)
            call.output = inner_forward(*args, **kwargs)
            return call.output

        def cls_seg(feat):
            logits = inner_cls_seg(feat)
            if calls:
                calls[-1].classified.append((feat, logits))
            return logits

        # instance attributes shadow the class's methods: nn.Module.__call__
        # and mmseg's explicit ``self.forward(...)`` both find them
        head.forward, head.cls_seg = forward, cls_seg
        return self

    def __exit__(self, *exc) -> bool:
        for name in ('forward', 'cls_seg'):
            if name in self._saved:
                setattr(self.head, name, self._saved[name])
            else:
                delattr(self.head, name)
        return False

    @property
    def name(self) -> str:
        return type(self.head).__name__

    def _first(self) -> HeadCall:
        # a cascade's training runs a stage twice (its loss, then the next
        # stage's input): the first is the one its CE trains
        if not self.calls:
            raise RuntimeError(f'{self.name} did not run while tapped')
        return self.calls[0]

    def logits(self) -> Tensor:
        """The per-pixel class logits of the first forward, (B, K, h, w):
        what ``predict_by_feat`` reads (class docstring)."""
        call = self._first()
        if isinstance(call.output, Tensor):
            return call.output
        outputs = call.output if isinstance(call.output,
                                            (tuple, list)) else ()
        found = [
            out for out in outputs
            if any(out is logits for _, logits in call.classified)
        ]
        if len(found) != 1:
            raise UnsupportedStudentError(
                f'{self.name} returns {type(call.output).__name__} of '
                f'{len(outputs)} outputs and its classifier cls_seg gave '
                f'{"none" if not found else len(found)} of them: FRSKD '
                'distils the per-pixel class logits the head predicts with, '
                'and cannot tell which output those are')
        return found[0]

    def classified_map(self) -> Tensor:
        """The map the head's ``cls_seg`` classified in its first forward,
        (B, C, h, w): the self-teacher's input with
        ``self_teacher_input='decoder'``."""
        call = self._first()
        if len(call.classified) != 1:
            raise UnsupportedStudentError(
                f"self_teacher_input='decoder' reads the map the decode head "
                f'classifies (the input of its cls_seg); {self.name} called '
                f'cls_seg {len(call.classified)} times in one forward'
                + (' (its logits come from elsewhere)'
                   if not call.classified else '') +
                ": use self_teacher_input='backbone'")
        return call.classified[0][0]
