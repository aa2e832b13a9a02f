# The official FRSKD segmentation schedule on the CPU demo (docs/method.md,
# Schedule and
# the authors' segmentation/main.py): the learning rate drops x0.1 where the
# distillation warm-up ends (instead of mmseg's poly decay) and gradients are
# clipped by value at 2.0. Its baseline twin (the same file with the FRSKD
# segmentor turned into EncoderDecoder; tools/gain_study.py derives it) uses
# the same schedule.
_base_ = './frskd_deeplab_r18_voc_demo.py'

param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=_base_.max_iters,
         milestones=[_base_.max_iters * 2 // 3], gamma=0.1)
]
optim_wrapper = dict(
    clip_grad=dict(_delete_=True, type='value', clip_value=2.0))
