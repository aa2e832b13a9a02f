# CPU demo, FRSKD: deeplab_r18_voc_demo.py plus the self-teacher. This file is
# the whole recipe for adding FRSKD to an mmseg config. The student is tiny
# (16..128 channels), so the self-teacher takes the official 2 x width and a
# full-width copy of the ASPP head (the ResNet-50 config needs them narrow).
_base_ = './deeplab_r18_voc_demo.py'

max_iters = 2000
model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher=dict(
        type='SelfTeacherNeck',
        in_channels=[16, 32, 64, 128],
        width_ratio=2.0,
        norm_cfg=dict(type='BN', requires_grad=True)),
    teacher_head=dict(channels=32),
    loss_kd=dict(type='PixelKLDivLoss', tau=1.0, loss_weight=1.0),
    loss_feat=dict(type='AttentionTransferLoss', p=2, loss_weight=50.0),
    distill_warmup_iters=max_iters * 2 // 3,
    distill_rampup_iters=max_iters - max_iters * 2 // 3)
