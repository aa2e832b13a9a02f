"""Distillation on images without masks (``model.unlabeled``)."""
import copy
from numbers import Real
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule, ExponentialMovingAverage
from torch import Tensor

from frskd_seg.utils.errors import ConfigError, ConfigTypeError
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from ..losses.pixel_kl_div_loss import confidence
from ..necks.refined_features import RefinedFeatures
from ..utils.running_stats import running_stats_kept
from .argument_checks import build_checked
from .private_rng import PrivateRNG


def split_unlabeled(inputs: Tensor, data_samples: SampleList,
                    distils_on_them: Optional[nn.Module] = None):
    """``(inputs, data_samples)`` of the images with a mask
    (``gt_sem_seg``), and the images (B_u, 3, H, W) without one (None if
    there are none; a batch without them is returned as is). A batch the
    model cannot train on (:func:`check_unlabeled_batch`; the model's
    ``unlabeled`` is ``distils_on_them``) is refused."""
    unlabeled = [i for i, s in enumerate(data_samples)
                 if 'gt_sem_seg' not in s]
    check_unlabeled_batch(distils_on_them,
                          len(unlabeled), len(data_samples))
    if not unlabeled:
        return inputs, data_samples, None
    labeled = [i for i in range(len(data_samples)) if i not in unlabeled]
    return (inputs[labeled], [data_samples[i] for i in labeled],
            inputs[unlabeled])


def cutmix_boxes(num: int, size: Tuple[int, int], area: float = 0.5,
                 device=None) -> Tensor:
    """One box mask per image, (num, 1, H, W) float: 1 inside a rectangle
    of ``area`` of the image, with an aspect ratio drawn log-uniformly in
    [1/2, 2] and a uniform position (French et al. 2020's CutMix boxes).
    Draws from torch's current generator (in training, the pool's
    stream: :class:`UnlabeledDistillation`)."""
    h, w = size
    masks = torch.zeros(num, 1, h, w, device=device)
    for i in range(num):
        ratio = float(torch.empty(()).uniform_(-0.6931, 0.6931).exp())
        bh = min(h, max(1, round(h * (area * ratio)**0.5)))
        bw = min(w, max(1, round(w * (area / ratio)**0.5)))
        y = int(torch.randint(0, h - bh + 1, ()))
        x = int(torch.randint(0, w - bw + 1, ()))
        masks[i, :, y:y + bh, x:x + bw] = 1
    return masks


def mix(x: Tensor, masks: Tensor) -> Tensor:
    """Each image's box (``masks``, nearest-resized to ``x``) from itself,
    the rest from the next image of the batch: (B, C, h, w) -> same."""
    m = F.interpolate(masks, size=x.shape[2:], mode='nearest').to(x.dtype)
    return m * x + (1 - m) * x.roll(1, dims=0)


