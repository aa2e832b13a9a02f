"""The shipped configs load, build, and keep their promises."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from frskd_seg.cli.config_utils import set_data_root
from frskd_seg.models.losses import model_distill_schedule
from tests.conftest import REPO, build_model

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)


def load(name):
    return Config.fromfile(osp.join(REPO, 'configs', name))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(
    p, osp.join(REPO, 'configs')))
def test_config_loads_with_custom_imports(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports == dict(
        imports=['frskd_seg'], allow_failed_imports=False)
    assert cfg.model.decode_head.num_classes == 21


def test_frskd_config_differs_from_its_twin_only_in_frskd():
    frskd, base = load('frskd_deeplab_voc.py'), load('deeplab_voc.py')
    from frskd_seg.apis.export_student import FRSKD_MODEL_KEYS
    frskd_keys = {'type', *FRSKD_MODEL_KEYS}
    assert (frskd.model.type, base.model.type) == ('FRSKDEncoderDecoder',
                                                   'EncoderDecoder')
    model = {k: v for k, v in frskd.model.items() if k not in frskd_keys}
    assert model == {k: v for k, v in base.model.items() if k != 'type'}
    for key in ('train_dataloader', 'test_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg'):
        assert frskd[key] == base[key], key
    # the recipe is the segmentor's defaults (the two lines): SyncBN and
    # scoring the self-teacher are all the config adds
    assert frskd.model == dict(
        base.model, type='FRSKDEncoderDecoder', evaluate_teacher=True,
        self_teacher=dict(type='SelfTeacherNeck',
                          norm_cfg=dict(type='SyncBN', requires_grad=True)))
    assert frskd.train_cfg.max_iters == 20000
    schedule = model_distill_schedule(frskd.model)
    assert schedule.lengths(frskd.train_cfg.max_iters) == (13333, 6667)


def test_voc0712_protocol():
    cfg = load('frskd_deeplab_voc.py')
    train = cfg.train_dataloader.dataset
    assert train.type == 'ConcatDataset'
    assert [d.ann_file for d in train.datasets] == [
        'VOC2007/ImageSets/Segmentation/trainval.txt',
        'VOC2012/ImageSets/Segmentation/trainval.txt'
    ]
    assert cfg.test_dataloader.dataset.ann_file == \
        'VOC2007/ImageSets/Segmentation/test.txt'
    assert set_data_root(cfg, '/data/x') == 4
    assert {d.data_root for d in train.datasets} == {'/data/x'}


def test_self_teacher_is_small_next_to_the_student():
    cfg = load('frskd_deeplab_voc.py')
    cfg.model.pretrained = None
    model = build_model(cfg.model)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa
    teacher = count(model.self_teacher) + count(model.teacher_head)
    student = count(model) - teacher
    assert 0.005 < teacher / student < 0.25
    feats = model.extract_feat(torch.zeros(1, 3, 64, 64))
    assert [f.shape[-1] for f in feats] == [16, 8, 8, 8]  # D8
    # levels 1..3 and the 512-channel ASPP map, at 0.5 x (the width rule)
    with torch.no_grad():
        _, reads = model.eval().student_forward(feats)
    assert [f.shape[1] for f in reads] == [256, 512, 1024, 512]
    assert [f.shape[1] for f in model.self_teacher(reads)] == [
        128, 256, 512, 256
    ]


#: every FRSKD recipe the project ships as such (the zoo's are tested with
#: their twins), and the README's two lines on two mmseg configs
SHIPPED_RECIPES = [
    'frskd_deeplab_voc.py', 'demo/frskd_deeplab_r18_voc_demo.py',
    'demo/frskd_deeplab_r18_voc_demo_pretrained.py',
    'demo/frskd_deeplabv3plus_r18_voc_demo.py',
    'demo/frskd_deeplab_r18_voc_demo_step-lr.py',
    'mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py',
    'mmseg::pspnet/pspnet_r50-d8_4xb4-20k_voc12aug-512x512.py',
]


@pytest.mark.parametrize('name', SHIPPED_RECIPES)
def test_every_shipped_recipe_trains_both_terms(name, message_hub):
    """FRSKD's two losses -- the KL on logits and attention transfer -- in
    every shipped recipe, once distillation has started."""
    if name.startswith('mmseg::'):
        cfg = Config.fromstring(
            f"_base_ = {name!r}\ncustom_imports = dict(imports=['frskd_seg']"
            ", allow_failed_imports=False)\nmodel = dict(type='FRSKDEncoder"
            "Decoder', self_teacher=dict(type='SelfTeacherNeck'))\n", '.py')
    else:
        cfg = load(name)
    cfg.model.pretrained = None
    cfg.model.backbone.init_cfg = None
    from mmengine.model import revert_sync_batchnorm
    from tests.conftest import make_batch
    model = revert_sync_batchnorm(build_model(cfg.model))
    message_hub.update_info('iter', 1999)
    losses = model.loss(*make_batch(size=64))
    for term in ('distill.loss_kd', 'distill.loss_at'):
        assert losses[term].item() > 0, (name, term)
