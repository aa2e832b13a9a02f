# CPU demo, FRSKD: deeplab_r18_voc_demo.py plus the self-teacher -- the two
# lines of the recipe (the segmentor's defaults are the design the paired
# study chose on its validation split, docs/results.md), plus scoring the
# self-teacher. The self-teacher sits downstream of the student's decoder: it
# refines the backbone levels F1..F3 and the ASPP head's pre-classifier map,
# 32 channels on the finest level (the width rule max(32, c_1 / 2)) and the
# student's ratios above it (32, 64, 128, 64; the student is tiny: 16..128
# channels). Its head is the student's
# own kind of classifier (a 1x1 conv) on the finest refined level T1 (stride
# 4, twice the ASPP map's resolution), and its CE does not reach the
# student (teacher_grad_scale=0: the student trains exactly as its twin
# until distillation starts). No
# distillation for the first 2/3 of the run, a sigmoid ramp-up over the last
# third (fractions: a shortened run still distils); both losses, the KL at
# the input size (alpha 1, tau 1) and attention transfer (beta 100), towards
# T1 and the top-down nodes it is computed from (docs/results.md).
_base_ = './deeplab_r18_voc_demo.py'

model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher=dict(type='SelfTeacherNeck'),
    # validation logs the self-teacher's mIoU (teacher/mIoU) beside the
    # student's (the evaluators below)
    evaluate_teacher=True)
# validation and testing score the self-teacher too (teacher/mIoU)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='FRSKDIoUMetric', iou_metrics=['mIoU'],
         pred_key='pred_teacher_sem_seg', prefix='teacher')
]
test_evaluator = val_evaluator