@MODELS.register_module()
class UnlabeledDistillation(BaseModule):
    """Distillation on the images of a batch that have no mask: the student
    learns from a teacher's predictions there by the recipe's terms (its
    ``loss_kd``, and its ``loss_feat`` with ``feat``), with no CE::

        z_t, T   = teacher(x_u)                     no gradient
        x_s      = x_u, or CutMix(x_u) ('cutmix': z_t, T mixed alike)
        z_s, S   = student(x_s)
        L_u      = w(t) · loss_weight · (loss_kd(z_s, z_t; confident pixels)
                                         + loss_feat(S, T))

    Nothing is computed while w(t) = 0 (the distillation warm-up), so until
    distillation starts the student trains exactly as without the pool;
    after it, everything drawn for the pool (the dropout of its student and
    teacher forwards, the CutMix boxes) comes from a stream of its own
    (``rng``, a :class:`PrivateRNG`), so the labeled steps draw what they
    draw without the pool; and the pool's forwards normalise with their
    batch's statistics but leave the running ones (which the evaluated
    model normalises with) to the labeled batches
    (:func:`running_stats_kept`): the pool's effect is its terms'. Left
    to update them, the forwards alone cost the student 1 mIoU on the
    demo (docs/results.md).

    The teacher is the self-teacher (refining the student's own features
    on ``x_u``) or, as the control that says whether the self-teacher
    matters, an exponential moving average of the student (a mean teacher,
    mmengine's :class:`ExponentialMovingAverage`, in eval mode, updated
    from the student at every training step, warm-up included).

    Args:
        loss_weight (float): The unlabeled terms' weight relative to the
            labeled distillation terms.
        min_confidence (float, optional): The KL only at pixels where the
            teacher's top-class probability is at least this (FixMatch,
            U2PL); None: every pixel.
        feat (bool): ``loss_feat`` on the unlabeled images too (the
            self-teacher only: the mean teacher has no refined features).
        strong_view (str, optional): None: the student sees the images the
            teacher saw; ``'cutmix'``: the teacher predicts on the images as
            loaded (the weak view) and the student on CutMix of pairs of
            them, its target mixed with the same boxes.
        teacher (str): ``'self_teacher'`` or ``'ema'``.
        ema_momentum (float): The mean teacher's momentum (mmengine's
            convention: the weight of the student's value at each update).

    Loss keys (under ``unlabeled.``): ``<loss_name>`` of each term, and
    ``confident`` (the share of pixels over ``min_confidence``, logged).
    """

    STRONG_VIEWS = (None, 'cutmix')
    TEACHERS = ('self_teacher', 'ema')

    def __init__(self,
                 loss_weight: float = 1.0,
                 min_confidence: Optional[float] = None,
                 feat: bool = True,
                 strong_view: Optional[str] = None,
                 teacher: str = 'self_teacher',
                 ema_momentum: float = 0.01):
        super().__init__()
        if not isinstance(loss_weight, Real) or loss_weight < 0:
            raise ConfigError('unlabeled: loss_weight must be a number >= '
                              f'0, got {loss_weight!r}')
        if min_confidence is not None and not (
                isinstance(min_confidence, Real) and 0 < min_confidence < 1):
            raise ConfigError('unlabeled: min_confidence must be None or a '
                              f'probability in (0, 1), got {min_confidence!r}')
        if not isinstance(feat, bool):
            raise ConfigTypeError(
                f'unlabeled: feat must be True or False, got {feat!r}')
        if strong_view not in self.STRONG_VIEWS:
            raise ConfigError(f'unlabeled: strong_view must be one of '
                              f'{self.STRONG_VIEWS}, got {strong_view!r}')
        if teacher not in self.TEACHERS:
            raise ConfigError(f'unlabeled: teacher must be one of '
                              f'{self.TEACHERS}, got {teacher!r}')
        if teacher == 'ema' and feat:
            raise ConfigError(
                "unlabeled: teacher='ema' has no refined features to "
                'distil: set feat=False (the mean teacher teaches the KL)')
        if not (isinstance(ema_momentum, Real) and 0 < ema_momentum < 1):
            raise ConfigError('unlabeled: ema_momentum must be in (0, 1), '
                              f'got {ema_momentum!r}')
        self.loss_weight = float(loss_weight)
        self.min_confidence = min_confidence
        self.feat = feat
        self.strong_view = strong_view
        self.teacher = teacher
        self.ema_momentum = float(ema_momentum)
        self.ema: Optional[ExponentialMovingAverage] = None
        self.rng = PrivateRNG(0)  # seeded by build_unlabeled

    def build_mean_teacher(self, student_cfg: dict) -> None:
        """The mean teacher, a plain mmseg segmentor built from the
        student's config; it copies the student's weights at its first
        update (its own initialisation is never used)."""
        student_cfg = copy.deepcopy(student_cfg)
        student_cfg.pop('init_cfg', None)
        # its construction's draws leave every other stream as it was (the
        # self-teacher's too: it initialises as without the mean teacher)
        with PrivateRNG(0):
            self.ema = ExponentialMovingAverage(
                MODELS.build(student_cfg), momentum=self.ema_momentum,
                update_buffers=True)

    def init_weights(self) -> None:
        """Nothing to initialise: the mean teacher copies the student."""

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, min_confidence='
                f'{self.min_confidence}, feat={self.feat}, strong_view='
                f'{self.strong_view!r}, teacher={self.teacher!r}')

    def describe(self) -> str:
        """One line for the recipe the build logs."""
        parts = [f'teacher {self.teacher}', f'weight {self.loss_weight:g}']
        if self.min_confidence is not None:
            parts.append(f'KL where confidence >= {self.min_confidence:g}')
        parts.append('with' if self.feat else 'without')
        parts[-1] += ' the feature term'
        if self.strong_view:
            parts.append(f'student on {self.strong_view} of the teacher\'s '
                         'view')
        return ', '.join(parts)

    # -- per step -------------------------------------------------------------
    def loss(self, segmentor, images: Tensor, weight: float) -> dict:
        """The unlabeled terms for ``images`` (B_u, 3, H, W) at the
        distillation weight ``weight`` (w(t)) of ``segmentor`` (an
        :class:`FRSKDMixin`)."""
        if self.ema is not None and self.training:
            self.ema.update_parameters(segmentor)
        zero = images.new_zeros((), dtype=torch.float32)
        keys = [m.loss_name for m in self._terms(segmentor)]
        if weight <= 0 or self.loss_weight == 0:
            return dict({k: zero for k in keys}, confident=zero)
        with self.rng, running_stats_kept(segmentor):
            return self._loss(segmentor, images, weight * self.loss_weight)

    def _loss(self, segmentor, images: Tensor, scale: float) -> dict:
        if self.teacher == 'self_teacher' and self.strong_view is None:
            # one student forward serves both: the self-teacher refines the
            # features the student learns with
            student_logits, reads = segmentor.student_forward(
                segmentor.extract_feat(images))
            with torch.no_grad():
                target, refined = self._self_teacher_targets(
                    segmentor, reads, images.shape[2:])
        else:
            with torch.no_grad():
                target, refined = self._targets(segmentor, images)
                if self.strong_view == 'cutmix':
                    masks = cutmix_boxes(len(images), images.shape[2:],
                                         device=images.device)
                    images, target = mix(images, masks), mix(target, masks)
                    if refined is not None:
                        refined = _mix_refined(refined, masks)
            student_logits, reads = segmentor.student_forward(
                segmentor.extract_feat(images))
        confident = (target.new_ones(()) if self.min_confidence is None
                     else (confidence(target) >= self.min_confidence).float()
                     .mean())
        losses = dict(confident=confident)
        if segmentor.loss_kd is not None:
            losses[segmentor.loss_kd.loss_name] = scale * segmentor.loss_kd(
                student_logits, target, size=images.shape[2:],
                min_confidence=self.min_confidence)
        if self.feat and segmentor.loss_feat is not None:
            losses[segmentor.loss_feat.loss_name] = scale * \
                segmentor.loss_feat(list(reads), refined)
        return losses

    def _terms(self, segmentor) -> List:
        terms = [segmentor.loss_kd]
        if self.feat:
            terms.append(segmentor.loss_feat)
        return [t for t in terms if t is not None]

    def _targets(self, segmentor, images: Tensor):
        """The teacher's logits at the input size (B_u, K, H, W) and, for
        the self-teacher, its refined features."""
        if self.teacher == 'ema':
            logits = self.ema.module.eval()(images, mode='tensor')
            return _resized(logits, images.shape[2:]), None
        _, reads = segmentor.student_forward(segmentor.extract_feat(images))
        return self._self_teacher_targets(segmentor, reads, images.shape[2:])

    @staticmethod
    def _self_teacher_targets(segmentor, reads, size):
        logits, refined = segmentor.teacher_forward(reads)
        return _resized(logits, size), refined


