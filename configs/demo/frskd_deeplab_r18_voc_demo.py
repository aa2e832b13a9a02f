# CPU demo, FRSKD: deeplab_r18_voc_demo.py plus the self-teacher. This file is
# the whole recipe for adding FRSKD to an mmseg config. The self-teacher sits
# downstream of the student's decoder (the official segmentation layout): it
# refines the backbone levels F1..F3 and the ASPP head's pre-classifier map,
# at the official 2 x width (the student is tiny: 16..128 channels), and its
# head is the student's own classifier on the refined ASPP map, so the
# self-teacher is the student plus refinement.
_base_ = './deeplab_r18_voc_demo.py'

max_iters = 2000
model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher_input='decoder',
    self_teacher=dict(
        type='SelfTeacherNeck',
        width_ratio=2.0,
        norm_cfg=dict(type='BN', requires_grad=True)),
    teacher_head=None,
    teacher_grad_scale=1.0,
    # validation logs the self-teacher's mIoU (teacher/mIoU) beside the
    # student's; tools/test.py --teacher does the same at test time
    evaluate_teacher=True,
    loss_kd=dict(type='PixelKLDivLoss', tau=1.0, loss_weight=1.0),
    loss_feat=dict(type='AttentionTransferLoss', p=2, loss_weight=50.0),
    distill_warmup_iters=max_iters * 2 // 3,
    distill_rampup_iters=max_iters - max_iters * 2 // 3)
