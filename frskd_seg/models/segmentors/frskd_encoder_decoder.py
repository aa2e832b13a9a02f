"""The segmentor that trains a student and its self-teacher together
(FRSKD_SPEC §1, §3, §4, §5)."""
import copy
import inspect
from numbers import Integral
from typing import List, Optional, Sequence

import torch
from mmengine.logging import MessageHub
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         SampleList, add_prefix)
from ..utils import distill_weight


@MODELS.register_module()
class FRSKDEncoderDecoder(EncoderDecoder):
    """An :class:`EncoderDecoder` (the student) trained with FRSKD.

    Training, per step (spec §4)::

        F = extract_feat(x)                 student features F_1..F_n
        z_s = decode_head(F)                student logits (run once)
        T = self_teacher(F)                 refined features T_1..T_n
        z_t = teacher_head(T)               self-teacher logits
        L = CE(z_s) [+ aux heads] + CE(z_t)
            + w(iter) · (loss_kd(z_s, z_t.detach()) + loss_feat(F, T.detach()))

    The self-teacher's CE is *not* detached from ``F``: its gradient reaches
    the student backbone, as in the official code. ``w(iter)`` is the spec §5
    schedule (:func:`distill_weight`), read from mmengine's ``MessageHub``.
    ``predict``/``inference``/``_forward`` are :class:`EncoderDecoder`'s and
    never run the self-teacher, so a trained model predicts exactly like a
    plain ``EncoderDecoder`` holding the same student weights.

    Loss keys: mmseg's ``decode.*`` (and ``aux.*``), ``teacher.*`` (the
    self-teacher head's CE and accuracy), ``distill.<loss_name>`` for each
    weighted distillation term, and ``distill.weight`` (w(iter), logged only).

    Args:
        self_teacher (dict): Config of the self-teacher neck, e.g.
            ``dict(type='SelfTeacherNeck')``. Its ``in_channels`` default
            to the student's feature channels (measured by one small forward
            at build); given ones are checked against them.
        teacher_head (dict, optional): Config of the self-teacher's decode
            head. None: a copy of ``decode_head``. A dict without ``type``:
            a copy of ``decode_head`` updated with these keys (e.g.
            ``dict(channels=128)`` for a lighter head). A dict with ``type``:
            used as is. Unless given, ``in_channels`` is set from the
            self-teacher's output channels at the head's ``in_index``.
        loss_kd (dict, optional): Logit distillation; None disables it.
            Official: ``PixelKLDivLoss`` with τ = 1, α = 1.
        loss_feat (dict, optional): Feature distillation; None disables it.
            Official: ``AttentionTransferLoss`` with β = 50. The paper's
            ablations: ``FitNetLoss`` and ``OverhaulLoss`` (their channels
            are filled in from the student and the self-teacher).
        distill_warmup_iters (int): Iterations with distillation weight 0.
        distill_rampup_iters (int): Iterations of the sigmoid ramp-up after
            the warm-up. 0 and 0: constant weights from the first iteration.
        backbone, decode_head, neck, auxiliary_head, train_cfg, test_cfg,
        data_preprocessor, pretrained, init_cfg: as :class:`EncoderDecoder`.
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 self_teacher: ConfigType,
                 teacher_head: OptConfigType = None,
                 loss_kd: OptConfigType = dict(
                     type='PixelKLDivLoss', tau=1.0, loss_weight=1.0),
                 loss_feat: OptConfigType = dict(
                     type='AttentionTransferLoss', p=2, loss_weight=50.0),
                 distill_warmup_iters: int = 0,
                 distill_rampup_iters: int = 0,
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None):
        if isinstance(decode_head, (list, tuple)):
            raise NotImplementedError(
                'FRSKDEncoderDecoder takes one decode_head; cascaded heads '
                '(CascadeEncoderDecoder: OCRNet, PointRend, ...) are not '
                'supported')
        for name, value in (('distill_warmup_iters', distill_warmup_iters),
                            ('distill_rampup_iters', distill_rampup_iters)):
            if not isinstance(value, Integral) or value < 0:
                raise ValueError(f'{name} must be an int >= 0, got {value!r}')
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            neck=neck,
            auxiliary_head=auxiliary_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg)
        self._check_head_supported(self.decode_head, 'decode_head')
        if self_teacher is None:
            raise ValueError('FRSKDEncoderDecoder needs a self_teacher config,'
                             " e.g. dict(type='SelfTeacherNeck', ...)")
        self.self_teacher = MODELS.build(
            self._self_teacher_cfg(self_teacher))
        self.teacher_head = MODELS.build(
            self._teacher_head_cfg(decode_head, teacher_head))
        self._check_head_supported(self.teacher_head, 'teacher_head')
        self.loss_kd = MODELS.build(loss_kd) if loss_kd is not None else None
        self.loss_feat = MODELS.build(self._loss_feat_cfg(
            loss_feat)) if loss_feat is not None else None
        self.distill_warmup_iters = int(distill_warmup_iters)
        self.distill_rampup_iters = int(distill_rampup_iters)

    def feature_channels(self, image_size: int = 64) -> List[int]:
        """Channels of the student's features (``extract_feat``), measured by
        one forward of a blank ``image_size`` square image in eval mode."""
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                feats = self.extract_feat(
                    torch.zeros(1, 3, image_size, image_size))
        finally:
            self.train(was_training)
        return [int(f.shape[1]) for f in feats]

    def _self_teacher_cfg(self, self_teacher: ConfigType) -> ConfigType:
        # The student's real feature channels: filled in when the config
        # leaves in_channels out, checked against it otherwise -- so a wrong
        # value fails here, at build, rather than deep in the first step.
        cfg = copy.deepcopy(self_teacher)
        channels = self.feature_channels()
        given = cfg.get('in_channels')
        if given is None:
            cfg['in_channels'] = channels
        elif list(given) != channels:
            raise ValueError(
                f'self_teacher in_channels={list(given)} does not match the '
                f'student: its backbone{" + neck" if self.with_neck else ""} '
                f'outputs {len(channels)} feature maps with channels '
                f'{channels} (leave in_channels out to use them)')
        return cfg

    def _loss_feat_cfg(self, loss_feat: ConfigType) -> ConfigType:
        # losses with learned adapters (FitNet, Overhaul) need both sides'
        # channels: fill them in unless the config gives them
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
        return cfg

    @staticmethod
    def _check_head_supported(head, name: str) -> None:
        # The student's logits are needed twice (CE and KD) but the head must
        # run once, so the head's loss has to be forward() + loss_by_feat().
        if not isinstance(head, BaseDecodeHead):
            raise TypeError(f'{name} must be an mmseg decode head (a '
                            f'BaseDecodeHead), got {type(head).__name__}')
        if type(head).loss is not BaseDecodeHead.loss:
            raise NotImplementedError(
                f'{name} {type(head).__name__} overrides loss(); FRSKD needs '
                'heads whose loss is forward() followed by loss_by_feat()')

    def _teacher_head_cfg(self, decode_head: ConfigType,
                          teacher_head: OptConfigType) -> ConfigType:
        teacher_head = copy.deepcopy(teacher_head) or {}
        if 'type' in teacher_head:
            cfg = teacher_head
        else:
            cfg = copy.deepcopy(decode_head)
            cfg.update(teacher_head)
        widths = self.self_teacher.out_channels
        if 'in_channels' not in teacher_head:
            cfg['in_channels'] = self._channels_at(cfg.get('in_index', -1),
                                                   widths)
        # DeepLabV3+'s head also reads inputs[0] (its low-level features)
        if cfg.get('c1_in_channels') and 'c1_in_channels' not in teacher_head:
            cfg['c1_in_channels'] = widths[0]
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

    @property
    def current_distill_weight(self) -> float:
        """Spec §5 multiplier for the iteration being run (``MessageHub``
        info ``'iter'``, 0 outside a training loop)."""
        cur_iter = MessageHub.get_current_instance().get_info('iter', 0)
        return distill_weight(cur_iter, self.distill_warmup_iters,
                              self.distill_rampup_iters)

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
        losses = dict()

        student_logits = self.decode_head(feats)
        losses.update(
            add_prefix(
                self.decode_head.loss_by_feat(student_logits, data_samples),
                'decode'))
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(
                feats, data_samples))

        if getattr(self.loss_feat, 'uses_teacher_preact', False):
            refined, preacts = self.self_teacher.forward_with_preact(feats)
            feat_targets = dict(
                teacher_preacts=list(preacts),
                teacher_norms=self.self_teacher.output_norms())
        else:
            refined = self.self_teacher(feats)
            feat_targets = dict(teacher_feats=list(refined))
        teacher_logits = self.teacher_head(refined)
        losses.update(
            add_prefix(
                self.teacher_head.loss_by_feat(teacher_logits, data_samples),
                'teacher'))

        losses.update(
            add_prefix(
                self._distill_losses(feats, feat_targets, student_logits,
                                     teacher_logits, data_samples), 'distill'))
        return losses

    def _distill_losses(self, feats: Sequence[Tensor], feat_targets: dict,
                        student_logits: Tensor, teacher_logits: Tensor,
                        data_samples: SampleList) -> dict:
        weight = self.current_distill_weight
        zero = student_logits.new_zeros((), dtype=torch.float32)
        losses = dict(weight=zero + weight)
        # During the warm-up both terms are exactly 0: skip computing them.
        if self.loss_kd is not None:
            if weight > 0:
                seg_label = self.decode_head._stack_batch_gt(data_samples)
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

    def student_state_dict(self) -> dict:
        """State dict of the student alone (no ``self_teacher.*``,
        ``teacher_head.*`` or loss modules): what a plain
        :class:`EncoderDecoder` with the same backbone/neck/heads loads."""
        dropped = ('self_teacher.', 'teacher_head.', 'loss_kd.', 'loss_feat.')
        return {
            k: v
            for k, v in self.state_dict().items() if not k.startswith(dropped)
        }
