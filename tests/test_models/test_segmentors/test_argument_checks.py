"""Build-time messages for configs FRSKD cannot take as written: they name
what to write instead."""
import copy
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from frskd_seg.models.segmentors import FRSKDMixin
from frskd_seg.models.segmentors.argument_checks import frskd_keys
from frskd_seg.utils.errors import ConfigTypeError
from tests.conftest import build_model, mmseg_config


def _cascade_configs():
    """mmseg's cascade configs: OCRNet's and PointRend's, all of them."""
    return sorted(glob.glob(mmseg_config('ocrnet/*.py')) +
                  glob.glob(mmseg_config('point_rend/*.py')))


CASCADES = _cascade_configs()


def test_every_cascade_config_is_found():
    assert len(CASCADES) == 28


@pytest.mark.parametrize('path', CASCADES,
                         ids=lambda p: osp.basename(p)[:-3])
def test_a_cascade_with_the_one_head_type_is_told_the_cascade_type(path):
    model = Config.fromfile(path).model
    assert model.type == 'CascadeEncoderDecoder'
    model.type = 'FRSKDEncoderDecoder'
    model.self_teacher = dict(type='SelfTeacherNeck')
    with pytest.raises(TypeError, match=r"CascadeEncoderDecoder model: "
                       r"OCRNet, PointRend\): write model = dict\(type="
                       r"'FRSKDCascadeEncoderDecoder'"):
        build_model(model)


@pytest.mark.parametrize('key', frskd_keys(FRSKDMixin))
def test_a_typo_in_an_frskd_key_is_named_with_the_key(tiny_frskd_cfg, key):
    value = tiny_frskd_cfg.pop(key, None)
    tiny_frskd_cfg[key + 's' if not key.endswith('s') else key[:-1]] = value
    typo = next(k for k in tiny_frskd_cfg if k not in frskd_keys(FRSKDMixin)
                and k.startswith(key[:-1]))
    with pytest.raises(TypeError, match=f"unknown key '{typo}': did you "
                       f"mean '{key}'"):
        build_model(tiny_frskd_cfg)


def test_the_frskd_keys():
    assert frskd_keys(FRSKDMixin) == [
        'self_teacher', 'teacher_head', 'self_teacher_input',
        'teacher_grad_scale', 'evaluate_teacher', 'loss_kd', 'loss_feat',
        'distill_schedule']


@pytest.mark.parametrize('where,typo,meant', [
    ('loss_kd', 'tua', 'tau'),
    ('self_teacher', 'finest_widht', 'finest_width'),
    ('loss_feat', 'loss_wieght', 'loss_weight'),
    ('distill_schedule', 'warmpu', 'warmup')])
def test_a_typo_one_level_down_names_the_key_meant(tiny_frskd_cfg, where,
                                                   typo, meant):
    cfg = copy.deepcopy(tiny_frskd_cfg)
    cfg[where] = dict(cfg.get(where) or {}, **{typo: 2})
    with pytest.raises(ConfigTypeError,
                       match=rf"model.{where}: \w+ got an unknown key "
                       rf"'{typo}': did you mean '{meant}'\?"):
        build_model(cfg)


@pytest.mark.parametrize('where, typo, meant', [
    ('self_teacher', 'SelfTeacherNek', 'SelfTeacherNeck'),
    ('teacher_head', 'FCNHaed', 'FCNHead'),
    ('loss_kd', 'PixelKLDivLos', 'PixelKLDivLoss'),
    ('loss_feat', 'AttentionTransferLos', 'AttentionTransferLoss'),
    ('distill_schedule', 'DistillSchedul', 'DistillSchedule')])
def test_a_misspelt_nested_type_names_the_type_meant(tiny_frskd_cfg, where,
                                                     typo, meant):
    cfg = copy.deepcopy(tiny_frskd_cfg)
    cfg[where] = dict(cfg.get(where) or {}, type=typo)
    with pytest.raises(ConfigTypeError,
                       match=rf"model.{where}: type '{typo}' is not "
                       r"registered in mmseg's model registry: did you "
                       rf"mean '{meant}'\?"):
        build_model(cfg)
