# CPU demo, baseline: a narrow DeepLabV3 ResNet-18-D8 (16..128 channels, no
# pretrained weights, plain BN) on the synthetic VOC2007+2012-layout data set
# that `make demo` generates, 128x128 crops, 2000 iterations of batch 4.
# Everything else (data protocol, evaluation) is deeplab_voc.py's.
_base_ = '../deeplab_voc.py'

data_root = 'data/voc0712_demo'
crop_size = (128, 128)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        depth=18, stem_channels=16, base_channels=16, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=128,
        channels=32,
        dilations=(1, 2, 3, 4),
        norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=64, channels=16, norm_cfg=norm_cfg))

# The synthetic images are ~160x120: mmseg's VOC pipeline at a quarter of the
# scale. Colour jitter is left out: colour is one of the synthetic classes' cues.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(512, 128),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(512, 128), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]


# the VOC07+12 data sets of ../_base_/datasets/voc0712.py, other pipelines
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(datasets=[
        dict(_base_.voc07_trainval, data_root=data_root,
             pipeline=train_pipeline),
        dict(_base_.voc12_trainval, data_root=data_root,
             pipeline=train_pipeline),
    ]))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 2000
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 2)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters // 2))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
