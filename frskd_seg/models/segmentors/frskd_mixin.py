"""The FRSKD training logic, one copy for every segmentor it trains
(docs/method.md)."""
from typing import List, Optional, Sequence

import torch
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
from .self_teacher_reads import (decoder_reads, freeze_untaught, level_maps,
                                 probe)
from .supported_students import (check_feature_loss, check_frskd_args,
                                 check_student_args, check_teacher_head,
                                 check_view_terms)
from .teacher_configs import (loss_feat_cfg, self_teacher_cfg,
                              teacher_head_cfg, updated_default,
                              with_teacher_widths)

#: offset of the self-teacher's random stream from the run's seed
_TEACHER_SEED_OFFSET = 0x5E1F7EAC
#: the size of the blank image the build measures the student with, unless
#: its data preprocessor pads to another (the size it trains at)
PROBE_SIZE = (64, 64)
#: the distillation terms' default forms (a config's ``loss_kd``/``loss_feat``
#: without ``type`` updates these): the official KL, the one a ``loss_kd``
#: dict turns on (the recipe leaves it off, below), and attention transfer
#: at twice the official beta = 50, the paired study's choice
DEFAULT_LOSS_KD = dict(type='PixelKLDivLoss', tau=1.0, loss_weight=1.0,
                       resolution='label')
DEFAULT_LOSS_FEAT = dict(type='AttentionTransferLoss', p=2, loss_weight=100.0)


