"""The FRSKD training logic, one copy for every segmentor it trains
(FRSKD_SPEC §1, §3, §4, §5)."""
import copy
import inspect
import logging
from numbers import Integral
from typing import List, Optional, Sequence

import torch
from mmengine.logging import MessageHub, print_log
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.models.decode_heads.cascade_decode_head import \
    BaseCascadeDecodeHead
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.knet_head import IterativeDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptSampleList, SampleList
from mmseg.utils import add_prefix
from ..utils import (PrivateRNG, distill_weight, distill_weight_by_epoch,
                     scale_grad)
from .head_tap import HeadTap
from .unsupported import UnsupportedStudentError

#: where the self-teacher reads (``self_teacher_input``)
SELF_TEACHER_INPUTS = ('backbone', 'neck', 'decoder')
#: offset of the self-teacher's random stream from the run's seed
_TEACHER_SEED_OFFSET = 0x5E1F7EAC
#: the decode-head losses that are the head's forward + loss_by_feat, so the
#: logits that forward returns are those its CE trains
_FORWARD_THEN_LOSS = (BaseDecodeHead.loss, BaseCascadeDecodeHead.loss)


class FRSKDMixin:
    """FRSKD for an mmseg segmentor (the student): builds the self-teacher and
    its head, and trains them with the student.

    Training, per step (spec §4)::

        F = extract_feat(x)              student features F_1..F_n
        decode losses                    mmseg's own, each head run once;
                                         from the distilled head (the one
                                         the model predicts with):
          z_s                            its logits
          D                              the map its cls_seg classifies
        S = what the self-teacher reads  F (backbone), F_1..F_k-1, D (decoder)
        T = self_teacher(g(S))           refined features
        z_t = teacher_head(T)            self-teacher logits
        L = decode losses [+ aux heads] + CE(z_t)
            + w(iter) · (loss_kd(z_s, z_t.detach()) + loss_feat(S, T.detach()))

    A segmentor class is this mixin before an mmseg segmentor
    (``class FRSKDEncoderDecoder(FRSKDMixin, EncoderDecoder)``), which
    names its distilled head (:attr:`distilled_head`) and runs its decoder
    up to it at inference (:meth:`_decode_to_distilled_head`). The student's
    losses are the mmseg segmentor's own (``_decode_head_forward_train``),
    read through a :class:`HeadTap`: the student trains, draws random
    numbers and updates its norm statistics exactly as its baseline twin.

    ``self_teacher_input`` says where the self-teacher reads:

    - ``'decoder'`` (default): the official *segmentation* layout, downstream
      of the student's decoder. ``D`` (the map the distilled head's
      ``cls_seg`` classifies) replaces the deepest level that head reads,
      ``F_k``: the self-teacher refines ``F_1..F_{k-1}, D``; a backbone that
      gives one map at inference (PIDNet, DDRNet) gives ``D`` alone. The
      default teacher head is a light classifier -- the student's own kind,
      a 1x1 conv -- on the refined ``D``: the self-teacher is the student
      plus refinement.
    - ``'backbone'``: the student's feature levels ``F`` (the classification
      code's layout: a branch beside the student's decode head).
    - ``'neck'``: the same levels ``F``, for a student whose neck is its
      decoder (the paper's segmentation model: EfficientDet's FPN + BiFPN,
      whose outputs the official self-teacher refines); the model must have
      a neck.

    Self-teacher parameters no loss can reach (the bottom-up path when the
    head reads T1 only) are frozen at build.

    ``g`` scales the gradient of the self-teacher's CE on its way into the
    student (``teacher_grad_scale``: 1 as in the official code, 0 detaches
    the self-teacher's inputs so only the distillation terms change the
    student). ``w(iter)`` is the spec §5 schedule (:func:`distill_weight`),
    read from mmengine's ``MessageHub``; in epochs, as the official script
    steps it, with ``distill_warmup_epochs``/``distill_rampup_epochs``
    (:func:`distill_weight_by_epoch`, for an ``EpochBasedTrainLoop``).

    Pairing with the baseline twin: everything of the self-teacher (building
    it, initialising it, its dropout) draws from a random stream of its own
    (:class:`PrivateRNG`), so with the same seed the student starts from
    exactly the twin's weights and sees the same batches.

    ``predict``/``inference``/``_forward`` are the mmseg segmentor's and run
    the student only, so a trained model predicts exactly like the plain
    segmentor holding the same student weights. With ``evaluate_teacher``,
    ``predict`` also stores the self-teacher's prediction in each data
    sample's ``pred_teacher_sem_seg`` (scored by
    ``FRSKDIoUMetric(pred_key='pred_teacher_sem_seg')``).

    Loss keys: mmseg's (``decode.*``, ``aux.*``), ``teacher.*`` (the
    self-teacher head's losses), ``distill.<loss_name>`` for each weighted
    distillation term, and ``distill.weight`` (w(iter), logged only).

    Args:
        self_teacher (dict): Config of the self-teacher neck, e.g.
            ``dict(type='SelfTeacherNeck')``. Its ``in_channels`` default
            to the channels of what it reads (measured by one small forward
            at build); given ones are checked against them.
        teacher_head (dict, optional): Config of the self-teacher's decode
            head. None: the light classifier on the refined decoder map
            (``'decoder'``), or (``'backbone'``, ``'neck'``) a copy of the
            decode head
            (:attr:`COPIES_DECODE_HEAD`; else the light classifier on the
            deepest refined level). A dict without ``type``: that default
            updated with these keys (e.g. ``dict(in_index=0)``). A dict with
            ``type``: used as is (any non-cascade mmseg decode head). Unless
            given, ``in_channels`` is set from the self-teacher's output
            channels at the head's ``in_index``.
        self_teacher_input (str): ``'decoder'``, ``'backbone'`` or
            ``'neck'`` (above).
        teacher_grad_scale (float): In [0, 1]: the factor on the gradient
            the self-teacher's losses send into the student (1: official).
        evaluate_teacher (bool): ``predict`` also writes the self-teacher's
            prediction (validation only; deployment drops the self-teacher).
        loss_kd (dict, optional): Logit distillation; None disables it.
            Official: ``PixelKLDivLoss`` with τ = 1, α = 1.
        loss_feat (dict, optional): Feature distillation; None disables it.
            Official: ``AttentionTransferLoss`` with β = 50. The paper's
            ablations: ``FitNetLoss`` and ``OverhaulLoss`` (their channels
            are filled in from the student and the self-teacher).
        distill_warmup_iters (int): Iterations with distillation weight 0.
        distill_rampup_iters (int): Iterations of the sigmoid ramp-up after
            the warm-up. 0 and 0: constant weights from the first iteration.
        distill_warmup_epochs (int, optional): The warm-up in epochs instead
            (with ``distill_rampup_epochs``; the iteration lengths must then
            be 0), for an ``EpochBasedTrainLoop`` (tools/train.py refuses
            other loops at config load; a loop of fewer than W + R epochs
            is warned about once).
        distill_rampup_epochs (int, optional): The ramp-up in epochs.
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
                 distill_warmup_iters: int = 0,
                 distill_rampup_iters: int = 0,
                 distill_warmup_epochs: Optional[int] = None,
                 distill_rampup_epochs: Optional[int] = None,
                 **student):
        self._check_student_args(student)
        by_epoch = (distill_warmup_epochs is not None
                    or distill_rampup_epochs is not None)
        lengths = dict(distill_warmup_iters=distill_warmup_iters,
                       distill_rampup_iters=distill_rampup_iters)
        if by_epoch:
            lengths.update(distill_warmup_epochs=distill_warmup_epochs or 0,
                           distill_rampup_epochs=distill_rampup_epochs or 0)
        for name, value in lengths.items():
            if not isinstance(value, Integral) or value < 0:
                raise ValueError(f'{name} must be an int >= 0, got {value!r}')
        if by_epoch and (distill_warmup_iters or distill_rampup_iters):
            raise ValueError(
                'give the distillation schedule in iterations or in epochs, '
                f'not both: got distill_warmup_iters={distill_warmup_iters}, '
                f'distill_rampup_iters={distill_rampup_iters} and '
                f'distill_warmup_epochs={distill_warmup_epochs}, '
                f'distill_rampup_epochs={distill_rampup_epochs}')
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
        self.teacher_rng = PrivateRNG(
            (torch.initial_seed() + _TEACHER_SEED_OFFSET) % 2**63)
        head_cfg = self._distilled_head_cfg(student['decode_head'])
        with self.teacher_rng:  # even the probe: some heads draw (SegNeXt)
            channels, probe_reads = self._probe_student()
            self.self_teacher = MODELS.build(
                self._self_teacher_cfg(self_teacher, channels))
            self.teacher_head = MODELS.build(
                self._teacher_head_cfg(head_cfg, teacher_head))
            self._check_teacher_head(self.teacher_head)
            self.loss_kd = MODELS.build(
                loss_kd) if loss_kd is not None else None
            self.loss_feat = MODELS.build(self._loss_feat_cfg(
                loss_feat, self_teacher)) if loss_feat is not None else None
        levels = getattr(self.loss_feat, 'levels', None)
        num_levels = len(self.self_teacher.out_channels)
        if levels and max(levels) >= num_levels:
            raise ValueError(
                f'loss_feat levels={levels} but the self-teacher refines '
                f'{num_levels} levels (indices 0..{num_levels - 1})')
        self._freeze_untaught_self_teacher(probe_reads)
        self.distill_warmup_iters = int(distill_warmup_iters)
        self.distill_rampup_iters = int(distill_rampup_iters)
        self._warned_short_loop = False
        #: (W, R) in epochs, or None for the schedule in iterations
        self.distill_epochs = (int(distill_warmup_epochs or 0),
                               int(distill_rampup_epochs or 0)) \
            if by_epoch else None

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

    # -- build-time checks ---------------------------------------------------
    def _check_student_args(self, student: dict) -> None:
        # the segmentor this mixin extends, and what it takes
        mro = type(self).__mro__
        base = mro[mro.index(FRSKDMixin) + 1]
        takes = inspect.signature(base.__init__).parameters
        unknown = sorted(set(student) - set(takes))
        if unknown:
            raise UnsupportedStudentError(
                f'{type(self).__name__} trains an mmseg {base.__name__}, '
                f'which does not take {unknown}: FRSKD distils the per-pixel '
                'class logits of EncoderDecoder and CascadeEncoderDecoder '
                'models (multimodal segmentors such as SAN and depth '
                'estimators such as VPD are not supported)')
        decode_head = student.get('decode_head')
        if isinstance(decode_head, (list, tuple)) and not self.CASCADE:
            raise TypeError(
                f'decode_head is a list of {len(decode_head)} cascade stages '
                '(a CascadeEncoderDecoder model: OCRNet, PointRend): write '
                "model = dict(type='FRSKDCascadeEncoderDecoder', ...)")
        if isinstance(decode_head, dict) and self.CASCADE:
            raise TypeError(
                'decode_head is one head (an EncoderDecoder model): write '
                "model = dict(type='FRSKDEncoderDecoder', ...)")
        for cfg in (decode_head if isinstance(decode_head, (list, tuple))
                    else [decode_head]):
            self._check_decode_head_cfg(cfg)

    @staticmethod
    def _check_decode_head_cfg(cfg: ConfigType) -> None:
        head_cls = MODELS.get(cfg['type']) if isinstance(cfg, dict) else None
        if head_cls is None or not inspect.isclass(head_cls):
            return  # mmseg reports unknown types itself
        if issubclass(head_cls, IterativeDecodeHead):
            raise UnsupportedStudentError(
                f"decode_head {cfg['type']} (K-Net) makes its logits by "
                'iterative kernel updates -- one set per stage in training, '
                'with no classifier (cls_seg) on a feature map -- so there is '
                'neither one map for the self-teacher to refine nor one '
                'logit tensor matched to its prediction to distil')
        if issubclass(head_cls, BaseDecodeHead):
            return
        why = (f'a mask-classification head (num_queries='
               f"{cfg['num_queries']}: per-query masks and class scores)"
               if 'num_queries' in cfg else 'not an mmseg BaseDecodeHead')
        raise UnsupportedStudentError(
            f"decode_head {cfg['type']} is {why}: FRSKD distils per-pixel "
            'class logits, which this head does not produce')

    @staticmethod
    def _check_teacher_head(head) -> None:
        # the teacher head's losses are forward() + loss_by_feat()
        if not isinstance(head, BaseDecodeHead) or isinstance(
                head, BaseCascadeDecodeHead):
            raise TypeError('teacher_head must be an mmseg decode head that '
                            'reads feature maps alone (a BaseDecodeHead, not '
                            f'a cascade stage), got {type(head).__name__}')
        if type(head).loss is not BaseDecodeHead.loss:
            raise TypeError(
                f'teacher_head {type(head).__name__} overrides loss(); FRSKD '
                'needs a teacher head whose loss is forward() followed by '
                'loss_by_feat()')

    def _freeze_untaught_self_teacher(self, reads: List[Tensor]) -> None:
        # Only the self-teacher's CE trains the self-teacher (the
        # distillation targets are detached). With its head on T1 the
        # bottom-up path (T2..Tn) only makes feature-distillation targets and
        # no loss reaches it: its parameters are frozen, as they would stay
        # unchanged anyway, so DDP needs no find_unused_parameters. Found by
        # one dry forward of the self-teacher in eval mode (no random draws)
        # on what it read in the build's probe.
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
        teacher_side = {
            name: self._modules.pop(name)
            for name in self.TEACHER_SIDE if name in self._modules
        }
        try:
            super().init_weights()
        finally:
            # they were registered last: appending keeps the module order
            self._modules.update(teacher_side)
        with self.teacher_rng:
            for module in teacher_side.values():
                if module is not None and hasattr(module, 'init_weights'):
                    module.init_weights()

    # -- what the self-teacher reads ------------------------------------
    def _deepest_head_level(self, num_levels: int) -> int:
        if num_levels == 0:
            return 0
        in_index = self.distilled_head.in_index
        indices = in_index if isinstance(in_index, Sequence) else [in_index]
        return max(i % num_levels for i in indices)

    def _reads(self, feats, tap: HeadTap) -> List[Tensor]:
        """The self-teacher's input maps: ``feats`` (``'backbone'``,
        ``'neck'``), or the levels below the deepest one the distilled head
        reads and the map it classified (``'decoder'``)."""
        if self.self_teacher_input != 'decoder':
            return self._level_maps(feats)
        head_map = tap.classified_map()
        levels = [] if self._one_map_backbone else self._level_maps(feats)
        return [*levels[:self._deepest_head_level(len(levels))], head_map]

    @staticmethod
    def _level_maps(feats) -> List[Tensor]:
        """The feature levels as maps (B, C, H, W): a level that is a
        (map, class token) pair -- a ViT backbone's for DPT -- gives its
        map."""
        maps = []
        for i, level in enumerate(feats):
            if not isinstance(level, Tensor):
                level = next((x for x in level if isinstance(x, Tensor)
                              and x.dim() == 4), None)
                if level is None:
                    raise UnsupportedStudentError(
                        f'feature level {i} of the student holds no '
                        '(B, C, H, W) map for the self-teacher to read')
            maps.append(level)
        return maps

    def student_forward(self, feats):
        """The student's decoder run as at inference, up to the distilled
        head.

        Args:
            feats: ``extract_feat``'s output (levels (B, c_i, H_i, W_i)).

        Returns:
            tuple: the distilled head's logits (B, K, h, w) and the
            self-teacher's input maps (:meth:`_reads`).
        """
        with HeadTap(self.distilled_head) as tap:
            self._decode_to_distilled_head(feats)
        return tap.logits(), self._reads(feats, tap)

    def feature_channels(self, image_size: Optional[int] = None) -> List[int]:
        """Channels of the maps the self-teacher reads, measured by one
        forward of a blank image in eval mode (:meth:`_probe_student`)."""
        return self._probe_student(image_size)[0]

    def _probe_student(self, image_size: Optional[int] = None):
        """Channels of the maps the self-teacher reads and those maps
        (detached), from one forward of a blank image in eval mode:
        ``image_size`` square, by default 64 x 64 or, for students that
        need it (BEiT's and MAE's position tables, LRASPP's 49 x 49
        pooling), the size their data preprocessor pads to."""
        sizes = [(image_size, image_size)] if image_size else [(64, 64)]
        crop = getattr(self.data_preprocessor, 'size', None)
        if not image_size and crop:
            sizes.append(tuple(crop))
        for i, size in enumerate(sizes):
            try:
                reads = self._probe_reads(size)
            except UnsupportedStudentError:
                raise
            except Exception:  # noqa: BLE001 -- the next size, or raise
                if i == len(sizes) - 1:
                    raise
                continue
            return [int(f.shape[1]) for f in reads], reads

    def _probe_reads(self, size) -> List[Tensor]:
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                feats = self.extract_feat(torch.zeros(1, 3, *size))
                self._one_map_backbone = isinstance(feats, Tensor)
                if self._one_map_backbone and \
                        self.self_teacher_input != 'decoder':
                    raise UnsupportedStudentError(
                        f'{type(self.backbone).__name__} gives one feature '
                        'map at inference (and other maps in training), so '
                        "there are no levels for self_teacher_input="
                        f"'{self.self_teacher_input}' to refine: use "
                        "'decoder'")
                _, reads = self.student_forward(feats)
        finally:
            self.train(was_training)
        return reads

    def _self_teacher_cfg(self, self_teacher: ConfigType,
                          channels: List[int]) -> ConfigType:
        # The real channels: filled in when the config leaves in_channels
        # out, checked against it otherwise -- so a wrong value fails here,
        # at build, rather than deep in the first step.
        cfg = copy.deepcopy(self_teacher)
        given = cfg.get('in_channels')
        if given is None:
            cfg['in_channels'] = channels
        elif list(given) != channels:
            source = ('the decode head\'s map and the backbone levels below '
                      'it' if self.self_teacher_input == 'decoder' else
                      f'its backbone{" + neck" if self.with_neck else ""}')
            raise ValueError(
                f'self_teacher in_channels={list(given)} does not match the '
                f'student: {source} give {len(channels)} feature maps with '
                f'channels {channels} (leave in_channels out to use them)')
        return cfg

    def _loss_feat_cfg(self, loss_feat: ConfigType,
                       self_teacher: ConfigType) -> ConfigType:
        # losses with learned adapters (FitNet, Overhaul) need both sides'
        # channels, and their norm layers follow the self-teacher's (SyncBN
        # in multi-GPU configs): filled in unless the config gives them
        cfg = copy.deepcopy(loss_feat)
        loss_cls = MODELS.get(cfg['type'])
        if loss_cls is None:
            raise KeyError(f"loss_feat type {cfg['type']!r} is not registered "
                           "in mmseg's MODELS")
        params = inspect.signature(loss_cls.__init__).parameters
        if 'student_channels' in params and cfg.get(
                'student_channels') is None:
            cfg['student_channels'] = self.self_teacher.in_channels
        if 'teacher_channels' in params and cfg.get(
                'teacher_channels') is None:
            cfg['teacher_channels'] = self.self_teacher.out_channels
        if 'norm_cfg' in params and 'norm_cfg' not in cfg and \
                self_teacher.get('norm_cfg') is not None:
            cfg['norm_cfg'] = copy.deepcopy(self_teacher['norm_cfg'])
        return cfg

    def _teacher_head_cfg(self, decode_head: ConfigType,
                          teacher_head: OptConfigType) -> ConfigType:
        teacher_head = copy.deepcopy(teacher_head) or {}
        widths = self.self_teacher.out_channels
        if 'type' in teacher_head:
            cfg = teacher_head
        elif self.self_teacher_input != 'decoder' and \
                self.COPIES_DECODE_HEAD:
            cfg = copy.deepcopy(decode_head)
            cfg.update(teacher_head)
        else:
            cfg = self._light_classifier_cfg(decode_head)
            cfg.update(teacher_head)
        if 'in_channels' not in teacher_head:
            cfg['in_channels'] = self._channels_at(cfg.get('in_index', -1),
                                                   widths)
            if cfg['type'] == 'FCNHead' and cfg.get('num_convs', 2) == 0 \
                    and 'channels' not in teacher_head:
                cfg['channels'] = cfg['in_channels']
        # DeepLabV3+'s head also reads inputs[0] (its low-level features)
        if cfg.get('c1_in_channels') and 'c1_in_channels' not in teacher_head:
            cfg['c1_in_channels'] = widths[0]
        return cfg

    @staticmethod
    def _light_classifier_cfg(decode_head: ConfigType) -> dict:
        # the student's classifier (dropout + 1x1 conv) on one refined level
        # -- the refined decoder map by default: student + refinement
        keep = ['num_classes', 'out_channels', 'threshold', 'dropout_ratio',
                'norm_cfg', 'act_cfg', 'align_corners', 'ignore_index']
        # and its loss, where the head computes it as every mmseg head does
        # (heads with their own loss_by_feat, e.g. PIDNet's and DDRNet's,
        # give their losses special inputs: the classifier gets mmseg's CE)
        head_cls = MODELS.get(decode_head['type'])
        if getattr(head_cls, 'loss_by_feat',
                   None) is BaseDecodeHead.loss_by_feat:
            keep.append('loss_decode')
        cfg = dict(type='FCNHead', in_index=-1, num_convs=0,
                   concat_input=False)
        cfg.update({k: copy.deepcopy(decode_head[k])
                    for k in keep if k in decode_head})
        return cfg

    @staticmethod
    def _channels_at(in_index, channels: Sequence[int]):
        indices = list(in_index) if isinstance(in_index,
                                               Sequence) else [in_index]
        for i in indices:
            if not isinstance(i, Integral) or not -len(channels) <= i < len(
                    channels):
                raise ValueError(
                    f'teacher_head in_index={in_index!r} is out of range for '
                    f'the self-teacher, which outputs {len(channels)} levels '
                    f'with channels {list(channels)}')
        picked = [channels[i] for i in indices]
        return picked if isinstance(in_index, Sequence) else picked[0]

    # -- training --------------------------------------------------------
    @property
    def current_distill_weight(self) -> float:
        """Spec §5 multiplier for the iteration (or epoch) being run
        (``MessageHub`` info ``'iter'``/``'epoch'``, 0 outside a training
        loop)."""
        hub = MessageHub.get_current_instance()
        if self.distill_epochs is None:
            return distill_weight(hub.get_info('iter', 0),
                                  self.distill_warmup_iters,
                                  self.distill_rampup_iters)
        warmup, rampup = self.distill_epochs
        max_epochs = hub.get_info('max_epochs')
        if max_epochs is not None and max_epochs < warmup + rampup and \
                not self._warned_short_loop:
            # a shortened run is legitimate (resumed later with more
            # epochs); an IterBasedTrainLoop ("1 epoch") is not, and
            # tools/train.py refuses it at config load
            self._warned_short_loop = True
            reached = distill_weight_by_epoch(max_epochs - 1, warmup, rampup)
            print_log(
                f'the distillation schedule is in epochs ({warmup} of warm-up'
                f' + {rampup} of ramp-up) but the training loop runs '
                f'{max_epochs} epoch(s): its weights reach only '
                f'{reached:.3g} (an IterBasedTrainLoop runs 1 epoch: use '
                'distill_warmup_iters and distill_rampup_iters there)',
                logger='current', level=logging.WARNING)
        return distill_weight_by_epoch(hub.get_info('epoch', 0), warmup,
                                       rampup)

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
            teacher_out, teacher_logits, feat_targets = \
                self._teacher_outputs(reads)
        losses.update(add_prefix(
            self.teacher_head.loss_by_feat(teacher_out, data_samples),
            'teacher'))
        losses.update(add_prefix(
            self._distill_losses(reads, feat_targets, student_logits,
                                 teacher_logits, data_samples), 'distill'))
        return losses

    def teacher_forward(self, reads: Sequence[Tensor]):
        """The self-teacher's logits (B, K, H_t, W_t) and the
        feature-distillation targets (:meth:`_teacher_outputs`)."""
        _, logits, feat_targets = self._teacher_outputs(reads)
        return logits, feat_targets

    def _teacher_outputs(self, reads: Sequence[Tensor]):
        """The self-teacher head's output, its logits and the
        feature-distillation targets.

        Args:
            reads (Sequence[Tensor]): What the self-teacher reads; the
                gradient back into them is scaled by ``teacher_grad_scale``.

        Returns:
            tuple: what the teacher head returned (for its
            ``loss_by_feat``), its logits (B, K, H_t, W_t) and the keyword
            arguments of ``loss_feat`` (the refined maps, or for Overhaul
            their pre-activations and norm layers).
        """
        reads = [scale_grad(x, self.teacher_grad_scale) for x in reads]
        if getattr(self.loss_feat, 'uses_teacher_preact', False):
            refined, preacts = self.self_teacher.forward_with_preact(reads)
            feat_targets = dict(
                teacher_preacts=list(preacts),
                teacher_norms=self.self_teacher.output_norms())
        else:
            refined = self.self_teacher(reads)
            feat_targets = dict(teacher_feats=list(refined))
        with HeadTap(self.teacher_head) as tap:
            out = self.teacher_head(refined)
        return out, tap.logits(), feat_targets

    def _distill_losses(self, feats: Sequence[Tensor], feat_targets: dict,
                        student_logits: Tensor, teacher_logits: Tensor,
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
                list(feats), **
                feat_targets) if weight > 0 or learned else zero
        return losses

    # -- inference -------------------------------------------------------
    def predict(self, inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """The mmseg segmentor's prediction of the student; with
        ``evaluate_teacher``, also the self-teacher's, in each sample's
        ``pred_teacher_sem_seg`` (``seg_logits``/``pred_sem_seg`` stay the
        student's)."""
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
