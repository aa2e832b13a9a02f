# The CPU demo with a pretrained student, as in the paper (ImageNet weights):
# the backbone starts from checkpoints/demo_r18_backbone.pth, which
# `python tools/pretrain_demo_backbone.py` makes (the demo baseline trained on
# a separate synthetic data set, backbone kept). Fine-tuning uses mmseg's
# learning rate for pretrained VOC models (0.01) instead of the from-scratch
# demo's 0.05. Its baseline twin (tools/gain_study.py derives it) starts from
# the same weights with the same schedule.
_base_ = './frskd_deeplab_r18_voc_demo.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/demo_r18_backbone.pth')))
optim_wrapper = dict(optimizer=dict(lr=0.01))
