# The FRSKD recipe of the shipped configs (configs/frskd_deeplab_voc.py and
# configs/zoo/), as one variable to merge into a baseline twin's model:
#   _base_ = ['./<twin>.py', '../_base_/frskd.py']
#   model = dict(_base_.frskd_model)
# Official segmentation settings tau = 1, alpha = 1, beta = 50, and the spec §5
# schedule over mmseg's 20k iterations: no distillation for the first 2/3,
# then a sigmoid ramp-up over the last 1/3 (official: 40 + 20 of 60 epochs).
# Self-teacher widths 0.125 x the backbone's channels (32..256 on ResNet-50)
# and a 128-channel copy of the student's head keep it small: ~5 % of a
# DeepLabV3 R-50's parameters and FLOPs, training memory <= 1.3 x the
# baseline's (0.25 x measured 1.34 x). The official 2 x width would make it
# larger than ResNet-50 itself (FRSKD_SPEC §2.4). Numbers: README, "Cost".
frskd_max_iters = 20000
frskd_model = dict(
    type='FRSKDEncoderDecoder',
    # in_channels are measured from the student at build
    self_teacher=dict(
        type='SelfTeacherNeck',
        width_ratio=0.125,
        norm_cfg=dict(type='SyncBN', requires_grad=True)),
    teacher_head=dict(channels=128),
    loss_kd=dict(type='PixelKLDivLoss', tau=1.0, loss_weight=1.0),
    loss_feat=dict(type='AttentionTransferLoss', p=2, loss_weight=50.0),
    distill_warmup_iters=frskd_max_iters * 2 // 3,
    distill_rampup_iters=frskd_max_iters - frskd_max_iters * 2 // 3)
