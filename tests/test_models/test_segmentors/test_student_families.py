"""The two-line recipe on mmseg's multi-output heads and cascades, and the
students it refuses at build."""
import pytest
import torch
from mmengine.config import Config

from frskd_seg.apis import plain_student_config
from frskd_seg.models.segmentors import (FRSKDCascadeEncoderDecoder,
                                         UnsupportedStudentError)
from mmseg.models.utils import resize
from tests.conftest import (build_cpu_model, mmseg_config, mmseg_batch,
                            two_line_config)

#: one mmseg config per family: (config, distilled head, teacher reads)
FAMILIES = {
    # training returns (pam_cam, pam, cam): KD on pam_cam
    'danet': 'danet/danet_r50-d8_4xb4-20k_voc12aug-512x512.py',
    # training returns (seg, se): KD on seg
    'encnet': 'encnet/encnet_r50-d8_4xb4-20k_voc12aug-512x512.py',
    # training returns (P, I, D) from a backbone giving (P, I, D) in
    # training and I alone at inference: KD on I, the self-teacher reads D
    'pidnet': 'pidnet/pidnet-s_2xb6-120k_1024x1024-cityscapes.py',
    # training returns (context, spatial): KD on context
    'ddrnet': 'ddrnet/ddrnet_23-slim_in1k-pre_2xb6-120k_cityscapes-'
    '1024x1024.py',
    # cascades: OCR's logits; PointRend's FPN logits (its PointHead trains
    # on sampled points)
    'ocrnet': 'ocrnet/ocrnet_hr18s_4xb2-40k_cityscapes-512x1024.py',
    'pointrend': 'point_rend/pointrend_r50_4xb2-80k_cityscapes-512x1024.py',
}


#: the official KL switched on (the recipe leaves it off): the tests below
#: are about which logits it distils
KL = dict(type='PixelKLDivLoss')


def built(rel, **changes):
    """The FRSKD model of the two-line recipe on ``rel`` (CPU, BN)."""
    model_cfg = two_line_config(mmseg_config(rel)).model
    model_cfg.update(changes)
    return build_cpu_model(model_cfg)


@pytest.mark.parametrize('family', ['danet', 'encnet', 'pidnet', 'ddrnet',
                                    'ocrnet'])
def test_distilled_logits_are_what_the_model_predicts_with(family):
    model = built(FAMILIES[family]).eval()
    inputs, samples = mmseg_batch(model.num_classes, 64, batch_size=1)
    with torch.no_grad():
        logits, reads = model.student_forward(model.extract_feat(inputs))
        predicted = model.encode_decode(inputs, [s.metainfo for s in samples])
    assert torch.equal(
        resize(logits, size=(64, 64), mode='bilinear',
               align_corners=model.align_corners), predicted)
    assert reads[-1].shape[1] == model.distilled_head.channels


def test_losses_of_a_multi_output_head():
    model = built(FAMILIES['danet'], loss_kd=KL)
    losses = model.loss(*mmseg_batch(model.num_classes, 64))
    # DANet's own three CE terms, the self-teacher's and both distillations
    assert {'decode.pam_cam.loss_ce', 'decode.pam.loss_ce',
            'decode.cam.loss_ce', 'aux.loss_ce', 'teacher.loss_ce',
            'distill.loss_kd', 'distill.loss_at'} <= set(losses)


def test_a_copied_multi_output_teacher_head():
    """With the backbone placement the self-teacher's head is a copy of
    DANet's: its own three losses, KD on its pam_cam logits."""
    model = built(FAMILIES['danet'], self_teacher_input='backbone',
                  loss_kd=KL)
    assert type(model.teacher_head).__name__ == 'DAHead'
    losses = model.loss(*mmseg_batch(model.num_classes, 64))
    assert {'teacher.pam_cam.loss_ce', 'teacher.pam.loss_ce',
            'teacher.cam.loss_ce', 'distill.loss_kd'} <= set(losses)
    model.eval()
    with torch.no_grad():
        _, reads = model.student_forward(model.extract_feat(
            mmseg_batch(model.num_classes, 64, batch_size=1)[0]))
        logits, _ = model.teacher_forward(reads)
        out = model.teacher_head(model.self_teacher(reads))
    assert torch.equal(logits, out[0])  # what DAHead.predict reads


def test_one_map_backbone_reads_the_head_map_alone():
    model = built(FAMILIES['pidnet'])
    assert model.self_teacher.in_channels == [model.decode_head.channels]
    with pytest.raises(UnsupportedStudentError,
                       match="PIDNet gives one feature map at inference .* "
                       "use 'decoder'"):
        built(FAMILIES['pidnet'], self_teacher_input='backbone')


@pytest.mark.parametrize('family, stage, keys', [
    ('ocrnet', 1, {'decode_0.loss_ce', 'decode_1.loss_ce'}),
    ('pointrend', 0, {'decode_0.loss_ce', 'decode_1.pointloss_ce'}),
])
def test_cascades(family, stage, keys):
    model = built(FAMILIES[family], loss_kd=KL)
    assert isinstance(model, FRSKDCascadeEncoderDecoder)
    assert model.distilled_stage == stage
    assert model.distilled_head is model.decode_head[stage]
    assert type(model.teacher_head).__name__ == 'FCNHead'
    losses = model.loss(*mmseg_batch(model.num_classes, 64))
    assert keys | {'teacher.loss_ce', 'distill.loss_kd'} <= set(losses)


@pytest.mark.parametrize('family', ['danet', 'ocrnet'])
def test_export_gives_the_plain_segmentor(family):
    cfg = two_line_config(mmseg_config(FAMILIES[family]))
    plain = plain_student_config(cfg)
    assert plain.model.type == Config.fromfile(
        mmseg_config(FAMILIES[family])).model.type
    model = built(FAMILIES[family])
    student = build_cpu_model(plain.model)
    student.load_state_dict(model.student_state_dict())  # strict


@pytest.mark.parametrize('rel, match', [
    ('knet/knet-s3_r50-d8_fcn_8xb2-adamw-80k_ade20k-512x512.py',
     r'IterativeDecodeHead \(K-Net\) makes its logits by iterative kernel '
     'updates'),
    ('maskformer/maskformer_r50-d32_8xb2-160k_ade20k-512x512.py',
     'MaskFormerHead is a mask-classification head'),
    ('segmenter/segmenter_vit-t_mask_8xb1-160k_ade20k-512x512.py',
     "SegmenterMaskTransformerHead called cls_seg 0 times .* use "
     "self_teacher_input='backbone'"),
])
def test_refused_at_build_with_the_reason(rel, match):
    with pytest.raises(UnsupportedStudentError, match=match):
        built(rel)


def test_segmenter_mask_head_with_the_backbone_placement():
    model = built('segmenter/segmenter_vit-t_mask_8xb1-160k_ade20k-512x512'
                  '.py', self_teacher_input='backbone', loss_kd=KL)
    losses = model.loss(*mmseg_batch(model.num_classes, 64))
    assert 'distill.loss_kd' in losses


def test_multimodal_arguments_are_refused():
    with pytest.raises(UnsupportedStudentError,
                       match="does not take 'text_encoder'"):
        built(FAMILIES['encnet'], text_encoder=dict(type='CLIPTextEncoder'))
