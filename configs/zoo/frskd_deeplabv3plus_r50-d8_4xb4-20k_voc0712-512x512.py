# FRSKD on deeplabv3plus_r50-d8_4xb4-20k_voc0712-512x512.py (its baseline
# twin): the self-teacher reads the student's features (channels measured at
# build), widths 0.125 x, a 128-channel DeepLabV3+ teacher head (its low-level
# input is the refined level 1).
_base_ = './deeplabv3plus_r50-d8_4xb4-20k_voc0712-512x512.py'

max_iters = 20000
model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher=dict(
        type='SelfTeacherNeck',
        width_ratio=0.125,
        norm_cfg=dict(type='SyncBN', requires_grad=True)),
    teacher_head=dict(channels=128),
    loss_kd=dict(type='PixelKLDivLoss', tau=1.0, loss_weight=1.0),
    loss_feat=dict(type='AttentionTransferLoss', p=2, loss_weight=50.0),
    distill_warmup_iters=max_iters * 2 // 3,
    distill_rampup_iters=max_iters - max_iters * 2 // 3)
