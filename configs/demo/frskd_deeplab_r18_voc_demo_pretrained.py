# The CPU demo with a pretrained student, as in the paper (ImageNet weights):
# the backbone starts from checkpoints/demo_r18_backbone_i1000.pth, which
# `python tools/pretrain_demo_backbone.py` makes (the demo baseline trained on
# a separate synthetic data set for 1000 iterations, backbone kept).
# Fine-tuning uses mmseg's learning rate for pretrained VOC models (0.01)
# instead of the from-scratch demo's 0.05, for 1000 iterations (distillation
# from 2/3 of them): with the pretraining, what `make demo` trains within its
# 8 minutes on 2 CPU cores. Its baseline twin (tools/gain_study.py derives it)
# starts from the same weights with the same schedule.
_base_ = './frskd_deeplab_r18_voc_demo.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/demo_r18_backbone_i1000.pth')))
optim_wrapper = dict(optimizer=dict(lr=0.01))
max_iters = 1000
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 2)
default_hooks = dict(checkpoint=dict(interval=max_iters // 2))
