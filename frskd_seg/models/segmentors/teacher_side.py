"""The self-teacher side of an FRSKD segmentor -- the self-teacher, its head,
the distillation losses -- built from configs derived from the student: the
derivations are pure functions of configs and measured channels, so each
rule can be read and tested on its own."""
import copy
import inspect
from numbers import Integral
from typing import List, NamedTuple, Optional, Sequence

import torch.nn as nn
from torch import Tensor

from frskd_seg.utils.errors import ConfigError
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType
from ..builder import build_checked
from .argument_checks import check_feature_loss, check_teacher_head
from .student_probe import reads_description

#: the distillation terms of the recipe (a config's ``loss_kd``/``loss_feat``
#: without ``type`` updates these): the KL where the official code takes it
#: (both logits at the input size) and attention transfer, at the weights the
#: paired study chose on the pretrained student (docs/results.md; official:
#: alpha 1, tau 1, beta 50)
DEFAULT_LOSS_KD = dict(type='PixelKLDivLoss', tau=1.0, loss_weight=1.0)
DEFAULT_LOSS_FEAT = dict(type='AttentionTransferLoss', p=2, loss_weight=100.0)


def self_teacher_cfg(self_teacher: ConfigType, channels: List[int],
                     source: str, head_in_index=-1) -> ConfigType:
    """``self_teacher`` with ``in_channels``: filled in with the measured
    ``channels`` of the maps it reads, or checked against them (a wrong value
    fails at build, not in the first step). ``source`` names those maps in
    the message.

    A self-teacher with a ``top_down_only`` option that the config leaves
    out gets it from what its head reads (``head_in_index``): True when the
    head reads the finest level alone, so that every refined map the
    student is distilled towards is one the head's CE trains."""
    cfg = copy.deepcopy(self_teacher)
    self_teacher_cls = MODELS.get(cfg['type'])
    if self_teacher_cls is not None and 'top_down_only' in \
            inspect.signature(self_teacher_cls.__init__).parameters:
        cfg.setdefault('top_down_only', reads_finest_only(head_in_index))
    given = cfg.get('in_channels')
    if given is None:
        cfg['in_channels'] = channels
    elif list(given) != channels:
        raise ConfigError(
            f'self_teacher in_channels={list(given)} does not match the '
            f'student: {source} give {len(channels)} feature maps with '
            f'channels {channels} (leave in_channels out to use them)')
    return cfg


def reads_finest_only(in_index) -> bool:
    """Whether a head with this ``in_index`` reads the finest level alone."""
    if isinstance(in_index, Sequence):
        return list(in_index) == [0]
    return in_index == 0


def light_classifier_cfg(decode_head: ConfigType,
                         in_index: int = -1) -> dict:
    """The student's own kind of classifier (dropout + 1x1 conv) as a decode
    head on one refined level (``in_index``), with the student's
    loss where the student's head computes it as every mmseg head does
    (heads with their own ``loss_by_feat``, PIDNet's and DDRNet's, give it
    special inputs: the classifier gets mmseg's CE)."""
    keep = ['num_classes', 'out_channels', 'threshold', 'dropout_ratio',
            'norm_cfg', 'act_cfg', 'align_corners', 'ignore_index']
    head_cls = MODELS.get(decode_head['type'])
    if getattr(head_cls, 'loss_by_feat',
               None) is BaseDecodeHead.loss_by_feat:
        keep.append('loss_decode')
    cfg = dict(type='FCNHead', in_index=in_index, num_convs=0,
               concat_input=False)
    cfg.update({k: copy.deepcopy(decode_head[k])
                for k in keep if k in decode_head})
    return cfg


def channels_at(in_index, channels: Sequence[int]):
    """The channels of the refined level(s) ``in_index`` picks."""
    indices = list(in_index) if isinstance(in_index,
                                           Sequence) else [in_index]
    for i in indices:
        if not isinstance(i, Integral) or not -len(channels) <= i < len(
                channels):
            raise ConfigError(
                f'teacher_head in_index={in_index!r} is out of range for '
                f'the self-teacher, which outputs {len(channels)} levels '
                f'with channels {list(channels)}')
    picked = [channels[i] for i in indices]
    return picked if isinstance(in_index, Sequence) else picked[0]


def updated_default(cfg, default: dict):
    """``cfg`` as is when it is None, a list of terms or has a ``type``;
    else ``default`` updated with its keys -- so ``--cfg-options
    model.loss_feat.p=1`` on a config that leaves ``loss_feat`` to the
    segmentor's default changes p alone, and ``model.loss_kd.tau=2`` turns
    on the default KL at tau 2 (as a ``teacher_head`` without ``type``
    updates its default)."""
    if cfg is None or isinstance(cfg, (list, tuple)) or 'type' in cfg:
        return cfg
    return {**copy.deepcopy(default), **cfg}


def distill_terms(loss) -> List:
    """The loss modules of a ``loss_kd`` / ``loss_feat`` slot: none, one,
    or each of a list (built as an ``nn.ModuleList``)."""
    if loss is None:
        return []
    return list(loss) if isinstance(loss, nn.ModuleList) else [loss]