class FRSKDMixin:
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

    A segmentor class is this mixin before an mmseg segmentor
    (``class FRSKDEncoderDecoder(FRSKDMixin, EncoderDecoder)``) that names its
    distilled head (:attr:`distilled_head`: the one it predicts with) and runs
    its decoder up to it (:meth:`_decode_to_distilled_head`). The student's
    losses are mmseg's own, read through a :class:`HeadTap`, and everything of
    the self-teacher draws from a stream of its own (:class:`PrivateRNG`):
    with ``teacher_grad_scale=0`` (or ``teacher_grad_schedule='distill'``)
    the student trains exactly as its baseline twin until distillation
    starts. Configs derived from the student:
    :mod:`.teacher_configs`; students refused: :mod:`.supported_students`.
    The build measures what the self-teacher reads with one eval-mode forward
    of a blank image (the data preprocessor's size, else 64 x 64) and freezes
    self-teacher parameters no loss reaches. ``predict`` runs the student;
    with ``evaluate_teacher`` it adds the self-teacher's prediction as
    ``pred_teacher_sem_seg``. Loss keys: mmseg's, ``teacher.*``,
    ``distill.<loss_name>`` and ``distill.weight`` (logged only).

    Args:
        self_teacher (dict): The self-teacher, e.g. ``dict(type=
            'SelfTeacherNeck')``; ``in_channels`` are measured (or checked).
        teacher_head (dict, optional): None: the light classifier on the
            finest refined level T1 (``'decoder'``; the paired study's
            choice) or a copy of the decode head (else, with
            :attr:`COPIES_DECODE_HEAD`; else the light classifier on the
            deepest level); a dict without ``type`` updates that default, one
            with ``type`` replaces it.
        self_teacher_input (str): ``'decoder'`` (downstream of the decoder),
            ``'backbone'`` or ``'neck'`` (docs/method.md, Placement).
        teacher_grad_scale (float): g in [0, 1] on the gradient the
            self-teacher's CE sends into the student through what it reads
            (official 1; default 0, detached: the student then trains
            exactly as its twin until distillation starts. The paired study
            chose it on the pretrained student's val split, README section
            8; 0.5 had the higher mean from scratch).
        teacher_grad_schedule (str): ``'constant'`` (official): g at every
            step; ``'distill'``: g · w(t), the distillation weight of the
            step, so that nothing of the self-teacher reaches the student
            before distillation starts (the student trains exactly as its
            twin until then, as with g = 0) and it reaches it in full from
            the ramp's end.
        evaluate_teacher (bool): ``predict`` also gives the self-teacher's.
        loss_kd (dict, optional): Logit distillation; None (the default):
            off, the paired study's choice on its validation split (README,
            section 8: on its proxy the KL costs the student what attention
            transfer gives it). A dict without ``type`` turns on the
            official form, ``DEFAULT_LOSS_KD``: the KL on both logits
            upsampled to the input size.
        loss_feat (dict, optional): Feature distillation (None: off);
            default attention transfer at beta = 100 (official 50; the
            paired study's choice). A ``loss_kd``/``loss_feat`` without
            ``type`` updates its default.
        distill_view (dict, optional): A second view of each batch (e.g.
            ``dict(type='RandomZoomView')``) on which the student gets no
            CE and learns from its self-teacher alone, by the distillation
            terms ``view_terms`` (``distill.<loss_name>_view``); None: off.
        view_terms (Sequence[str], optional): The terms applied on the view:
            ``'kd'`` (``loss_kd``) and/or ``'feat'`` (``loss_feat``); None:
            every term that is on.
        distill_schedule (dict, optional): A :class:`DistillSchedule`
            config; None: the official proportions (``DEFAULT_SCHEDULE``:
            warm-up 2/3, ramp-up 1/3 of the run; ``dict(type=
            'DistillSchedule')``: constant weights).
        distill_warmup_iters, distill_rampup_iters, distill_warmup_epochs,
        distill_rampup_epochs: Deprecated (``distill_schedule``).
        **student: The mmseg segmentor's arguments.
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
                  'teacher_grad_scale', 'teacher_grad_schedule',
                  'evaluate_teacher', 'loss_kd',
                  'loss_feat', 'distill_schedule', 'distill_view',
                  'view_terms', 'distill_warmup_iters',
                  'distill_rampup_iters', 'distill_warmup_epochs',
                  'distill_rampup_epochs')

    def __init__(self,
                 self_teacher: OptConfigType = None,
                 teacher_head: OptConfigType = None,
                 self_teacher_input: str = 'decoder',
                 teacher_grad_scale: float = 0.0,
                 teacher_grad_schedule: str = 'constant',
                 evaluate_teacher: bool = False,
                 loss_kd: OptConfigType = None,
                 loss_feat: OptConfigType = DEFAULT_LOSS_FEAT,
                 distill_schedule: OptConfigType = None,
                 distill_view: OptConfigType = None,
                 view_terms: Optional[Sequence[str]] = None,
                 distill_warmup_iters: Optional[int] = None,
                 distill_rampup_iters: Optional[int] = None,
                 distill_warmup_epochs: Optional[int] = None,
                 distill_rampup_epochs: Optional[int] = None,
                 **student):
        mro = type(self).__mro__
        check_student_args(type(self), mro[mro.index(FRSKDMixin) + 1],
                           student, self.FRSKD_KEYS)
        check_frskd_args(type(self).__name__, self_teacher,
                         self_teacher_input, teacher_grad_scale,
                         teacher_grad_schedule)
        self.distill_schedule = build_distill_schedule(
            distill_schedule, distill_warmup_iters=distill_warmup_iters,
            distill_rampup_iters=distill_rampup_iters,
            distill_warmup_epochs=distill_warmup_epochs,
            distill_rampup_epochs=distill_rampup_epochs)
        self.distill_view = None if distill_view is None else MODELS.build(
            distill_view)
        super().__init__(**student)
        if self_teacher_input == 'neck' and not self.with_neck:
            raise ValueError(
                "self_teacher_input='neck' refines the student's neck "
                f'outputs, but this {type(self).__name__} has no neck: use '
                "'backbone' (its backbone levels) or 'decoder'")
        self.self_teacher_input = self_teacher_input
        self.teacher_grad_scale = float(teacher_grad_scale)
        self.teacher_grad_schedule = teacher_grad_schedule
        self.evaluate_teacher = bool(evaluate_teacher)
        self._predict_teacher = False
        self._one_map_backbone = False
        self.teacher_rng = PrivateRNG(
            (torch.initial_seed() + _TEACHER_SEED_OFFSET) % 2**63)
        size = getattr(self.data_preprocessor, 'size', None) or PROBE_SIZE
        with self.teacher_rng:  # even the probe: some heads draw (SegNeXt)
            self._one_map_backbone, reads = probe(self, size)
            channels = [int(f.shape[1]) for f in reads]
            head_cfg = teacher_head_cfg(
                self._distilled_head_cfg(student['decode_head']),
                teacher_head, self.self_teacher_input != 'decoder'
                and self.COPIES_DECODE_HEAD,
                # downstream of the decoder: the finest refined level T1
                level=0 if self.self_teacher_input == 'decoder' else -1)
            self.self_teacher = MODELS.build(self_teacher_cfg(
                self_teacher, channels, self._reads_description(),
                head_cfg.get('in_index', -1)))
            self.teacher_head = MODELS.build(with_teacher_widths(
                head_cfg, teacher_head, self.self_teacher.out_channels))
            check_teacher_head(self.teacher_head)
            loss_kd = updated_default(loss_kd, DEFAULT_LOSS_KD)
            loss_feat = updated_default(loss_feat, DEFAULT_LOSS_FEAT)
            self.loss_kd = MODELS.build(
                loss_kd) if loss_kd is not None else None
            self.loss_feat = None if loss_feat is None else MODELS.build(
                loss_feat_cfg(loss_feat, channels,
                              self.self_teacher.out_channels,
                              self_teacher.get('norm_cfg')))
        check_feature_loss(self.loss_feat, self.self_teacher)
        self.view_terms = check_view_terms(view_terms, self.distill_view,
                                           self.loss_kd, self.loss_feat)
        was_training = self.training
        self.eval()
        try:
            freeze_untaught(self.self_teacher,
                            lambda: self.teacher_forward(reads)[0])
        finally:
            self.train(was_training)

    def extra_repr(self) -> str:
        """The segmentor's own settings (not modules), for ``print(model)``
        and the gain study's cache key."""
        # the schedule is named only where it is not the official constant,
        # so that the runs cached before it existed keep their keys
        schedule = ('' if self.teacher_grad_schedule == 'constant' else
                    f'teacher_grad_schedule={self.teacher_grad_schedule!r}, ')
        return (f'self_teacher_input={self.self_teacher_input!r}, '
                f'teacher_grad_scale={self.teacher_grad_scale}, '
                + schedule +
                f'distill_schedule={self.distill_schedule!r}, '
                f'distill_view={self.distill_view!r}, '
                f'view_terms={self.view_terms}')

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
    def _reads_description(self) -> str:
        if self.self_teacher_input == 'decoder':
            return "the decode head's map and the backbone levels below it"
        return f'its backbone{" + neck" if self.with_neck else ""}'

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
            return level_maps(feats)
        levels = [] if self._one_map_backbone else level_maps(feats)
        return decoder_reads(levels, self.distilled_head.in_index,
                             tap.classified_map())

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
        """w of the iteration (or epoch) being run
        (:meth:`DistillSchedule.current`)."""
        return self.distill_schedule.current()

    @property
    def current_teacher_grad_scale(self) -> float:
        """The factor on the gradient the self-teacher's CE sends into the
        student at this step: g, times w(t) with
        ``teacher_grad_schedule='distill'``."""
        if self.teacher_grad_schedule == 'distill':
            return self.teacher_grad_scale * self.current_distill_weight
        return self.teacher_grad_scale

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
                reads, self.current_teacher_grad_scale)
        losses.update(add_prefix(
            self.teacher_head.loss_by_feat(teacher_out, data_samples),
            'teacher'))
        losses.update(add_prefix(
            self._distill_losses(reads, refined, student_logits,
                                 teacher_logits, data_samples), 'distill'))
        if self.distill_view is not None:
            losses.update(add_prefix(self._view_losses(inputs), 'distill'))
        return losses

    def _view_losses(self, inputs: Tensor) -> dict:
        """w(t) · the ``view_terms`` on a second view of the batch
        (``distill_view``), where no label reaches the student: it learns
        from the self-teacher alone. Nothing runs while w = 0; every random
        draw of it (the view, the student's dropout on it) uses the
        self-teacher's stream, so the run's own stream -- its batches --
        stay its twin's."""
        terms = {'kd': self.loss_kd, 'feat': self.loss_feat}
        names = {t: f'{terms[t].loss_name}_view' for t in self.view_terms}
        weight = self.current_distill_weight
        if weight == 0:
            zero = inputs.new_zeros((), dtype=torch.float32)
            return {name: zero for name in names.values()}
        with self.teacher_rng:
            view = self.distill_view(inputs)
            student_logits, reads = self.student_forward(
                self.extract_feat(view))
            with torch.no_grad():  # both terms detach the self-teacher
                teacher_logits, refined = self.teacher_forward(reads)
        losses = {}
        if 'kd' in names:
            # every pixel counts as labelled (a resolution='label' KL needs
            # the input size; pixels='void' has no void pixel to take here)
            labels = view.new_zeros((view.shape[0], 1, *view.shape[2:]),
                                    dtype=torch.long)
            losses[names['kd']] = weight * self.loss_kd(
                student_logits, teacher_logits, labels)
        if 'feat' in names:
            losses[names['feat']] = weight * self.loss_feat(
                list(reads), refined)
        return losses

    def teacher_forward(self, reads: Sequence[Tensor]):
        """The self-teacher's logits (B, K, H_t, W_t) and its
        :class:`RefinedFeatures` (the gradient into ``reads`` scaled by
        ``teacher_grad_scale``; outside ``loss`` nothing of it reaches the
        student)."""
        _, logits, refined = self._teacher_outputs(reads,
                                                   self.teacher_grad_scale)
        return logits, refined

    def _teacher_outputs(self, reads: Sequence[Tensor], scale: float):
        """What the teacher head returned (for its ``loss_by_feat``), its
        logits and the refined features. The gradient into ``reads`` is
        scaled by ``scale``."""
        refined = self.self_teacher([scale_grad(x, scale) for x in reads])
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
