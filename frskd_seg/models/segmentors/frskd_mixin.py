"""The FRSKD training logic, one copy for every segmentor it trains
(docs/method.md)."""
from typing import Sequence

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor

from frskd_seg.utils.private_rng import PrivateRNG
from mmseg.utils import OptConfigType, SampleList, add_prefix
from ..losses.distill_schedule import build_distill_schedule
from ..necks.refined_features import RefinedFeatures
from ..utils import scale_grad
from .argument_checks import check_frskd_args, check_student_args
from .head_tap import HeadTap
from .recipe import describe_recipe
from .self_teacher_prediction import SelfTeacherPrediction
from .student_probe import StudentReads, freeze_untaught, probe
from .teacher_side import (DEFAULT_LOSS_FEAT, DEFAULT_LOSS_KD,
                           build_teacher_side, distill_terms)

#: offset of the self-teacher's random stream from the run's seed
_TEACHER_SEED_OFFSET = 0x5E1F7EAC


class FRSKDMixin(SelfTeacherPrediction, StudentReads):
    """FRSKD for an mmseg segmentor (the student): builds the self-teacher and
    its head, and trains them with the student (docs/method.md). Per step::

        F = extract_feat(x)              student features F_1..F_n
        decode losses                    mmseg's own; from the distilled head:
          z_s, D                         its logits, the map cls_seg classifies
        S = what the self-teacher reads  F ('backbone', 'neck') or F_<k, D
        T = self_teacher(g(S))           RefinedFeatures
        z_t = teacher_head(T)
        L = decode losses [+ aux] + CE(z_t)
            + w(t) · (loss_kd(z_s, z_t.detach()) + loss_feat(S, T.detach()))

    A segmentor class is this mixin before the mmseg segmentor it extends
    (:attr:`STUDENT_CLASS`), naming its :attr:`distilled_head`. mmseg
    computes the student's losses (read by a :class:`HeadTap`); the
    self-teacher draws from a random stream of its own (:class:`PrivateRNG`),
    so with ``teacher_grad_scale=0`` the student trains exactly as its twin
    until distillation starts. Loss keys: mmseg's, ``teacher.*``,
    ``distill.*``. Every option, with its default: docs/usage.md.

    Args:
        self_teacher (dict): e.g. ``dict(type='SelfTeacherNeck')``; its
            ``in_channels`` are measured (or checked).
        teacher_head (dict, optional): None: a 1x1 classifier on T1
            (``'decoder'``) or a copy of the decode head; a dict without
            ``type`` updates that default.
        self_teacher_input (str): ``'decoder'``, ``'backbone'`` or
            ``'neck'`` (docs/method.md, Placement).
        teacher_grad_scale (float): g in [0, 1] on the gradient the
            self-teacher's CE sends into what it reads (official 1).
        evaluate_teacher (bool): ``predict`` also gives the self-teacher's.
        loss_kd, loss_feat (dict | list[dict], optional): The logit and the
            feature distillation terms (``DEFAULT_LOSS_KD``,
            ``DEFAULT_LOSS_FEAT``; a dict without ``type`` updates the
            default; a list: several terms; None: off).
        distill_schedule (dict, optional): A :class:`DistillSchedule`;
            None: warm-up 2/3, ramp-up 1/3 of the run.
        **student: The mmseg segmentor's arguments.
    """

    #: the mmseg segmentor the subclass extends (its student's class)
    STUDENT_CLASS: type = None
    #: the modules that exist for training only (not in the deployed model)
    TEACHER_SIDE = ('self_teacher', 'teacher_head', 'loss_kd', 'loss_feat')
    #: whether ``decode_head`` is a list of cascade stages
    CASCADE = False
    #: the default teacher head with ``self_teacher_input='backbone'`` is a
    #: copy of the decode head (False: the light classifier)
    COPIES_DECODE_HEAD = True

    def __init__(self,
                 self_teacher: OptConfigType = None,
                 teacher_head: OptConfigType = None,
                 self_teacher_input: str = 'decoder',
                 teacher_grad_scale: float = 0.0,
                 evaluate_teacher: bool = False,
                 loss_kd: OptConfigType = DEFAULT_LOSS_KD,
                 loss_feat: OptConfigType = DEFAULT_LOSS_FEAT,
                 distill_schedule: OptConfigType = None,
                 **student):
        check_student_args(type(self), self.STUDENT_CLASS, student)
        check_frskd_args(type(self).__name__, self_teacher,
                         self_teacher_input, teacher_grad_scale,
                         has_neck=student.get('neck') is not None)
        super().__init__(**student)
        self.self_teacher_input = self_teacher_input
        self.teacher_grad_scale = float(teacher_grad_scale)
        self.evaluate_teacher = bool(evaluate_teacher)
        self.distill_schedule = build_distill_schedule(distill_schedule)
        seed = torch.initial_seed()
        self.teacher_rng = PrivateRNG((seed + _TEACHER_SEED_OFFSET) % 2**63)
        with self.teacher_rng:  # even the probe: some heads draw (SegNeXt)
            # whether the backbone gives one map at inference (PIDNet), and
            # the maps the self-teacher reads, which size it
            self.one_map_backbone, reads = probe(self)
            (self.self_teacher, self.teacher_head, self.loss_kd,
             self.loss_feat) = build_teacher_side(
                 self, reads, student['decode_head'], self_teacher,
                 teacher_head, loss_kd, loss_feat)
            freeze_untaught(self, reads)
        print_log(describe_recipe(self), logger='current')

    def extra_repr(self) -> str:
        """The segmentor's own settings (not modules), for ``print(model)``."""
        return (f'self_teacher_input={self.self_teacher_input!r}, '
                f'teacher_grad_scale={self.teacher_grad_scale}, '
                f'distill_schedule={self.distill_schedule!r}')

    # -- build --------------------------------------------------------------
    def init_weights(self):
        """The student's weights from the global random stream, exactly as
        its baseline twin's; the self-teacher's from its own stream."""
        teacher_side = [getattr(self, name) for name in self.TEACHER_SIDE]
        teacher_side = [m for m in teacher_side if isinstance(m, BaseModule)]
        for module in teacher_side:  # the segmentor's init skips them
            module.is_init = True
        super().init_weights()
        with self.teacher_rng:
            for module in teacher_side:
                module.is_init = False
                module.init_weights()

    # -- the self-teacher (what it reads: StudentReads) ---------------------
    def teacher_forward(self, reads: Sequence[Tensor]):
        """The self-teacher's logits (B, K, H_t, W_t) and its
        :class:`RefinedFeatures` (the gradient into ``reads`` scaled by
        ``teacher_grad_scale``)."""
        return self._teacher_outputs(reads)[1:]

    def _teacher_outputs(self, reads: Sequence[Tensor]):
        """What the teacher head returned (for its ``loss_by_feat``), and
        :meth:`teacher_forward`'s two."""
        refined = self.self_teacher(
            [scale_grad(x, self.teacher_grad_scale) for x in reads])
        if not isinstance(refined, RefinedFeatures):  # any tuple of maps
            refined = RefinedFeatures(refined)
        with HeadTap(self.teacher_head) as tap:
            out = self.teacher_head(refined)
        return out, tap.logits(), refined

    # -- training ------------------------------------------------------------
    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Student losses (mmseg's keys) + self-teacher CE + distillation,
        on images (B, 3, H, W) and their samples (with ``gt_sem_seg``): the
        terms (summed by mmengine where the key has 'loss') and logged
        values."""
        feats = self.extract_feat(inputs)
        with HeadTap(self.distilled_head) as tap:
            losses = self._decode_head_forward_train(feats, data_samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(
                feats, data_samples))
        student_logits, reads = tap.logits(), self._reads(feats, tap)
        with self.teacher_rng:
            teacher_out, teacher_logits, refined = self._teacher_outputs(
                reads)
        losses.update(add_prefix(
            self.teacher_head.loss_by_feat(teacher_out, data_samples),
            'teacher'))
        weight = self.distill_schedule.current()
        losses.update(add_prefix(self._distill_losses(
            weight, reads, refined, student_logits, teacher_logits,
            data_samples), 'distill'))
        return losses

    def _distill_losses(self, weight: float, reads: Sequence[Tensor],
                        refined: RefinedFeatures, student_logits: Tensor,
                        teacher_logits: Tensor,
                        data_samples: SampleList) -> dict:
        """w · each distillation term; at w = 0 the terms are exactly 0 and
        are not computed."""
        zero = student_logits.new_zeros((), dtype=torch.float32)
        losses = dict(weight=zero + weight)
        labels = None if not weight else torch.stack(
            [s.gt_sem_seg.data for s in data_samples])
        for loss in distill_terms(self.loss_kd):
            losses[loss.loss_name] = weight * loss(
                student_logits, teacher_logits, labels) if weight else zero
        for loss in distill_terms(self.loss_feat):
            # a loss with learned adapters (FitNet, a connector) runs in the
            # warm-up too, at weight 0: DDP needs every parameter in a graph
            learned = any(p.requires_grad for p in loss.parameters())
            losses[loss.loss_name] = weight * loss(
                list(reads), refined) if weight > 0 or learned else zero
        return losses

    def student_state_dict(self) -> dict:
        """State dict of the student alone (no ``self_teacher.*``,
        ``teacher_head.*`` or loss modules): what the plain mmseg segmentor
        with the same backbone/neck/heads loads."""
        dropped = tuple(f'{name}.' for name in self.TEACHER_SIDE)
        return {k: v for k, v in self.state_dict().items()
                if not k.startswith(dropped)}
