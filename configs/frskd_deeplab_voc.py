# FRSKD on mmseg's DeepLabV3 ResNet-50-D8, VOC2007+2012 trainval -> VOC2007 test.
# Everything but `model` below comes from the baseline twin deeplab_voc.py.
#
# Self-teacher widths: 0.125 x the backbone's channels (32, 64, 128, 256) and a
# 128-channel ASPP teacher head keep the self-teacher small next to the
# student: ~5 % of its parameters and FLOPs, training memory <= 1.3 x the
# baseline's (0.25 x measured 1.34 x). The official 2 x width would make it
# larger than ResNet-50 itself (FRSKD_SPEC §2.4). Numbers: README, "Cost".
_base_ = './deeplab_voc.py'

norm_cfg = dict(type='SyncBN', requires_grad=True)
max_iters = 20000  # schedule_20k
model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher=dict(
        type='SelfTeacherNeck',
        in_channels=[256, 512, 1024, 2048],
        width_ratio=0.125,
        num_node_convs=2,
        bottom_up_laterals=True,
        norm_cfg=norm_cfg),
    # a copy of the student's ASPP head on the refined level 4, narrower
    teacher_head=dict(channels=128),
    # official segmentation settings: tau = 1, alpha = 1, beta = 50
    loss_kd=dict(type='PixelKLDivLoss', tau=1.0, loss_weight=1.0),
    loss_feat=dict(type='AttentionTransferLoss', p=2, loss_weight=50.0),
    # FRSKD_SPEC §5: no distillation for the first 2/3 of training, then a
    # sigmoid ramp-up over the last 1/3 (official: 40 + 20 of 60 epochs)
    distill_warmup_iters=max_iters * 2 // 3,
    distill_rampup_iters=max_iters - max_iters * 2 // 3)
