"""The FRSKD training logic, one copy for every segmentor it trains
(docs/method.md)."""
import logging
from typing import List, Optional, Sequence

import torch
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModule
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptSampleList, SampleList
from mmseg.utils import add_prefix
from ..necks.refined_features import RefinedFeatures
from ..utils import PrivateRNG, build_distill_schedule, scale_grad
from .head_tap import HeadTap
from .supported_students import (UnsupportedStudentError, check_feature_loss,
                                 check_student_args, check_teacher_head)
from .teacher_configs import loss_feat_cfg, self_teacher_cfg, teacher_head_cfg

#: where the self-teacher reads (``self_teacher_input``)
SELF_TEACHER_INPUTS = ('backbone', 'neck', 'decoder')
#: offset of the self-teacher's random stream from the run's seed
_TEACHER_SEED_OFFSET = 0x5E1F7EAC
#: the size of the blank image the build measures the student with, unless
#: its data preprocessor pads to another (the size it trains at)
PROBE_SIZE = (64, 64)


class FRSKDMixin:
    """FRSKD for an mmseg segmentor (the student): builds the self-teacher and
    its head, and trains them with the student (docs/method.md).

    Training, per step::

        F = extract_feat(x)              student features F_1..F_n
        decode losses                    mmseg's own, each head run once;
                                         from the distilled head (the one
                                         the model predicts with):
          z_s                            its logits
          D                              the map its cls_seg classifies
        S = what the self-teacher reads  F (backbone, neck), F_1..F_k-1, D
        T = self_teacher(g(S))           refined features (RefinedFeatures)
        z_t = teacher_head(T)            self-teacher logits
        L = decode losses [+ aux heads] + CE(z_t)
            + w(t) · (loss_kd(z_s, z_t.detach()) + loss_feat(S, T.detach()))

    A segmentor class is this mixin before an mmseg segmentor
    (``class FRSKDEncoderDecoder(FRSKDMixin, EncoderDecoder)``), which
    names its distilled head (:attr:`distilled_head`) and runs its decoder
    up to it at inference (:meth:`_decode_to_distilled_head`). The student's
    losses are the mmseg segmentor's own (``_decode_head_forward_train``),
    read through a :class:`HeadTap`: the student trains, draws random
    numbers and updates its norm statistics exactly as its baseline twin.

    ``self_teacher_input`` says where the self-teacher reads:

    - ``'decoder'`` (default): downstream of the student's decoder (the
      official segmentation layout). ``D`` replaces the deepest level the
      distilled head reads, ``F_k``: the self-teacher refines
      ``F_1..F_{k-1}, D``; a backbone that gives one map at inference
      (PIDNet, DDRNet) gives ``D`` alone. The default teacher head is the
      student's own kind of classifier (a 1x1 conv) on the refined ``D``.
    - ``'backbone'``: the student's feature levels ``F`` (a branch beside
      the decode head, the classification code's layout).
    - ``'neck'``: the same levels ``F`` for a student whose neck is its
      decoder (the paper's EfficientDet model); the model must have a neck.

    How the self-teacher, its head and the feature loss are derived from the
    student is :mod:`.teacher_configs`; which students are trained,
    :mod:`.supported_students`. The build measures the maps the self-teacher
    reads with one forward of a blank image in eval mode (64 x 64, or the
    size the data preprocessor pads to), and freezes the self-teacher
    parameters no loss reaches (the bottom-up path when the head reads T1
    only).

    ``g`` scales the gradient of the self-teacher's losses on their way into
    the student (``teacher_grad_scale``: 1 as in the official code, 0 detaches
    what it reads). ``w(t)`` is the :class:`DistillSchedule`, read at each
    step from mmengine's ``MessageHub``.

    Pairing with the baseline twin: everything of the self-teacher (building
    it, initialising it, its dropout) draws from a random stream of its own
    (:class:`PrivateRNG`), so with the same seed the student starts from
    exactly the twin's weights and sees the same batches.

    ``predict``/``inference``/``_forward`` are the mmseg segmentor's and run
    the student only. With ``evaluate_teacher``, ``predict`` also stores the
    self-teacher's prediction in each sample's ``pred_teacher_sem_seg``
    (scored by ``FRSKDIoUMetric(pred_key='pred_teacher_sem_seg')``).

    Loss keys: mmseg's (``decode.*``, ``aux.*``), ``teacher.*`` (the
    self-teacher head's losses), ``distill.<loss_name>`` for each weighted
    distillation term, and ``distill.weight`` (w(t), logged only).

    Args:
        self_teacher (dict): Config of the self-teacher, e.g.
            ``dict(type='SelfTeacherNeck')``; it returns
            :class:`RefinedFeatures`. Its ``in_channels`` default to the
            channels of what it reads; given ones are checked against them.
        teacher_head (dict, optional): The self-teacher's decode head. None:
            the light classifier on the last refined level (``'decoder'``),
            or a copy of the decode head (``'backbone'``, ``'neck'``, when
            :attr:`COPIES_DECODE_HEAD`). A dict without ``type`` updates that
            default (e.g. ``dict(in_index=0)``); one with ``type`` is used as
            is. ``in_channels`` follow the self-teacher unless given.
        self_teacher_input (str): ``'decoder'``, ``'backbone'`` or
            ``'neck'`` (above).
        teacher_grad_scale (float): ``g`` in [0, 1] (1: official).
        evaluate_teacher (bool): ``predict`` also gives the self-teacher's
            prediction (validation only; deployment drops the self-teacher).
        loss_kd (dict, optional): Logit distillation; None disables it.
            Official: ``PixelKLDivLoss`` with τ = 1, α = 1.
        loss_feat (dict, optional): Feature distillation; None disables it.
            Official: ``AttentionTransferLoss`` with β = 50; the paper's
            ablations ``FitNetLoss`` and ``OverhaulLoss``.
        distill_schedule (dict, optional): The weights' schedule, e.g.
            ``dict(type='DistillSchedule', warmup=2/3, rampup=1/3)``; None:
            constant weights.
        distill_warmup_iters, distill_rampup_iters, distill_warmup_epochs,
        distill_rampup_epochs: Deprecated: the schedule's lengths, now
            ``distill_schedule`` (a ``FutureWarning`` says what to write).
        **student: The mmseg segmentor's arguments (backbone, decode_head,
            neck, auxiliary_head, train_cfg, test_cfg, ...).
    """

    #: the modules that exist for training only (not in the deployed model)
    TEACHER_SIDE = ('self_teacher', 'teacher_head', 'loss_kd', 'loss_feat')
    #: whether ``decode_head`` is a list of cascade stages
    CASCADE = False
    #: the default teacher head with ``self_teacher_input='backbone'`` is a
    #: copy of the decode head (False: the light classifier)
    COPIES_DECODE_HEAD = True
    #: the keys this mixin takes (the rest go to the mmseg segmentor)
    FRSKD_KEYS = ('self_teacher', 'teacher_head', 'self_teacher_input',
                  'teacher_grad_scale', 'evaluate_teacher', 'loss_kd',
                  'loss_feat', 'distill_schedule', 'distill_warmup_iters',
                  'distill_rampup_iters', 'distill_warmup_epochs',
                  'distill_rampup_epochs')

    def __init__(self,
                 self_teacher: ConfigType,
                 teacher_head: OptConfigType = None,
                 self_teacher_input: str = 'decoder',
                 teacher_grad_scale: float = 1.0,
                 evaluate_teacher: bool = False,
                 loss_kd: OptConfigType = dict(
                     type='PixelKLDivLoss', tau=1.0, loss_weight=1.0),
                 loss_feat: OptConfigType = dict(
                     type='AttentionTransferLoss', p=2, loss_weight=50.0),
                 distill_schedule: OptConfigType = None,
                 distill_warmup_iters: Optional[int] = None,
                 distill_rampup_iters: Optional[int] = None,
                 distill_warmup_epochs: Optional[int] = None,
                 distill_rampup_epochs: Optional[int] = None,
                 **student):
        mro = type(self).__mro__
        check_student_args(type(self), mro[mro.index(FRSKDMixin) + 1],
                           student, self.FRSKD_KEYS)
        if self_teacher_input not in SELF_TEACHER_INPUTS:
            raise ValueError(
                f'self_teacher_input must be one of {SELF_TEACHER_INPUTS}, '
                f'got {self_teacher_input!r}')
        if not (isinstance(teacher_grad_scale, (int, float))
                and 0 <= teacher_grad_scale <= 1):
            raise ValueError('teacher_grad_scale must be a number in [0, 1],'
                             f' got {teacher_grad_scale!r}')
        if self_teacher is None:
            raise ValueError(f'{type(self).__name__} needs a self_teacher '
                             "config, e.g. dict(type='SelfTeacherNeck', ...)")
        self.distill_schedule = build_distill_schedule(
            distill_schedule, distill_warmup_iters=distill_warmup_iters,
            distill_rampup_iters=distill_rampup_iters,
            distill_warmup_epochs=distill_warmup_epochs,
            distill_rampup_epochs=distill_rampup_epochs)
        super().__init__(**student)
        if self_teacher_input == 'neck' and not self.with_neck:
            raise ValueError(
                "self_teacher_input='neck' refines the student's neck "
                f'outputs, but this {type(self).__name__} has no neck: use '
                "'backbone' (its backbone levels) or 'decoder'")
        self.self_teacher_input = self_teacher_input
        self.teacher_grad_scale = float(teacher_grad_scale)
        self.evaluate_teacher = bool(evaluate_teacher)
        self._predict_teacher = False
        self._one_map_backbone = False
        self._warned_short_run = False
        self.teacher_rng = PrivateRNG(
            (torch.initial_seed() + _TEACHER_SEED_OFFSET) % 2**63)
        with self.teacher_rng:  # even the probe: some heads draw (SegNeXt)
            reads = self._probe_reads()
            channels = [int(f.shape[1]) for f in reads]
            self.self_teacher = MODELS.build(self_teacher_cfg(
                self_teacher, channels, self._reads_description()))
            self.teacher_head = MODELS.build(teacher_head_cfg(
                self._distilled_head_cfg(student['decode_head']),
                teacher_head, self.self_teacher.out_channels,
                self.self_teacher_input != 'decoder'
                and self.COPIES_DECODE_HEAD))
            check_teacher_head(self.teacher_head)
            self.loss_kd = MODELS.build(
                loss_kd) if loss_kd is not None else None
            self.loss_feat = MODELS.build(loss_feat_cfg(
                loss_feat, channels, self.self_teacher.out_channels,
                self_teacher.get('norm_cfg'))) if loss_feat is not None else None
        check_feature_loss(self.loss_feat, self.self_teacher)
        self._freeze_untaught_self_teacher(reads)

    # -- what the subclass says about its student --------------------------
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

    # -- build --------------------------------------------------------------
    def _probe_reads(self) -> List[Tensor]:
        """The maps the self-teacher reads (detached), from one forward of a
        blank image in eval mode at the size the data preprocessor pads to
        (the size the student trains at: BEiT's position tables, LRASPP's
        pooling need it), else :data:`PROBE_SIZE`."""
        size = getattr(self.data_preprocessor, 'size', None) or PROBE_SIZE
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                feats = self.extract_feat(torch.zeros(1, 3, *size))
                # PIDNet, DDRNet: one map at inference, others in training
                self._one_map_backbone = isinstance(feats, Tensor)
                if self._one_map_backbone and \
                        self.self_teacher_input != 'decoder':
                    raise UnsupportedStudentError(
                        f'{type(self.backbone).__name__} gives one feature '
                        'map at inference (and other maps in training), so '
                        'there are no levels for self_teacher_input='
                        f"'{self.self_teacher_input}' to refine: use "
                        "'decoder'")
                return self.student_forward(feats)[1]
        finally:
            self.train(was_training)

    def _reads_description(self) -> str:
        if self.self_teacher_input == 'decoder':
            return "the decode head's map and the backbone levels below it"
        return f'its backbone{" + neck" if self.with_neck else ""}'

    def _freeze_untaught_self_teacher(self, reads: List[Tensor]) -> None:
        # Only the self-teacher's CE trains the self-teacher (the
        # distillation targets are detached): parameters it does not reach
        # (the bottom-up path when the head reads T1 only) would keep their
        # initial values anyway, and frozen they spare DDP
        # find_unused_parameters. Found by one dry forward in eval mode (no
        # random draws) on what the build's probe read.
        was_training = self.training
        self.eval()
        try:
            with torch.enable_grad():
                logits, _ = self.teacher_forward(reads)
                params = [p for p in self.self_teacher.parameters()
                          if p.requires_grad]
                grads = torch.autograd.grad(logits.sum(), params,
                                            allow_unused=True)
        finally:
            self.train(was_training)
        for param, grad in zip(params, grads):
            if grad is None:
                param.requires_grad_(False)

    def init_weights(self):
        """The student's weights from the global random stream, exactly as
        its baseline twin's; the self-teacher's from its own stream."""
        teacher_side = [getattr(self, name) for name in self.TEACHER_SIDE]
        teacher_side = [m for m in teacher_side if isinstance(m, BaseModule)]
        for module in teacher_side:  # the segmentor's init skips them
            module._is_init = True
        super().init_weights()
        with self.teacher_rng:
            for module in teacher_side:
                module._is_init = False
                module.init_weights()

    # -- what the self-teacher reads -----------------------------------------
    def _reads(self, feats, tap: HeadTap) -> List[Tensor]:
        """The self-teacher's input maps: ``feats`` (``'backbone'``,
        ``'neck'``), or the levels below the deepest one the distilled head
        reads and the map it classified (``'decoder'``)."""
        if self.self_teacher_input != 'decoder':
            return _level_maps(feats)
        if self._one_map_backbone:  # D alone
            return [tap.classified_map()]
        levels = _level_maps(feats)
        in_index = self.distilled_head.in_index
        indices = in_index if isinstance(in_index, Sequence) else [in_index]
        deepest = max(i % len(levels) for i in indices) if levels else 0
        return [*levels[:deepest], tap.classified_map()]

    def student_forward(self, feats):
        """The student's decoder run as at inference, up to the distilled
        head: its logits (B, K, h, w) and the self-teacher's input maps."""
        with HeadTap(self.distilled_head) as tap:
            self._decode_to_distilled_head(feats)
        return tap.logits(), self._reads(feats, tap)

    def feature_channels(self) -> List[int]:
        """Channels of the maps the self-teacher reads."""
        return list(self.self_teacher.in_channels)

    # -- training ------------------------------------------------------------
    @property
    def current_distill_weight(self) -> float:
        """w of the iteration (or epoch) being run, from the
        :class:`DistillSchedule` and mmengine's ``MessageHub`` (``'iter'`` /
        ``'epoch'``, 0 outside a training loop; the run's length from
        ``'max_iters'`` / ``'max_epochs'``). Warns once when the run ends
        before the schedule's ramp-up does."""
        hub = MessageHub.get_current_instance()
        schedule = self.distill_schedule
        unit = 'epoch' if schedule.by_epoch else 'iter'
        run_length = hub.get_info(f'max_{unit}s')
        if run_length is not None and not self._warned_short_run:
            self._warned_short_run = True
            warning = schedule.short_run_warning(run_length)
            if warning:
                print_log(warning, logger='current', level=logging.WARNING)
        return schedule.weight(hub.get_info(unit, 0), run_length)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Student losses (mmseg's keys) + self-teacher CE + distillation.

        Args:
            inputs (Tensor): Images, (B, 3, H, W).
            data_samples (list[SegDataSample]): With ``gt_sem_seg``.

        Returns:
            dict[str, Tensor]: Loss terms (summed by mmengine where the key
            contains 'loss') and logged values.
        """
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
        losses.update(add_prefix(
            self._distill_losses(reads, refined, student_logits,
                                 teacher_logits, data_samples), 'distill'))
        return losses

    def teacher_forward(self, reads: Sequence[Tensor]):
        """The self-teacher's logits (B, K, H_t, W_t) and its
        :class:`RefinedFeatures`."""
        _, logits, refined = self._teacher_outputs(reads)
        return logits, refined

    def _teacher_outputs(self, reads: Sequence[Tensor]):
        """What the teacher head returned (for its ``loss_by_feat``), its
        logits and the refined features. The gradient into ``reads`` is
        scaled by ``teacher_grad_scale``."""
        refined = self.self_teacher(
            [scale_grad(x, self.teacher_grad_scale) for x in reads])
        if not isinstance(refined, RefinedFeatures):  # any tuple of maps
            refined = RefinedFeatures(refined)
        with HeadTap(self.teacher_head) as tap:
            out = self.teacher_head(refined)
        return out, tap.logits(), refined

    def _distill_losses(self, reads: Sequence[Tensor],
                        refined: RefinedFeatures, student_logits: Tensor,
                        teacher_logits: Tensor,
                        data_samples: SampleList) -> dict:
        weight = self.current_distill_weight
        zero = student_logits.new_zeros((), dtype=torch.float32)
        losses = dict(weight=zero + weight)
        # During the warm-up both terms are exactly 0: skip computing them.
        if self.loss_kd is not None:
            if weight > 0:
                seg_label = torch.stack(
                    [s.gt_sem_seg.data for s in data_samples])
                losses[self.loss_kd.loss_name] = weight * self.loss_kd(
                    student_logits, teacher_logits, seg_label)
            else:
                losses[self.loss_kd.loss_name] = zero
        if self.loss_feat is not None:
            # a loss with learned adapters (FitNet, Overhaul) runs during the
            # warm-up too, at weight 0: DDP needs every parameter in the graph
            learned = any(p.requires_grad for p in self.loss_feat.parameters())
            losses[self.loss_feat.loss_name] = weight * self.loss_feat(
                list(reads), refined) if weight > 0 or learned else zero
        return losses

    # -- inference -----------------------------------------------------------
    def predict(self, inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """The mmseg segmentor's prediction of the student; with
        ``evaluate_teacher``, also the self-teacher's, in each sample's
        ``pred_teacher_sem_seg``."""
        results = super().predict(inputs, data_samples)
        if not self.evaluate_teacher:
            return results
        self._predict_teacher = True
        try:
            teacher = super().predict(
                inputs, [SegDataSample(metainfo=r.metainfo)
                         for r in results])
        finally:
            self._predict_teacher = False
        for result, t in zip(results, teacher):
            result.pred_teacher_sem_seg = PixelData(
                data=t.pred_sem_seg.data)
        return results

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """The mmseg segmentor's, or the self-teacher's logits at the input
        size while :meth:`predict` evaluates the self-teacher (so mmseg's
        whole/slide inference serves both)."""
        if not self._predict_teacher:
            return super().encode_decode(inputs, batch_img_metas)
        _, reads = self.student_forward(self.extract_feat(inputs))
        with self.teacher_rng:
            logits, _ = self.teacher_forward(reads)
        return resize(logits, size=inputs.shape[2:], mode='bilinear',
                      align_corners=self.align_corners)

    def student_state_dict(self) -> dict:
        """State dict of the student alone (no ``self_teacher.*``,
        ``teacher_head.*`` or loss modules): what the plain mmseg segmentor
        with the same backbone/neck/heads loads."""
        dropped = tuple(f'{name}.' for name in self.TEACHER_SIDE)
        return {
            k: v
            for k, v in self.state_dict().items() if not k.startswith(dropped)
        }


def _level_maps(feats) -> List[Tensor]:
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
