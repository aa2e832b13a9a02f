# The FRSKD recipe of the shipped zoo configs, as one variable to merge into a
# baseline twin's model (official tau = 1, alpha = 1, beta = 50; spec §5
# schedule over mmseg's 20k iterations; a narrow self-teacher):
#   _base_ = ['./<twin>.py', '../_base_/frskd.py']
#   model = dict(_base_.frskd_model)
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