def build_terms(cfg, where: str, prepare=lambda cfg: cfg):
    """A ``loss_kd`` / ``loss_feat`` slot from its config: None, one term
    (a dict) or several (a list of dicts, as mmseg's ``loss_decode``), each
    config passed through ``prepare`` first; the terms' ``loss_name`` must
    differ (each is its own key of the loss dict)."""
    if cfg is None:
        return None
    if not isinstance(cfg, (list, tuple)):
        return build_checked(prepare(cfg), where)
    if not cfg:
        raise ConfigError(f'{where} is an empty list: give None for no '
                          'term, or one dict per term')
    terms = nn.ModuleList()
    for i, term in enumerate(cfg):
        if not isinstance(term, dict) or 'type' not in term:
            raise ConfigError(f'{where}[{i}] must be a dict with a type, '
                              f'got {term!r}')
        terms.append(build_checked(prepare(term), f'{where}[{i}]'))
    names = [term.loss_name for term in terms]
    if len(set(names)) != len(names):
        raise ConfigError(f'{where}: its terms need different loss_name '
                          f'values (keys of the loss dict), got {names}')
    return terms


def teacher_head_cfg(decode_head: ConfigType, teacher_head: OptConfigType,
                     copy_decode_head: bool, level: int = -1) -> dict:
    """The self-teacher's head: ``teacher_head`` as is when it has a
    ``type``; else a copy of the student's ``decode_head`` (when
    ``copy_decode_head``) or :func:`light_classifier_cfg` on the refined
    ``level``, updated with ``teacher_head``'s keys. Its channels:
    :func:`with_teacher_widths`."""
    teacher_head = copy.deepcopy(teacher_head) or {}
    if 'type' in teacher_head:
        return teacher_head
    cfg = (copy.deepcopy(decode_head) if copy_decode_head else
           light_classifier_cfg(decode_head, level))
    cfg.update(teacher_head)
    return cfg


def with_teacher_widths(cfg: dict, teacher_head: OptConfigType,
                        widths: Sequence[int]) -> dict:
    """The head config ``cfg`` (:func:`teacher_head_cfg`) with
    ``in_channels`` (and DeepLabV3+'s ``c1_in_channels``) following the
    self-teacher's output ``widths``, where the user's ``teacher_head``
    does not give them."""
    cfg = copy.deepcopy(cfg)
    teacher_head = teacher_head or {}
    if 'in_channels' not in teacher_head:
        cfg['in_channels'] = channels_at(cfg.get('in_index', -1), widths)
        if cfg['type'] == 'FCNHead' and cfg.get('num_convs', 2) == 0 \
                and 'channels' not in teacher_head:
            cfg['channels'] = cfg['in_channels']
    if cfg.get('c1_in_channels') and 'c1_in_channels' not in teacher_head:
        cfg['c1_in_channels'] = widths[0]
    return cfg


def loss_feat_cfg(loss_feat: ConfigType, student_channels: Sequence[int],
                  teacher_channels: Sequence[int],
                  norm_cfg: Optional[dict]) -> ConfigType:
    """``loss_feat`` with what losses with learned adapters (FitNet,
    Overhaul) need, unless given: both sides' channels, and the
    self-teacher's norm (SyncBN in multi-GPU configs)."""
    cfg = copy.deepcopy(loss_feat)
    loss_cls = MODELS.get(cfg['type'])
    if loss_cls is None:  # build_checked names it
        return cfg
    params = inspect.signature(loss_cls.__init__).parameters
    if 'student_channels' in params and cfg.get('student_channels') is None:
        cfg['student_channels'] = list(student_channels)
    if 'teacher_channels' in params and cfg.get('teacher_channels') is None:
        cfg['teacher_channels'] = list(teacher_channels)
    if 'norm_cfg' in params and 'norm_cfg' not in cfg and \
            norm_cfg is not None:
        cfg['norm_cfg'] = copy.deepcopy(norm_cfg)
    return cfg


class TeacherSide(NamedTuple):
    """The modules an FRSKD segmentor trains beside its student and drops
    at export."""
    self_teacher: nn.Module
    teacher_head: nn.Module
    loss_kd: Optional[nn.Module]
    loss_feat: Optional[nn.Module]


def build_teacher_side(segmentor, reads: Sequence[Tensor], decode_head,
                       self_teacher, teacher_head, loss_kd,
                       loss_feat) -> TeacherSide:
    """An FRSKD ``segmentor``'s self-teacher, its head and its distillation
    losses, sized to what the self-teacher reads (``reads``, measured by
    :func:`probe`). Reads the segmentor's placement and its distilled
    head's config; changes nothing of it."""
    channels = [int(f.shape[1]) for f in reads]
    decoder = segmentor.self_teacher_input == 'decoder'
    head_cfg = teacher_head_cfg(
        segmentor._distilled_head_cfg(decode_head), teacher_head,
        not decoder and segmentor.COPIES_DECODE_HEAD,
        level=0 if decoder else -1)  # downstream: the finest level T1
    neck = build_checked(self_teacher_cfg(
        self_teacher, channels, reads_description(segmentor),
        head_cfg.get('in_index', -1)), 'model.self_teacher')
    head = build_checked(with_teacher_widths(
        head_cfg, teacher_head, neck.out_channels), 'model.teacher_head')
    check_teacher_head(head)
    kd = build_terms(updated_default(loss_kd, DEFAULT_LOSS_KD),
                     'model.loss_kd')
    feat = build_terms(
        updated_default(loss_feat, DEFAULT_LOSS_FEAT), 'model.loss_feat',
        lambda cfg: loss_feat_cfg(cfg, channels, neck.out_channels,
                                  self_teacher.get('norm_cfg')))
    for loss in distill_terms(feat):
        check_feature_loss(loss, neck)
    return TeacherSide(neck, head, kd, feat)
