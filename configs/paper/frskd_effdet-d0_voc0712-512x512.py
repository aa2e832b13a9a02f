# FRSKD on the paper's segmentation model, as the authors' segmentation code
# trains it: the twin effdet-d0_voc0712-512x512.py (model, data, schedule and
# the differences from the official code listed there) plus the self-teacher.
#
# The self-teacher refines the student decoder's six outputs (P2..P7 after
# the FPN and 3 BiFPN layers: self_teacher_input='neck', the decoder-side
# placement) with 2 more BiFPN layers, the second top-down only; its head is
# a copy of the student's classifier on its P2. Losses as the official
# main.py: CE of the student and of the self-teacher (whose gradient reaches
# the student: teacher_grad_scale=1), beta = 50 attention transfer between
# the decoder outputs and the refined outputs, alpha = 1 KL between the
# logits (tau = 1); both 0 for 40 epochs, then ramped up per epoch over the
# last 20 (exp(-5 (1 - t/20)^2), t = epoch + 1 - 40).
# Differences from main.py besides the twin's: the KL is averaged over the
# logits' pixels (stride 4) rather than over logits upsampled to the input.
_base_ = ['./effdet-d0_voc0712-512x512.py']

model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher_input='neck',
    # in_channels are measured from the student at build (6 x 64)
    self_teacher=dict(
        type='BiFPNSeg',
        num_layers=2,
        last_top_down_only=True,
        norm_cfg={{_base_.norm_cfg}}),
    # None: a copy of the student's decode head (EfficientDetSegHead on P2)
    teacher_head=None,
    teacher_grad_scale=1.0,
    # validation scores the self-teacher too (the evaluators below)
    evaluate_teacher=True,
    # the official KL: both logits upsampled to the input size first
    loss_kd=dict(type='PixelKLDivLoss', tau=1.0, loss_weight=1.0),
    loss_feat=dict(type='AttentionTransferLoss', p=2, loss_weight=50.0),
    distill_schedule=dict(
        type='DistillSchedule', warmup=40, rampup=20, by_epoch=True))
# validation and testing score the self-teacher too (teacher/mIoU)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='FRSKDIoUMetric', iou_metrics=['mIoU'],
         pred_key='pred_teacher_sem_seg', prefix='teacher')
]
test_evaluator = val_evaluator
