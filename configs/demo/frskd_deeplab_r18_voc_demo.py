# CPU demo, FRSKD: deeplab_r18_voc_demo.py plus the self-teacher. This file is
# the whole recipe for adding FRSKD to an mmseg config. The self-teacher sits
# downstream of the student's decoder (the official segmentation layout): it
# refines the backbone levels F1..F3 and the ASPP head's pre-classifier map,
# at the official 2 x width (the student is tiny: 16..128 channels). Its head
# is the student's own kind of classifier (a 1x1 conv) on the finest refined
# level T1 (stride 4, twice the ASPP map's resolution), and its CE does not
# reach the student (teacher_grad_scale=0): until distillation starts the
# student trains exactly as its twin. The design the paired study chose on
# the validation split (README, section 8).
_base_ = './deeplab_r18_voc_demo.py'

model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher_input='decoder',
    self_teacher=dict(
        type='SelfTeacherNeck',
        width_ratio=2.0,
        norm_cfg=dict(type='BN', requires_grad=True)),
    teacher_head=dict(in_index=0),
    teacher_grad_scale=0.0,
    # validation logs the self-teacher's mIoU (teacher/mIoU) beside the
    # student's; tools/test.py --teacher does the same at test time
    evaluate_teacher=True,
    loss_kd=dict(type='PixelKLDivLoss', tau=1.0, loss_weight=1.0),
    loss_feat=dict(type='AttentionTransferLoss', p=2, loss_weight=50.0),
    # no distillation for the first 2/3 of the run, a sigmoid ramp-up over
    # the last third: fractions, so a shortened run still distils
    distill_schedule=dict(type='DistillSchedule', warmup=2 / 3, rampup=1 / 3))
# validation and testing score the self-teacher too (teacher/mIoU)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='FRSKDIoUMetric', iou_metrics=['mIoU'],
         pred_key='pred_teacher_sem_seg', prefix='teacher')
]
test_evaluator = val_evaluator