def _resized(logits: Tensor, size) -> Tensor:
    return F.interpolate(logits.float(), size=tuple(size), mode='bilinear',
                         align_corners=False)


def _mix_refined(refined: RefinedFeatures,
                 masks: Tensor) -> RefinedFeatures:
    preacts = refined.preacts
    return RefinedFeatures(
        [mix(t, masks) for t in refined],
        None if preacts is None else [mix(t, masks) for t in preacts],
        refined.norms)


def check_unlabeled_batch(unlabeled: Optional[nn.Module], num_unlabeled: int,
                          batch_size: int) -> None:
    """Refuse a batch the model cannot train on: images without masks and
    no ``model.unlabeled``, or the converse."""
    if num_unlabeled and unlabeled is None:
        raise ConfigError(
            f'the batch holds {num_unlabeled} images without a mask '
            f'(gt_sem_seg) but model.unlabeled is None: set model.unlabeled '
            "(e.g. dict(type='UnlabeledDistillation')) to distil on them")
    if not num_unlabeled and unlabeled is not None:
        raise ConfigError(
            f'model.unlabeled is set but the batch of {batch_size} images '
            'holds none without a mask: train_dataloader needs a '
            "MultiSourceSampler over ConcatDataset([labeled, unlabeled])")


#: offset of the pool's random stream from the run's seed
_UNLABELED_SEED_OFFSET = 0x9001DA7A


def build_unlabeled(cfg: Optional[dict], student_cfg: dict,
                    seed: int) -> Optional[UnlabeledDistillation]:
    """``model.unlabeled`` built (a dict without ``type`` is an
    :class:`UnlabeledDistillation`'s arguments), its stream seeded from
    the run's ``seed``, with its mean teacher built from ``student_cfg``
    (the plain mmseg segmentor's config) where it asks for one; None stays
    None."""
    if cfg is None:
        return None
    cfg = dict(cfg)
    cfg.setdefault('type', 'UnlabeledDistillation')
    module = build_checked(cfg, 'model.unlabeled')
    module.rng = PrivateRNG((seed + _UNLABELED_SEED_OFFSET) % 2**63)
    if module.teacher == 'ema':
        student_cfg = dict(student_cfg, data_preprocessor=None)
        module.build_mean_teacher(student_cfg)
    return module
